"""`trisite check` on the reference lab, end to end as a user runs it, against issue 15's budget (2 minutes):

- the lab is brought up and deployed (not timed against the budget: a check reads what is there);
- the whole command, `trisite check examples/three-sites/design.yaml --target lab --lab bench-check`, runs in a
  new process, timed from start to exit (imports, every category, the report);
- the baseline in the same run: the same command with `-k cabling` (LLDP read from every device: what a
  check costs without measuring anything), and the per-category seconds of the full run.

    .venv/bin/python bench/check_lab.py      (root, with the lab's packages; under the lab's lock)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from trisite import pipelines
from trisite.lab import build, session
from trisite.model import load_design

REFERENCE = Path(__file__).resolve().parents[1] / "examples" / "three-sites" / "design.yaml"
NAME = "bench-check"
BUDGET_S = 120.0
CONVERGED_S = 60.0


def command(*extra: str) -> tuple[float, dict[str, Any], int]:
    args = [
        str(Path(sys.executable).with_name("trisite")),
        "check",
        str(REFERENCE),
        "--target",
        "lab",
        "--lab",
        NAME,
    ]
    started = time.perf_counter()
    done = subprocess.run([*args, "--format", "json", *extra], capture_output=True, text=True, check=False)  # noqa: S603
    took = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"trisite check failed: {done.stderr.strip()}")
    return took, json.loads(done.stdout), done.returncode


def converge() -> None:
    """Until BGP is up everywhere and every LLDP neighbour is heard (the deployment has just started FRR)."""
    loaded = load_design(REFERENCE)
    deadline = time.monotonic() + CONVERGED_S
    while time.monotonic() < deadline:
        report = pipelines.check_job(loaded, "lab", ["cabling", "routing"], lab=NAME)
        if report.ok:
            return
        time.sleep(1)


def main() -> None:
    loaded = load_design(REFERENCE)
    started = time.perf_counter()
    session.up(loaded, NAME, str(REFERENCE))
    try:
        pipelines.deploy_job(loaded, "lab", lab=NAME)
        print(f"lab up and deployed in {time.perf_counter() - started:.1f} s")
        converge()
        baseline, _, _ = command("-k", "cabling")
        took, report, code = command()
        print(f"baseline `trisite check ... -k cabling`: {baseline:.1f} s")
        print(f"`trisite check examples/three-sites/design.yaml --target lab`: {took:.1f} s, exit {code}")
        for cat in report["categories"]:
            checks = cat["checks"]
            failures = sum(c["status"] == "fail" for c in checks)
            print(
                f"  {cat['category']:8} {len(checks):4} checks {failures:2} fail {cat['seconds']:6.1f} s {cat['notes']}"
            )
        print(
            f"ratio to the cabling-only baseline: {took / baseline:.1f}x; budget used: {took / BUDGET_S:.0%}"
        )
    finally:
        build.down(NAME)


if __name__ == "__main__":
    main()
