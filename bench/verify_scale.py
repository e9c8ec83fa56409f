"""How long the failure sweeps of `trisite verify` take on three-site designs of 500, 1,000 and 2,000 servers.

The sweeps: N-1 and N-2 over every component (the design's shared risks are components too, of class "risk":
a risk fails its members together), then every site loss and every combination of MAN cuts.

Baseline, measured in the same run: the naive way, which rebuilds the twin and recomputes every service for
each scenario, over every component and every pair of components (no interchangeable classes). It is timed
on a random sample of its scenarios and multiplied by their number (running all of them would take days).
Target: all of them for the 2,000-server design under 60 s on 2 cores, at least 20x faster than the baseline.

Below the table: the layer-2 parts (connected components) of a sample of the scenarios the serial sweep
computed, by the hand-written union-find of `verify/state.py` and by networkx on the same scenarios, and what
networkx would add to the serial N-2 sweep (its extra cost per scenario times the scenarios the sweep computed).

    .venv/bin/python bench/verify_scale.py [--sizes 500 1000 2000] [--workers 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from designgen import generate
from trisite.model.design import Design
from trisite.verify import sweep
from trisite.verify.state import PhysicalState
from trisite.verify.topology import Topology
from trisite.verify.twin import Twin

SAMPLE = 30
PARTS_SAMPLE = 2000  # (network, failed switches and links) pairs the sweep met, timed both ways


def naive_seconds(design: Design, twin: Twin) -> tuple[float, int]:
    """Per-scenario cost of the naive way (rebuild + recompute all), times its number of scenarios."""
    ids = [c.id for c in twin.components]
    whole_sites = len(design.sites) + 2 ** len(design.man_links) - 1  # site losses, MAN cut combinations
    scenarios = len(ids) + len(ids) * (len(ids) - 1) // 2 + whole_sites
    rng = random.Random(1)
    sample = [frozenset(rng.sample(ids, rng.choice((1, 2)))) for _ in range(SAMPLE)]
    started = time.perf_counter()
    for failed in sample:
        Twin(design).evaluate_all(failed)
    return (time.perf_counter() - started) / SAMPLE * scenarios, scenarios


def networkx_parts(state: PhysicalState, network: str) -> dict[str, str]:
    """The same answer as `PhysicalState._compute_parts`, by networkx's connected components."""
    topo = state.topo
    graph: Any = nx.Graph()
    graph.add_nodes_from(n for n in topo.network_nodes(network) if state.node_up(n))
    graph.add_edges_from(
        (e.a, e.b)
        for e in topo.network_edges(network)
        if e.component not in state.failed and e.a in graph and e.b in graph
    )
    return {n: min(part) for part in nx.connected_components(graph) for n in part}


def parts_seconds(topology: Topology) -> tuple[int, float, float]:
    """Union-find vs networkx seconds over a sample of the scenarios whose parts the sweep cached."""
    keys = list(topology.parts_cache)
    keys = random.Random(2).sample(keys, min(PARTS_SAMPLE, len(keys)))
    states = [(PhysicalState(topology, failed), network) for network, failed in keys]
    for state, network in states:
        assert state._compute_parts(network) == networkx_parts(state, network), network
    timed = []
    for compute in (lambda s, n: s._compute_parts(n), networkx_parts):
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for state, network in states:
                compute(state, network)
            best = min(best, time.perf_counter() - started)
        timed.append(best)
    return len(states), timed[0], timed[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(
        f"{'servers':>8} {'components':>10} {'classes':>8} {'N-1 s':>7} {'pairs':>8} {'N-2 1 core':>11} "
        f"{'N-2 s':>7} {'site+MAN s':>10} {'risks':>6} {'total s':>8} {'naive s (est.)':>15} {'ratio':>10}"
    )
    parts: list[str] = []
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
        started = time.perf_counter()
        sweep.sites(twin)
        sweep.man_cuts(twin)
        whole = time.perf_counter() - started
        risks = sum(1 for c in twin.components if c.kind == "risk")
        total = n1 + n2 + whole
        naive, _ = naive_seconds(design, twin)
        print(
            f"{len(design.servers):>8} {len(twin.components):>10} {len(groups):>8} {n1:>7.2f} {pairs:>8} "
            f"{n2_serial:>11.2f} {n2:>7.2f} {whole:>10.2f} {risks:>6} {total:>8.2f} {naive:>15.0f} {naive / total:>10.0f}"
        )
        count, hand, networkx = parts_seconds(twin.topology)
        added = (networkx - hand) / count * len(twin.topology.parts_cache) / n2_serial
        parts.append(
            f"{len(design.servers):>8} {count:>7} {hand * 1000:>14.1f} {networkx * 1000:>12.1f} "
            f"{networkx / hand:>6.1f} {len(twin.topology.parts_cache):>10} {added * 100:>+16.1f}"
        )
    print(
        f"\nlayer-2 parts of the same scenarios\n{'servers':>8} {'sample':>7} {'union-find ms':>14} "
        f"{'networkx ms':>12} {'ratio':>6} {'in sweep':>10} {'networkx N-2 %':>16}"
    )
    print("\n".join(parts))


if __name__ == "__main__":
    main()
