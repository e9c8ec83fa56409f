"""One measured row: the steady state checked (refuse to inject if it fails), the fault journaled then injected,
probed while it lasts, rolled back always (also on SIGINT or SIGTERM), the steady state checked again."""

from __future__ import annotations

import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

from trisite.drivers.protocols import FaultDriver, ProbeHandle, ProbeResult
from trisite.errors import DriverError, TrisiteError
from trisite.prove import alerts, guard, injected
from trisite.prove.alerts import AlertSeen
from trisite.prove.outage import HICCUP, SUSTAINED, Outage, Steady, measure, steady
from trisite.prove.scenarios import Scenario, Vantage

INTERVAL = 0.02  # seconds between probes (the report reads it from the campaign, never types it again)
VANTAGE_INTERVAL = 0.1  # the sites' connections to each other, probed through every row: lighter on the CPU
HTTP_INTERVAL = INTERVAL
RADOS_INTERVAL = 0.1  # a Ceph client's writes: one per placement group each time, on the lab's shared cores
ALERT_MARGIN = 5.0  # a fault lasts at most its alerts' longest bound and this (it ends once all came)
BASELINE = 2.0  # probing before the fault, to prove the path works
CHECK = 0.6  # the steady-state hypothesis checked before the row and after its rollback
STARVED_STRETCH = 16  # a check's window doubles while its probes were too few to judge, up to this many times
HEALTH_FRESH = 5.0  # a reading of the services that found all healthy stands this long (the check just after)
# The longest the steady state is awaited before a row is refused: a platform converging, and after a row the
# services' own recovery (a Galera node's rejoin, Ceph's PGs active+clean again after a site's loss).
STEADY_WAIT = 120.0
OBSERVE = 15.0  # the least a fault lasts, the longest outage watched for (more while alerts are awaited)
SETTLE = 10.0  # after mending, for routing to come back before the next row (alerts resolve meanwhile)
Say = Callable[[str, str], None]  # (phase, detail)


@dataclass(frozen=True)
class Seen:
    """What one vantage (a site's connection to another) saw through a row: its outage (seconds None: it was
    not back before the rollback, as with a site lost) and whether its path answered before the fault."""

    vantage: Vantage
    outage: Outage
    steady: bool


@dataclass(frozen=True)
class Measurement:
    outage: Outage
    baseline: Steady  # the probes before the fault
    history: tuple[ProbeResult, ...]
    started: float  # wall clock (Unix seconds) of the first probe; the moments below count from it
    fault_s: float | None  # when the fault was injected (None: refused, the steady state did not hold)
    rollback_s: float | None  # when the rollback began
    after: Steady | None  # the steady state after the rollback and settling
    refused: str = ""  # why nothing was injected (the steady state, a guard rail); "" when it was
    seen: tuple[Seen, ...] = ()  # what each site saw of the others meanwhile
    alerts: tuple[AlertSeen, ...] = ()  # the alerts the fault should raise: when each fired and resolved

    @property
    def detected_s(self) -> float | None:
        """When the first probe after the fault was lost."""
        if self.fault_s is None:
            return None
        return next((p.sent for p in self.history if p.sent >= self.fault_s and not p.ok), None)

    @property
    def recovered_s(self) -> float | None:
        """When the first probe of the sustained answers that ended the outage left (its end on the probes'
        clock: ping slows down while unanswered, so this can come later than detection + the outage's probe
        count x the interval)."""
        if self.detected_s is None or self.outage.seconds is None:
            return None
        streak = 0
        after = [p for p in self.history if p.sent >= self.detected_s]
        for i, p in enumerate(after):
            streak = streak + 1 if p.ok else 0
            if streak == SUSTAINED:
                return after[i - SUSTAINED + 1].sent
        return None


def check(driver: FaultDriver, scenario: Scenario, seconds: float | None = None) -> Steady:
    """The steady-state hypothesis now: the scenario's path answers its last sustained probes (probed for
    CHECK seconds, or as long as SUSTAINED probes of its kind take, and more), and every service the target
    reports on is healthy. Probes too slow to send SUSTAINED in that time (each answer waits for a starved load
    balancer and API on two loaded cores) judge nothing: the path is probed again, twice as long each time, up to
    STARVED_STRETCH times the first window, unless more than HICCUP were lost (a path down is judged at once,
    however slowly its silent attempts time out)."""
    every = interval(scenario.probe)
    window = seconds if seconds is not None else max(CHECK, (SUSTAINED + 2) * every)
    longest = window * STARVED_STRETCH
    while True:
        history = _probed(driver, scenario, every, window)
        lost = sum(1 for p in history if not p.ok)
        if len(history) >= SUSTAINED or lost > HICCUP or window >= longest:
            break
        window *= 2
    path = steady(history, before=float("inf"))
    unhealthy = _unhealthy(driver)
    pace = history[-1].sent / (len(history) - 1) if len(history) > 1 else window
    return replace(path, ok=path.ok and not unhealthy, unhealthy=unhealthy, pace_s=pace)


def _probed(driver: FaultDriver, scenario: Scenario, every: float, seconds: float) -> list[ProbeResult]:
    probe = driver.probe(scenario.source, scenario.target, every, scenario.probe)
    try:
        time.sleep(seconds)
    finally:
        history = probe.stop()
    return history


# driver -> when its services last read all healthy (monotonic); weak: a driver gone takes its reading with it
_healthy_at: weakref.WeakKeyDictionary[object, float] = weakref.WeakKeyDictionary()


def _unhealthy(driver: FaultDriver) -> tuple[str, ...]:
    """The services not healthy. A reading that found all healthy less than HEALTH_FRESH seconds ago stands:
    a row's check after its rollback and the next row's check before its fault come back to back, nothing
    injected between, and reading every service of a lab takes seconds."""
    fresh = _healthy_at.get(driver)
    if fresh is not None and time.monotonic() - fresh < HEALTH_FRESH:
        return ()
    found = tuple(guard.unhealthy(driver))
    if found:
        _healthy_at.pop(driver, None)
    else:
        _healthy_at[driver] = time.monotonic()
    return found


def await_steady(driver: FaultDriver, scenario: Scenario, within: float | None = None) -> Steady:
    """The steady state once it holds, or as it last stood after `within` seconds (a deployment or the row
    before may still be converging: BGP, CARP, OSPF)."""
    deadline = time.monotonic() + (STEADY_WAIT if within is None else within)
    while True:
        found = check(driver, scenario)
        if found.ok or time.monotonic() >= deadline:
            return found


def measure_row(
    driver: FaultDriver,
    scenario: Scenario,
    cut: list[str],
    state: Path | None,
    say: Say,
    *,
    vantages: Sequence[Vantage] = (),
) -> Measurement:
    """The row measured; `vantages` (the sites' connections to each other) are probed through it as well, and
    the alerts the target's monitoring should raise for the fault are awaited (fired, then resolved)."""
    before = await_steady(driver, scenario)
    say("steady", before.text)
    if not before.ok:  # never inject into a platform that is already broken
        why = "the steady state did not hold before the fault"
        say("refused", why)
        return refused(before, why)
    wanted = alerts.expected(driver, scenario.faults)
    asked = time.time()
    probe = driver.probe(scenario.source, scenario.target, interval(scenario.probe), scenario.probe)
    watching = _watch(driver, vantages, probe)
    observe = max(OBSERVE, alerts.longest_bound(wanted) + ALERT_MARGIN)
    probes = [probe, *(handle for _, handle in watching)]
    window = _inject(
        driver,
        scenario.name,
        cut,
        state,
        observe=observe,
        say=say,
        stop=probes,
        baseline=baseline_s(before),
        enough=lambda fault_at: alerts.all_fired(driver, wanted, fault_at),
    )
    say("rolled back", _count(len(cut), "component"))
    # On the probes' own time: their first one left `lag` seconds after the probe was asked for.
    origin = probe.origin if probe.origin is not None else asked
    fault_s, rollback_s = window.fault_at - origin, window.mended_at - origin
    history = window.histories[0]
    outage = measure(history, interval(scenario.probe), after=fault_s)
    baseline = steady(history, fault_s)
    if not baseline.ok:  # the path was down when the fault came: no outage can be said to begin there
        outage = Outage(None, outage.lost, outage.probes)
    seen = tuple(
        _seen(v, h.origin, found, window)
        for (v, h), found in zip(watching, window.histories[1:], strict=True)
    )
    raised = alerts.seen(driver, wanted, window.fault_at, window.mended_at)
    time.sleep(max(0.0, window.mended_at + SETTLE - time.time()))  # what the resolutions left of it
    after = await_steady(driver, scenario)  # the services' own recovery (a Galera node's rejoin) counts
    verdict = "holds again" if after.ok else "does NOT hold again"
    told = f"; alerts {alerts.summary(raised)}" if raised else ""
    say("measured", f"outage {outage.text}; after the rollback the steady state {verdict}{told}")
    return Measurement(
        outage, baseline, tuple(history), origin, fault_s, rollback_s, after, seen=seen, alerts=raised
    )


def _watch(
    driver: FaultDriver, vantages: Sequence[Vantage], row: ProbeHandle
) -> list[tuple[Vantage, ProbeHandle]]:
    """The vantages' probes started; if one cannot start, those already running (and the row's) stop."""
    watching: list[tuple[Vantage, ProbeHandle]] = []
    try:
        for v in vantages:
            watching.append((v, driver.probe(v.source, v.target, VANTAGE_INTERVAL, v.probe)))
    except BaseException:
        for handle in (row, *(h for _, h in watching)):
            handle.stop()
        raise
    return watching


def interval(probe: str) -> float:
    """Seconds between two probes of a kind: one pace for the paths and the APIs (an HTTP probe every 0.1 s left
    too few baseline answers on two loaded cores, where one slow answer failed the steady state), a slower one
    for a Ceph client (each attempt is a write per placement group)."""
    if probe == "rados":
        return RADOS_INTERVAL
    return HTTP_INTERVAL if probe.startswith("http:") else INTERVAL


@dataclass(frozen=True)
class _Window:
    fault_at: float  # wall-clock time of the injection
    mended_at: float  # and of the rollback
    histories: list[list[ProbeResult]]  # of the probes stopped, in their order
    baseline_s: float  # probed before the fault


def _inject(
    driver: FaultDriver,
    name: str,
    cut: list[str],
    state: Path | None,
    *,
    observe: float,
    say: Say,
    stop: Sequence[ProbeHandle],
    enough: Callable[[float], bool] = lambda _: True,
    baseline: float | None = None,
) -> _Window:
    """The baseline, the fault journaled then injected, watched for OBSERVE seconds at least and until
    `enough(fault_at)` says every alert it should raise was notified, `observe` at most; always rolled back
    (also on SIGINT or SIGTERM); the probes stopped."""
    fault_at = None
    lead = BASELINE if baseline is None else baseline
    _healthy_at.pop(driver, None)  # from the fault on, only a new reading says what is healthy
    with _terminate_as_interrupt():
        try:
            time.sleep(lead)
            if state is not None:
                injected.write(state, name, cut)  # journaled before it is done
            fault_at = time.time()
            driver.set_components(cut, False)  # at once: a site's loss is one event
            say("injected", f"{_count(len(cut), 'component')} in {time.time() - fault_at:.2f} s")
            time.sleep(OBSERVE)
            while time.time() < fault_at + observe and not enough(fault_at):
                time.sleep(0.5)
        finally:
            mended_at = time.time()
            try:
                _rollback(driver, cut, state)
            finally:
                histories = [handle.stop() for handle in stop]
    return _Window(fault_at if fault_at is not None else mended_at, mended_at, histories, lead)


def _seen(vantage: Vantage, origin: float | None, history: list[ProbeResult], window: _Window) -> Seen:
    """A vantage's outage, on its own probes' clock (its origin: Unix time of its first probe)."""
    fault_s = window.fault_at - origin if origin is not None else window.baseline_s
    path = steady(history, fault_s)
    outage = measure(history, VANTAGE_INTERVAL, after=fault_s)
    return Seen(vantage, outage if path.ok else Outage(None, outage.lost, outage.probes), path.ok)


def baseline_s(before: Steady) -> float:
    """How long the row probes before its fault: BASELINE, or twice what the steady-state check took to send
    the probes the baseline needs, at the pace it saw (a starved HTTP probe sends a few a second)."""
    return max(BASELINE, 2 * (SUSTAINED + 2) * before.pace_s)


def refused(before: Steady, why: str) -> Measurement:
    """A row that injected nothing, and why."""
    return Measurement(Outage(None, 0, 0), before, (), time.time(), None, None, None, why)


def _rollback(driver: FaultDriver, cut: list[str], state: Path | None) -> None:
    """Mend everything, with SIGINT and SIGTERM held back until it is done (a second Ctrl-C must not leave
    half the fault in place); the journal is cleared only once all is mended."""
    held = {signal.SIGINT, signal.SIGTERM}
    main = threading.current_thread() is threading.main_thread()
    if main:
        signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        failed = []
        for component in cut:  # every one is tried: one that does not come back must not keep the others cut
            try:
                driver.set_component(component, True)
            except TrisiteError as exc:
                failed.append(f"{component}: {exc}")
        if failed:  # the journal keeps the fault: the next run mends it first
            raise DriverError(f"the rollback left {len(failed)} component(s) cut: {'; '.join(failed)}")
        if state is not None:
            injected.clear(state)
    finally:
        if main:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM rolls back like SIGINT does (a KeyboardInterrupt), while a fault may be injected."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
