"""Outage from a probe history: from the first failed probe to the last, plus the time to the first success
that is sustained (a short blip after the failover counts in the outage), on the probes' clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trisite.drivers.protocols import ProbeResult

SUSTAINED = 10  # consecutive answered probes that end an outage
HICCUP = 1  # lost probes among the baseline's last SUSTAINED that still let the steady state hold


@dataclass(frozen=True)
class Outage:
    seconds: float | None  # None: never recovered within the observation
    lost: int
    probes: int

    @property
    def text(self) -> str:
        return "never recovered" if self.seconds is None else f"{self.seconds:.2f} s"


def measure(history: Sequence[ProbeResult], interval: float, after: float = 0.0) -> Outage:
    """The outage that begins after `after` seconds (when the fault was injected)."""
    window = [p for p in history if p.sent >= after]
    failed = [i for i, p in enumerate(window) if not p.ok]
    if not failed:
        return Outage(0.0, 0, len(window))
    first = failed[0]
    streak, recovered = 0, None
    for i in range(first, len(window)):
        streak = streak + 1 if window[i].ok else 0
        if streak == SUSTAINED:
            recovered = i - SUSTAINED + 1
            break
    if recovered is None:
        return Outage(None, len(failed), len(window))
    # On the probes' own clock: an attempt that waits for its timeout (HTTP) or a ping that slows down while
    # unanswered lasts longer than the interval, and counting probes would shorten the outage.
    seconds = max(window[recovered].sent - window[first].sent, (recovered - first) * interval)
    return Outage(round(seconds, 4), sum(1 for p in window[first:recovered] if not p.ok), len(window))


@dataclass(frozen=True)
class Steady:
    """The steady-state hypothesis judged on the probes sent before the fault: the path must answer its last
    SUSTAINED probes but one (so an outage cannot have begun before the fault); a lost probe elsewhere, or a
    single one among the last (a scheduling hiccup on a loaded machine: an HTTP answer later than its timeout),
    is counted and reported, not fatal. Were that single loss the start of an outage, the outage is still
    measured from the fault's first lost probe: it would read one interval short."""

    ok: bool
    lost: int  # probes lost before the fault
    probes: int  # probes sent before the fault
    unhealthy: tuple[str, ...] = ()  # the target's services that were not healthy (the steady state fails)
    pace_s: float = 0.0  # seconds between two probes as they were sent (0: not known)

    @property
    def text(self) -> str:
        verdict = "held" if self.ok else "did not hold"
        said = f"steady state {verdict} ({self.lost}/{self.probes} baseline probes lost)"
        return said + (f"; not healthy: {'; '.join(self.unhealthy)}" if self.unhealthy else "")


def steady(history: Sequence[ProbeResult], before: float) -> Steady:
    """Whether the path was up when the fault came: its last SUSTAINED probes sent before `before` answered,
    all but one at most."""
    baseline = [p for p in history if p.sent < before]
    lost = sum(1 for p in baseline if not p.ok)
    tail = baseline[-SUSTAINED:]
    return Steady(len(tail) == SUSTAINED and sum(1 for p in tail if not p.ok) <= HICCUP, lost, len(baseline))
