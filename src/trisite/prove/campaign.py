"""Run failover scenarios for real: probe, break, measure, mend; hold each outage against the twin's prediction.

Emulated runs prove function; a real site run proves timing: the result says which target measured it."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from trisite.drivers.protocols import FaultDriver
from trisite.model import Design
from trisite.prove.outage import Outage, measure
from trisite.prove.scenarios import Scenario
from trisite.verify.convergence import for_target
from trisite.verify.twin import Twin

INTERVAL = 0.02  # seconds between probes (the report reads it from the campaign, never types it again)
BASELINE = 2.0  # probing before the fault, to prove the path works
OBSERVE = 15.0  # the longest an outage is watched for
SETTLE = 10.0  # after mending, the time given to routing to come back before the next test
MARGIN_S, MARGIN_RATIO = 1.0, 1.5  # the lab's scheduling jitter, ARP and STP on top of the protocols' timers


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    measured: Outage
    predicted: float | None  # seconds; None when the twin predicts the service stays down
    target: str  # "lab" or "site"

    @property
    def bound(self) -> float | None:
        return None if self.predicted is None else self.predicted * MARGIN_RATIO + MARGIN_S

    @property
    def ok(self) -> bool:
        if self.measured.seconds is None:
            return False
        return self.bound is not None and self.measured.seconds <= self.bound


@dataclass(frozen=True)
class Campaign:
    """One run of scenarios on one target: what the report stage turns into tables, JSON and Markdown."""

    design: str  # the platform's name
    target: str
    started: str  # wall-clock time (UTC, ISO 8601) when the first scenario began
    interval_s: float  # between two probes
    results: tuple[Result, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def predict(twin: Twin, scenario: Scenario, components: list[str]) -> float | None:
    services = twin.evaluate(frozenset(components)).services
    relevant = [s for name, s in services.items() if name.startswith(scenario.services)]
    worst = max((s.outage_s for s in relevant), default=0.0)
    return None if math.isinf(worst) else worst


def _components(driver: FaultDriver, twin: Twin, scenario: Scenario) -> tuple[list[str], list[str]]:
    """What to cut in the lab, and what failed for the twin."""
    cut, failed = [], []
    for fault in scenario.faults:
        if fault.startswith("device:"):
            device = fault.split(":", 1)[1]
            cut += driver.components_of(device)
            failed.append(next(c.id for c in twin.components if c.name == device))
        elif fault.startswith("bgp:"):  # the operator closes the line's sessions, the line staying up
            cut.append(fault)
            failed.append("session:" + fault.removeprefix("bgp:"))
        else:
            cut.append(fault)
            failed.append(fault)
    return sorted(set(cut)), failed


def run(
    design: Design,
    driver: FaultDriver,
    scenarios: list[Scenario],
    *,
    target: str = "lab",
    on_event: Callable[[str], None] = lambda _: None,
) -> Campaign:
    twin = Twin(design, for_target(target))
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results = []
    for scenario in scenarios:
        cut, failed = _components(driver, twin, scenario)
        probe = driver.probe(scenario.source, scenario.target, INTERVAL, scenario.probe)
        try:
            time.sleep(BASELINE)
            on_event(f"{scenario.name}: cutting {len(cut)} link{'' if len(cut) == 1 else 's'}")
            for component in cut:
                driver.set_component(component, False)
            time.sleep(OBSERVE)
        finally:
            for component in cut:  # rollback, always
                driver.set_component(component, True)
            history = probe.stop()
        outage = measure(history, INTERVAL, after=BASELINE)
        baseline_ok = all(p.ok for p in history if p.sent < BASELINE - 0.5) and history
        if not baseline_ok:
            outage = Outage(None, outage.lost, outage.probes)
        results.append(Result(scenario, outage, predict(twin, scenario, failed), target))
        on_event(f"{scenario.name}: outage {outage.text}")
        time.sleep(SETTLE)
    return Campaign(design.platform.name, target, started, INTERVAL, tuple(results))
