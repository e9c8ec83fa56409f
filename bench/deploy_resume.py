"""Kill the deployment with SIGKILL at every step boundary and at random instants inside steps, deploy again,
and check every run converges to what an uninterrupted deployment leaves: the same platform, no step that
must not run twice run twice, a sound journal. On the twin target (a simulated platform that outlives its
deployer), each deployment a separate `trisite deploy` process, as an operator would run it.

    .venv/bin/python bench/deploy_resume.py [--boundaries all|N] [--random N] [--design PATH]

Prints N tried / N converged, and the time of an uninterrupted deployment against one resumed after a kill.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "three-sites" / "design.yaml"
ONCE = "cephadm/main:bootstrap"  # the step that must never run twice


@dataclass(frozen=True)
class Trial:
    kill: str  # where: "after record K" or "at T s"
    converged: bool
    why: str


# The reference's secrets, the same in every run (else the twin invents new ones per state directory).
SECRETS = {
    name: f"bench-{name.lower()}"
    for name in ("TRISITE_BMC_PASSWORD", "TRISITE_BGP_MD5", "TRISITE_CARP_PASS", "TRISITE_VPN_PSK")
} | {"TRISITE_RESTIC_PASSWORD": "bench-restic", "TRISITE_KEYSTONE_ADMIN_PASSWORD": "bench-keystone"}


def deploy(design: Path, state: Path) -> subprocess.Popen[str]:
    env = {**os.environ, **SECRETS, "TRISITE_STATE": str(state)}
    command = [sys.executable, "-m", "trisite", "deploy", str(design), "--target", "twin"]
    return subprocess.Popen(  # noqa: S603 - our own command line
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(design: Path, state: Path) -> tuple[int, str]:
    process = deploy(design, state)
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def records(state: Path) -> int:
    journals = list(state.rglob("journal.sqlite"))
    if not journals:
        return 0
    try:
        with sqlite3.connect(f"file:{journals[0]}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM records").fetchone()[0])
    except sqlite3.Error:
        return 0  # being created


def platform(state: Path) -> tuple[dict[str, object], dict[str, int]]:
    """What the simulated platform holds (its devices), and how often each once-only operation ran."""
    (path,) = list(state.rglob("platform.json"))
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["devices"], document["runs"]


def journal_sound(state: Path) -> bool:
    (path,) = list(state.rglob("journal.sqlite"))
    with sqlite3.connect(path) as db:
        return bool(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")


def killed_then_resumed(design: Path, state: Path, *, after: int | None, at: float | None) -> str:
    """'' when the run converged, else why not."""
    process = deploy(design, state)
    deadline = time.monotonic() + 120
    started = time.monotonic()
    while process.poll() is None and time.monotonic() < deadline:
        if (after is not None and records(state) >= after) or (
            at is not None and time.monotonic() - started >= at
        ):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    process.wait()
    code, err = finish(design, state)
    return "" if code == 0 else f"the resumed deployment failed: {err.strip().splitlines()[-1:]}"


def trial(
    design: Path, baseline: dict[str, object], *, after: int | None = None, at: float | None = None
) -> Trial:
    where = f"after record {after}" if after is not None else f"at {at:.2f} s"
    with tempfile.TemporaryDirectory(prefix="trisite-resume-") as tmp:
        state = Path(tmp)
        why = killed_then_resumed(design, state, after=after, at=at)
        if not why:
            devices, runs = platform(state)
            if devices != baseline:
                why = "the platform differs from an uninterrupted deployment's"
            elif runs.get(ONCE) != 1:
                why = f"{ONCE} ran {runs.get(ONCE)} times"
            elif not journal_sound(state):
                why = "the journal is not sound"
        return Trial(where, not why, why)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--design", type=Path, default=REFERENCE)
    parser.add_argument("--boundaries", default="all", help="'all', or how many boundaries to sample")
    parser.add_argument("--random", type=int, default=20, help="kills at random instants")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trisite-resume-") as tmp:
        started = time.perf_counter()
        code, err = finish(args.design, Path(tmp))
        uninterrupted = time.perf_counter() - started
        assert code == 0, err
        baseline, _ = platform(Path(tmp))
        total = records(Path(tmp))
    boundaries = list(range(1, total + 1))
    if args.boundaries != "all":
        boundaries = sorted(random.Random(1).sample(boundaries, int(args.boundaries)))
    rng = random.Random(2)
    trials = [trial(args.design, baseline, after=k) for k in boundaries]
    trials += [trial(args.design, baseline, at=rng.uniform(0.8, uninterrupted)) for _ in range(args.random)]
    failed = [t for t in trials if not t.converged]
    print(f"uninterrupted deployment (a fresh process): {uninterrupted:.1f} s, {total} journal records")
    print(
        f"boundaries: {len(boundaries)} tried / {sum(t.converged for t in trials[: len(boundaries)])} converged"
    )
    print(
        f"random instants: {args.random} tried / {sum(t.converged for t in trials[len(boundaries) :])} converged"
    )
    for t in failed:
        print(f"  NOT converged, killed {t.kill}: {t.why}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
