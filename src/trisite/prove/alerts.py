"""Monitoring proven: for each injected fault, the alerts the rendered rules define for it must fire within
their bound and resolve after the rollback, as the target's real Prometheus and Alertmanager notify them.

A target that runs the monitoring (the lab's `monitoring` layer) says which alerts a fault should raise, with
each one's bound (a scrape, the rule's `for`, evaluations, Alertmanager's wait), and when each was notified
firing and resolved."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

RESOLVE_WAIT = 60.0  # the longest the campaign waits after a rollback for the alerts to resolve


@dataclass(frozen=True)
class Expected:
    name: str  # the alert, as the rendered rules name it
    bound_s: float  # the latest it may be notified firing after the fault


@dataclass(frozen=True)
class AlertSeen:
    """One expected alert of a row: when it fired after the fault and resolved after the rollback (None: not
    notified in time)."""

    name: str
    bound_s: float
    to_alert_s: float | None
    to_resolve_s: float | None

    @property
    def fired(self) -> bool:
        return self.to_alert_s is not None and self.to_alert_s <= self.bound_s

    @property
    def resolved(self) -> bool:
        return self.to_resolve_s is not None


@runtime_checkable
class AlertDriver(Protocol):
    """A target whose monitoring runs: what a fault should raise, and what was notified."""

    def expected_alerts(self, faults: Sequence[str]) -> list[tuple[str, float]]:
        """(alert, bound in seconds) of each alert the fault should raise."""
        ...

    def alert_times(
        self, name: str, injected: float, mended: float | None
    ) -> tuple[float | None, float | None]:
        """(seconds from `injected` to the first firing notification, from `mended` to the first resolved
        one) on wall-clock time; None when none came."""
        ...


def expected(driver: object, faults: Sequence[str]) -> list[Expected]:
    """The alerts the fault should raise on this target ([] where no monitoring runs)."""
    if not isinstance(driver, AlertDriver):
        return []
    return [Expected(name, bound) for name, bound in driver.expected_alerts(faults)]


def longest_bound(wanted: Sequence[Expected]) -> float:
    return max((e.bound_s for e in wanted), default=0.0)


def all_fired(driver: object, wanted: Sequence[Expected], injected: float) -> bool:
    """Whether every expected alert was notified firing since `injected` (so the fault may end)."""
    if not wanted or not isinstance(driver, AlertDriver):
        return True
    return all(driver.alert_times(e.name, injected, None)[0] is not None for e in wanted)


def seen(driver: object, wanted: Sequence[Expected], injected: float, mended: float) -> tuple[AlertSeen, ...]:
    """Each expected alert, once resolved (awaited up to RESOLVE_WAIT after the rollback), or as it stands."""
    if not wanted or not isinstance(driver, AlertDriver):
        return ()
    deadline = time.monotonic() + RESOLVE_WAIT
    while True:
        found = tuple(
            AlertSeen(e.name, e.bound_s, *driver.alert_times(e.name, injected, mended)) for e in wanted
        )
        if all(a.resolved for a in found) or time.monotonic() >= deadline:
            return found
        time.sleep(1.0)


def summary(found: Sequence[AlertSeen]) -> str:
    """'2/2 fired, 2/2 resolved' (or '' when none was expected)."""
    if not found:
        return ""
    fired, resolved = sum(a.fired for a in found), sum(a.resolved for a in found)
    return f"{fired}/{len(found)} fired, {resolved}/{len(found)} resolved"
