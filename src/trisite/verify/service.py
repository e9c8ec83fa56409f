"""How a service's state is described and computed from its members' presence.

A member's *presence* on a network is a map part -> seconds until it is (back) there: 0 when the failure
did not touch it, a delay when it comes back (a VM restarted elsewhere), absent when it is gone. Quorum and
"any one of" services are then k-of-n questions asked per connected part, which is how a MAN cut is analysed
as a split and not as a loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from trisite.verify.facts import Facts
from trisite.verify.state import Part, PhysicalState

INF = math.inf
Presence = dict[Part, float]
Status = Literal["up", "degraded", "down"]


@dataclass(frozen=True)
class ServiceState:
    status: Status
    outage_s: float  # predicted interruption when the failure happens; INF = until repaired
    detail: str = ""
    # The outage may end up to this much sooner: it runs from the last periodic message heard (a VRRP advert),
    # sent at an unknown moment before the failure. outage_s stays the worst case, which objectives are held to.
    phase_s: float = 0.0

    @property
    def finite_outage(self) -> float | None:
        return None if math.isinf(self.outage_s) else round(self.outage_s, 3)


UP = ServiceState("up", 0.0)


def state(outage: float, *, degraded: bool, detail: str, phase: float = 0.0) -> ServiceState:
    if math.isinf(outage):
        return ServiceState("down", INF, detail)
    return ServiceState("degraded" if degraded else "up", outage, detail, min(phase, outage))


def k_of_n(presences: Iterable[Presence], k: int) -> tuple[float, Part | None]:
    """Earliest time at which `k` members are together in one part, and that part."""
    by_part: dict[Part, list[float]] = {}
    for presence in presences:
        for part, delay in presence.items():
            by_part.setdefault(part, []).append(delay)
    best: tuple[float, Part | None] = (INF, None)
    for part, delays in sorted(by_part.items()):
        if len(delays) >= k:
            t = sorted(delays)[k - 1]
            if t < best[0]:
                best = (t, part)
    return best


def majority(n: int) -> int:
    return n // 2 + 1


@dataclass
class Context:
    """One scenario: the physical state plus the states, presences and facts computed so far."""

    physical: PhysicalState
    base: Context | None = None  # the all-up scenario, to tell what a failure changed (None: this is it)
    results: dict[str, ServiceState] = field(default_factory=dict)
    presence: dict[tuple[str, str], Presence] = field(default_factory=dict)  # (host, network) -> presence
    facts: Facts = field(default_factory=Facts)

    @property
    def failed(self) -> frozenset[str]:
        return self.physical.failed


Evaluate = Callable[[Context], ServiceState]


@dataclass(frozen=True)
class ServiceSpec:
    """A service the twin evaluates: its name, layer, what can change it, and how to compute it."""

    name: str
    layer: str
    deps: frozenset[str]
    needs: tuple[str, ...]
    evaluate: Evaluate
    hidden: bool = False  # an intermediate result (VM placement), not shown to users
    members: tuple[str, ...] = ()  # the hosts or VMs it runs on (to tell a site's own services)
    quorum: int = 0  # when > 0: the service needs `quorum` of `members` (a k-of-n service)


class MemberIndex:
    """Which members a failed component can touch, so that large pools are re-evaluated member by member."""

    def __init__(self, deps: Mapping[str, frozenset[str]]) -> None:
        self.by_component: dict[str, set[str]] = {}
        for member, components in deps.items():
            for component in components:
                self.by_component.setdefault(component, set()).add(member)

    def hit(self, failed: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for component in failed:
            found |= self.by_component.get(component, set())
        return found


def union(items: Iterable[frozenset[str]]) -> frozenset[str]:
    found: set[str] = set()
    for item in items:
        found |= item
    return frozenset(found)
