"""A deployment killed with SIGKILL (at step boundaries and inside steps) resumes and converges: the same
platform as an uninterrupted one, the once-only step run once, the journal sound. The whole sweep over every
boundary is bench/deploy_resume.py (figures in docs/performance.md); this samples it."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest

from deploy_resume import REFERENCE, finish, platform, records, trial


@pytest.mark.slow
def test_killed_deployments_resume_and_converge() -> None:
    with tempfile.TemporaryDirectory(prefix="trisite-resume-") as tmp:
        code, err = finish(REFERENCE, Path(tmp))
        assert code == 0, err
        baseline, _ = platform(Path(tmp))
        total = records(Path(tmp))
    rng = random.Random(7)  # noqa: S311 - which boundaries to try, not a secret
    boundaries = sorted(rng.sample(range(1, total + 1), 4))
    trials = [trial(REFERENCE, baseline, after=k) for k in boundaries]
    trials += [trial(REFERENCE, baseline, at=rng.uniform(1.0, 4.0)) for _ in range(2)]
    failed = [f"killed {t.kill}: {t.why}" for t in trials if not t.converged]
    assert failed == [], failed
