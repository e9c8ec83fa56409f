"""Failure sweeps: every single failure (N-1), every pair (N-2), every site loss, every set of MAN cuts.

Interchangeable components (same kind, place, power, switches and service memberships, and no VM or role
that is theirs alone) fail the same way: each class is evaluated once and counted as many times as it has
members, which is what keeps N-2 tractable on thousands of servers.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

from trisite.model.components import Component
from trisite.verify.guests import guests
from trisite.verify.service import Context, ServiceState
from trisite.verify.twin import Twin

Kind = Literal["n-1", "n-2", "site", "man"]


@dataclass(frozen=True)
class Scenario:
    kind: Kind
    failed: tuple[str, ...]
    weight: int  # how many equivalent scenarios this one stands for
    changes: dict[str, ServiceState] = field(compare=False)

    @property
    def down(self) -> list[str]:
        return sorted(n for n, s in self.changes.items() if s.status == "down")


class _Signer:
    """Components with equal signatures are interchangeable for every service of the twin."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        servers = {s.name for s in twin.design.servers}
        self.cable_end = {
            att.cable: (host, att.node)
            for (host, _), att in twin.topology.nic_attachment.items()
            if host in servers
        }
        self.homes: dict[str, tuple[str, ...]] = defaultdict(tuple)
        for g in guests(twin.design):
            if g.spec.preferred_host:
                self.homes[g.spec.preferred_host] += (g.name,)
        self.engines = {o.engine.hosts[0] for o in twin.design.ovirt}

    def __call__(self, c: Component) -> tuple[object, ...]:
        services = frozenset(self.twin.by_component.get(c.id, ()))
        if c.kind == "server":
            topo = self.twin.topology
            host = topo.ix.hosts[c.name]
            switches = frozenset(a.node for a in topo.uplinks(c.name))
            return (
                "server",
                c.site,
                getattr(host, "rack", ""),
                topo.power[c.name][1],
                switches,
                services,
                self.homes[c.name],
                c.name in self.engines,
            )
        if c.kind == "cable" and c.id in self.cable_end:
            server, node = self.cable_end[c.id]
            return ("cable", self(Component(f"server:{server}", "server", c.site)), node, services)

        return (c.id,)


def classes(twin: Twin) -> list[list[Component]]:
    sign = _Signer(twin)
    groups: dict[tuple[object, ...], list[Component]] = defaultdict(list)
    for c in twin.components:
        groups[sign(c)].append(c)
    return sorted(groups.values(), key=lambda g: g[0].id)


def _changes(twin: Twin, failed: frozenset[str]) -> dict[str, ServiceState]:
    return _changed(twin, twin.evaluate(failed).services)


def _changed(twin: Twin, services: dict[str, ServiceState]) -> dict[str, ServiceState]:
    hidden = {s.name for s in twin.specs if s.hidden}
    return {n: s for n, s in services.items() if n not in hidden and s != twin.base.services[n]}


def single(twin: Twin, groups: list[list[Component]]) -> list[Scenario]:
    return [Scenario("n-1", (g[0].id,), len(g), _changes(twin, frozenset({g[0].id}))) for g in groups]


def pairs(groups: list[list[Component]]) -> Iterator[tuple[tuple[str, str], int]]:
    """Representative pairs of components with the number of real pairs each stands for."""
    for i, first in enumerate(groups):
        if len(first) > 1:
            yield (first[0].id, first[1].id), len(first) * (len(first) - 1) // 2
        for second in groups[i + 1 :]:
            yield (first[0].id, second[0].id), len(first) * len(second)


def double(twin: Twin, groups: list[list[Component]], workers: int = 1) -> tuple[list[Scenario], int]:
    """N-2: the scenarios that take a service down (the others are only counted), and how many were run.

    With `workers` > 1 the pairs are shared among forked processes (the twin is pure: same answers)."""
    todo = list(pairs(groups))
    each = _Singles(twin, {c for pair, _ in todo for c in pair})
    if workers <= 1 or len(todo) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        return _double_chunk(each, todo), len(todo)
    global _FORKED  # noqa: PLW0603 - handed to forked workers without pickling closures
    _FORKED = each
    size = -(-len(todo) // (workers * 4))
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    # A Ctrl-C while the workers are being forked would leave some of them orphaned, blocked on the task
    # queue and holding the terminal: the pool is made with SIGINT blocked, and the signal lands after.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = mp.get_context("fork").Pool(workers, initializer=_ignore_interrupts)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        with pool:
            results = pool.map(_forked_chunk, chunks)
    finally:
        _FORKED = None
    return [sc for chunk in results for sc in chunk], len(todo)


PARALLEL_FROM = 5000


class _Singles:
    """Every component of the pairs evaluated alone, once: each pair is then built on its two sides."""

    def __init__(self, twin: Twin, components: set[str]) -> None:
        self.twin = twin
        self.alone: dict[str, Context] = {c: twin.scenario(frozenset({c})) for c in sorted(components)}

    def pair(self, first: str, second: str) -> dict[str, ServiceState]:
        return _changed(self.twin, self.twin.combine(self.alone[first], self.alone[second]).services)


_FORKED: _Singles | None = None


def _ignore_interrupts() -> None:
    """A Ctrl-C reaches every process of the terminal's group: the parent stops the pool (and says so once);
    a worker that took it too would print its own traceback and leave the parent waiting for its chunk."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # inherited blocked from the parent


def _forked_chunk(chunk: list[tuple[tuple[str, str], int]]) -> list[Scenario]:
    assert _FORKED is not None
    return _double_chunk(_FORKED, chunk)


def _double_chunk(each: _Singles, chunk: list[tuple[tuple[str, str], int]]) -> list[Scenario]:
    kept: list[Scenario] = []
    for failed, weight in chunk:
        changes = each.pair(*failed)
        if any(s.status == "down" for s in changes.values()):
            kept.append(Scenario("n-2", failed, weight, changes))
    return kept


def sites(twin: Twin) -> list[Scenario]:
    return [
        Scenario("site", (f"site:{s.name}",), 1, _changes(twin, frozenset({f"site:{s.name}"})))
        for s in twin.design.sites
    ]


def man_cuts(twin: Twin) -> list[Scenario]:
    links = [f"man:{m.name}" for m in twin.design.man_links]
    found = []
    for size in range(1, len(links) + 1):
        for cut in combinations(links, size):
            found.append(Scenario("man", cut, 1, _changes(twin, frozenset(cut))))
    return found
