"""Run a campaign: each row injected and measured on the target, or predicted by the twin, and held against
the twin's prediction and the design's objective.

Emulated runs prove function; a real site run proves timing: each result says how it was obtained."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trisite.drivers.protocols import FaultDriver, ProbeResult
from trisite.errors import DriverError
from trisite.model import Design, Index
from trisite.prove.alerts import AlertSeen
from trisite.prove.divergence import explain
from trisite.prove.guard import missing_layers, refusal
from trisite.prove.measure import BASELINE, INTERVAL, Measurement, measure_row, refused
from trisite.prove.outage import Outage, Steady
from trisite.prove.scenarios import Obtained, Scenario, Vantage
from trisite.prove.sketch import Sketch, sketch
from trisite.verify.convergence import for_target
from trisite.verify.rules_objectives import objective
from trisite.verify.twin import Twin

FINISHED = ("measured", "predicted", "refused")  # a row's last phase, said once per row
MARGIN_S, MARGIN_RATIO = 1.0, 1.5  # the lab's scheduling jitter, ARP and STP on top of the protocols' timers
__all__ = ["BASELINE", "INTERVAL", "Campaign", "Event", "Result", "run"]


@dataclass(frozen=True)
class Event:
    """A moment of a campaign, for a progress display: row `index` of `total`, in `phase`."""

    index: int
    total: int
    scenario: str
    phase: str  # steady, injected, rolled back, measured, predicted, refused, recovered
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.scenario}: {self.phase}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    measured: Outage  # never measured (a twin row): seconds None, 0 probes
    predicted: float | None  # seconds; None when the twin predicts the service stays down
    target: str  # "twin", "lab" or "site"
    baseline: Steady = field(default_factory=lambda: Steady(True, 0, 0))
    obtained: Obtained = "measured"
    objective: float | None = None  # the design's objective for the services (seconds); None: not set
    run: Measurement | None = None  # the probe history and its moments, for a measured row
    phase: float = 0.0  # the outage may end this much sooner than predicted (a takeover's last advert)
    note: str = ""  # why a row the target could measure was predicted instead

    @property
    def bound(self) -> float | None:
        return None if self.predicted is None else self.predicted * MARGIN_RATIO + MARGIN_S

    @property
    def value(self) -> float | None:
        """The row's outage: measured, or the twin's when the row is the twin's."""
        return self.measured.seconds if self.obtained != "twin" else self.predicted

    @property
    def ok(self) -> bool:
        if self.value is None or (self.objective is not None and self.value > self.objective):
            return False
        if not all(a.fired and a.resolved for a in self.alerts):  # the monitoring saw it, and saw it end
            return False
        return self.obtained == "twin" or (self.bound is not None and self.value <= self.bound)

    @property
    def alerts(self) -> tuple[AlertSeen, ...]:
        return self.run.alerts if self.run else ()

    @property
    def divergence(self) -> str | None:
        """Why the twin's prediction is off the measurement by more than max(30 %, 0.3 s); None when it is not."""
        if self.obtained == "twin":
            return None
        return explain(self.scenario.faults, self.measured.seconds, self.predicted, self.phase)

    @property
    def history(self) -> tuple[ProbeResult, ...]:
        return self.run.history if self.run else ()


@dataclass(frozen=True)
class Campaign:
    """One run of scenarios on one target: what the report stage turns into tables, JSON, JUnit and HTML."""

    design: str  # the platform's name
    target: str
    started: str  # wall-clock time (UTC, ISO 8601) when the first scenario began
    interval_s: float  # between two probes
    results: tuple[Result, ...]
    design_sha256: str = ""
    finished: str = ""
    recovered: tuple[str, ...] = ()  # what a killed campaign had left injected, mended before this one
    sketch: Sketch = field(default_factory=lambda: Sketch((), ()))  # the platform, for the report's picture

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


@dataclass(frozen=True)
class Expectation:
    """The twin's answer for a scenario: the worst outage of its services, how much sooner that one may end,
    and the design's objective for it (the tightest, when several services share the worst outage)."""

    outage: float | None  # None: the twin predicts the service stays down
    phase: float
    objective: float | None


def expectation(twin: Twin, scenario: Scenario, failed: list[str]) -> Expectation:
    services = twin.evaluate(frozenset(failed)).services
    relevant = {name: s for name, s in services.items() if name.startswith(scenario.services)}
    worst = max((s.outage_s for s in relevant.values()), default=0.0)
    at_worst = [name for name, s in relevant.items() if s.outage_s == worst]
    limits = [_limit(twin, name, scenario.site_loss) for name in at_worst]
    known = [limit for limit in limits if limit is not None]
    phase = min((relevant[name].phase_s for name in at_worst), default=0.0)
    return Expectation(None if math.isinf(worst) else worst, phase, min(known) if known else None)


def _limit(twin: Twin, service: str, site_loss: bool) -> float | None:
    chosen = objective(twin.design.objectives, service)
    return chosen.site_loss_s if site_loss else chosen.single_failure_s


def _components(driver: FaultDriver | None, twin: Twin, scenario: Scenario) -> tuple[list[str], list[str]]:
    """What to cut on the target, and what failed for the twin."""
    cut, failed = [], []
    for fault in scenario.faults:
        if fault.startswith("device:"):
            device = fault.split(":", 1)[1]
            cut += driver.components_of(device) if driver else []
            failed.append(next(c.id for c in twin.components if c.name == device))
        elif fault.startswith("site:"):
            cut += site_components(twin.design, fault.removeprefix("site:"), driver) if driver else []
            failed.append(fault)
        elif fault.startswith("bgp:"):  # the operator closes the line's sessions, the line staying up
            cut.append(fault)
            failed.append("session:" + fault.removeprefix("bgp:"))
        else:
            cut.append(fault)
            failed.append(fault)
    return sorted(set(cut)), list(scenario.twin_faults) or failed


def site_components(design: Design, site: str, driver: FaultDriver) -> list[str]:
    """What losing a whole site cuts: every link of its devices and of the VMs running there (its lines and
    MAN links with them)."""
    ix = Index.of(design)
    at_site = [name for name in ix.hosts if ix.site_of(name) == site]
    return sorted({c for device in at_site for c in driver.components_of(device)})


def run(
    design: Design,
    driver: FaultDriver | None,
    scenarios: list[Scenario],
    *,
    target: str = "lab",
    state: Path | None = None,
    design_sha256: str = "",
    on_event: Callable[[Event], None] = lambda _: None,
    vantages: Sequence[Vantage] = (),
) -> Campaign:
    """Every scenario in turn: a measured row on the driver (None: the twin target, every row predicted); the
    fault of a measured row is journaled in `state` (when given) until it is rolled back. The twin predicts
    with the target's convergence profile (the lab's measured internet, or the site's estimates)."""
    twin = Twin(design, for_target(target))
    started = _now()
    results = []
    for index, scenario in enumerate(scenarios, 1):
        event = Event(index, len(scenarios), scenario.name, "")
        results.append(
            _row(
                twin,
                driver,
                scenario,
                event,
                target=target,
                state=state,
                on_event=on_event,
                vantages=vantages,
            )
        )
    return Campaign(
        design.platform.name,
        target,
        started,
        INTERVAL,
        tuple(results),
        design_sha256,
        _now(),
        sketch=sketch(design),
    )


def _row(
    twin: Twin,
    driver: FaultDriver | None,
    scenario: Scenario,
    event: Event,
    *,
    target: str,
    state: Path | None,
    on_event: Callable[[Event], None],
    vantages: Sequence[Vantage],
) -> Result:
    cut, failed = _components(driver, twin, scenario)
    expected = expectation(twin, scenario, failed)
    predicted, limit = expected.outage, expected.objective
    missing = missing_layers(driver, scenario)
    if driver is None or scenario.lab != "measured" or missing:
        on_event(
            _with(event, "predicted", "stays down" if predicted is None else f"outage {predicted:.2f} s")
        )
        note = f"the lab runs no {', '.join(missing)} (lab up --services)" if missing else ""
        return Result(
            scenario, Outage(None, 0, 0), predicted, target, obtained="twin", objective=limit, note=note
        )
    stop = refusal(twin, scenario, failed)
    if stop is not None:
        on_event(_with(event, "refused", stop))
        measurement = refused(Steady(False, 0, 0), stop)
    else:
        try:
            measurement = measure_row(
                driver,
                scenario,
                cut,
                state,
                lambda phase, detail: on_event(_with(event, phase, detail)),
                vantages=vantages,
            )
        except (
            DriverError
        ) as exc:  # the row is Not ok and says why; the next row checks its steady state first
            on_event(_with(event, "failed", str(exc)))
            measurement = refused(Steady(False, 0, 0), f"the row could not be measured: {exc}")
    return Result(
        scenario,
        measurement.outage,
        predicted,
        target,
        measurement.baseline,
        "measured",
        limit,
        measurement,
        expected.phase,
    )


def _with(event: Event, phase: str, detail: str) -> Event:
    return Event(event.index, event.total, event.scenario, phase, detail)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
