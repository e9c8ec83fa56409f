"""How long the deploy engine takes, against what bounds it, on the twin and (as root) on the lab.

- twin: plan + deploy of the reference from nothing, end to end as `trisite` commands (target < 10 s), and the
  plan's estimated critical path on a real site;
- lab: the first deployment's wall time against the critical path of its own measured steps (target <= 1.2x),
  and a `plan --detailed-exitcode` after it against that first deployment (target <= 5 s).

    .venv/bin/python bench/deploy_times.py [--no-lab]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deploy_resume import REFERENCE, SECRETS
from trisite import pipelines
from trisite.drivers.twin import estimates
from trisite.lab import build, session
from trisite.model import load_design

LAB = "bench-deploy"


def command(*args: str, state: Path) -> tuple[float, int, str]:
    env = {**os.environ, **SECRETS, "TRISITE_STATE": str(state)}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "trisite", *args], env=env, capture_output=True, text=True, check=False
    )
    return time.perf_counter() - started, done.returncode, done.stdout + done.stderr


def twin() -> None:
    with tempfile.TemporaryDirectory(prefix="trisite-bench-") as tmp:
        state = Path(tmp)
        plan_s, _, _ = command("plan", str(REFERENCE), "--target", "twin", state=state)
        deploy_s, code, out = command("deploy", str(REFERENCE), "--target", "twin", state=state)
        assert code == 0, out
        again_s, code, _ = command(
            "plan", str(REFERENCE), "--target", "twin", "--detailed-exitcode", state=state
        )
    deployment, _ = pipelines.plan_job(load_design(REFERENCE), "twin")
    runs_here = {s: t for s, t in estimates(deployment.plan).items() if s not in deployment.missing()}
    path, seconds = deployment.plan.critical_path(runs_here)
    print(f"twin: plan {plan_s:.1f} s + deploy {deploy_s:.1f} s = {plan_s + deploy_s:.1f} s (target < 10 s)")
    print(f"twin: plan after deploy {again_s:.1f} s, exit {code} (0: nothing to do)")
    print(f"twin: estimated critical path on a real site {seconds / 3600:.1f} h over {len(path)} steps")


def lab() -> None:
    loaded = load_design(REFERENCE)
    build.down(LAB)
    try:
        session.up(loaded, LAB, str(REFERENCE))
        started = time.perf_counter()
        deployment, outcome = pipelines.deploy_job(loaded, "lab", lab=LAB)
        first = time.perf_counter() - started
        path, critical = deployment.plan.critical_path(outcome.done)
        started = time.perf_counter()
        _, changes = pipelines.plan_job(loaded, "lab", LAB)
        plan_s = time.perf_counter() - started
    finally:
        build.down(LAB)
    print(
        f"lab: first deployment {len(outcome.done)} steps, walk {outcome.wall_s:.2f} s, critical path of its "
        f"measured steps {critical:.2f} s over {len(path)} steps: {outcome.wall_s / critical:.2f}x (target <= 1.2x); "
        f"with facts, journal and render {first:.2f} s"
    )
    print(
        f"lab: plan after it {plan_s:.2f} s, {len(changes.pending)} pending (target <= 5 s; "
        f"{plan_s / first:.2f}x the first deployment)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-lab", action="store_true")
    args = parser.parse_args()
    twin()
    if not args.no_lab and os.geteuid() == 0:
        lab()


if __name__ == "__main__":
    main()
