"""How long the N-1 and N-2 sweeps of `trisite verify` take on three-site designs of 500, 1,000 and 2,000 servers.

Baseline, measured in the same run: the naive way, which rebuilds the twin and recomputes every service for
each scenario, over every component and every pair of components (no interchangeable classes). It is timed
on a random sample of its scenarios and multiplied by their number (running all of them would take days).
Target: N-1 plus N-2 of the 2,000-server design under 60 s on 2 cores, at least 20x faster than the baseline.

    .venv/bin/python bench/verify_scale.py [--sizes 500 1000 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from designgen import generate
from trisite.model.design import Design
from trisite.verify import sweep
from trisite.verify.twin import Twin

SAMPLE = 30


def naive_seconds(design: Design, twin: Twin) -> tuple[float, int]:
    """Per-scenario cost of the naive way (rebuild + recompute all), times its number of scenarios."""
    ids = [c.id for c in twin.components]
    scenarios = len(ids) + len(ids) * (len(ids) - 1) // 2
    rng = random.Random(1)
    sample = [frozenset(rng.sample(ids, rng.choice((1, 2)))) for _ in range(SAMPLE)]
    started = time.perf_counter()
    for failed in sample:
        Twin(design).evaluate_all(failed)
    return (time.perf_counter() - started) / SAMPLE * scenarios, scenarios


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(
        f"{'servers':>8} {'components':>10} {'classes':>8} {'N-1 s':>7} {'pairs':>8} {'N-2 1 core':>11} "
        f"{'N-2 s':>7} {'total s':>8} {'naive s (est.)':>15} {'ratio':>10}"
    )
    for size in args.sizes:
        design = Design.model_validate(generate(size))
        started = time.perf_counter()
        twin = Twin(design)
        groups = sweep.classes(twin)
        sweep.single(twin, groups)
        n1 = time.perf_counter() - started
        started = time.perf_counter()
        serial, pairs = sweep.double(twin, groups, 1)
        n2_serial = time.perf_counter() - started
        started = time.perf_counter()
        parallel, _ = sweep.double(twin, groups, args.workers)
        n2 = time.perf_counter() - started
        assert [s.failed for s in serial] == [s.failed for s in parallel], "workers must not change answers"
        naive, _ = naive_seconds(design, twin)
        print(
            f"{len(design.servers):>8} {len(twin.components):>10} {len(groups):>8} {n1:>7.2f} {pairs:>8} "
            f"{n2_serial:>11.2f} {n2:>7.2f} {n1 + n2:>8.2f} {naive:>15.0f} {naive / (n1 + n2):>10.0f}"
        )


if __name__ == "__main__":
    main()
