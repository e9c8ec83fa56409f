"""Guard rails of a measured row: what must hold before a fault is injected.

- No quorum is taken below its majority unless the scenario says so (`Scenario.quorum_loss`): the twin, which
  knows every k-of-n service of the design (Galera, RabbitMQ, etcd, Ceph's monitors), says which ones the fault
  would bring down. A campaign on a real site must never lose a cluster's quorum by accident.
- Every service the target reports on is healthy (the lab's `health()`): a member already down plus the fault
  could take a quorum that the twin alone, which starts from a healthy platform, believes safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from trisite.prove.scenarios import Scenario
from trisite.verify.twin import Twin


class HealthReading(Protocol):
    @property
    def layer(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def ok(self) -> bool: ...

    @property
    def detail(self) -> str: ...


@runtime_checkable
class HealthDriver(Protocol):
    """A target that reads its services back (the lab: `lab status`'s health)."""

    def health(self) -> Sequence[HealthReading]: ...


@runtime_checkable
class LayeredDriver(Protocol):
    """A target that runs some of the service layers only (the lab: `lab up --service LAYER`)."""

    layers: frozenset[str]


def missing_layers(driver: object, scenario: Scenario) -> list[str]:
    """The layers the row needs that the target does not run ([] for a target that runs them all: a site)."""
    have = driver.layers if isinstance(driver, LayeredDriver) else None
    return [] if have is None else [layer for layer in scenario.layers if layer not in have]


def quorums_lost(twin: Twin, failed: Sequence[str]) -> list[str]:
    """The quorum services (a majority of members needed) that the fault leaves without their majority, even
    for a while (the VMs oVirt restarts elsewhere still leave the quorum when they stop), or that it brings
    down."""
    after = twin.evaluate(frozenset(failed)).services
    lost = []
    for spec in (s for s in twin.specs if s.quorum > 0 and twin.base.services[s.name].status != "down"):
        taken = [m for m in spec.members if _taken(twin, m, frozenset(failed))]
        if len(spec.members) - len(taken) < spec.quorum or after[spec.name].status == "down":
            lost.append(spec.name)
    return sorted(lost)


def _taken(twin: Twin, member: str, failed: frozenset[str]) -> bool:
    """Whether the fault stops the member where it runs now: itself, its site, its server's own parts, or
    for a VM the host it runs on."""
    ix = twin.topology.ix
    if {f"vm:{member}", f"server:{member}", f"device:{member}", f"site:{ix.site_of(member)}"} & failed:
        return True
    host = ix.hosts.get(member)
    preferred = getattr(host, "preferred_host", None)
    if preferred:
        return _taken(twin, str(preferred), failed)
    return bool(host is not None and twin.direct_deps(member) & failed)


def refusal(twin: Twin, scenario: Scenario, failed: Sequence[str]) -> str | None:
    """Why the row must not be injected, or None."""
    lost = quorums_lost(twin, failed)
    if lost and not scenario.quorum_loss:
        return (
            f"guard rail: the fault would take the quorum of {', '.join(lost)} "
            "(set quorum_loss in the scenario to allow it)"
        )
    return None


def unhealthy(driver: object) -> list[str]:
    """The target's services that are not healthy now ([] when it reports none)."""
    if not isinstance(driver, HealthDriver):
        return []
    return [f"{h.layer} {h.name}: {h.detail}" for h in driver.health() if not h.ok]
