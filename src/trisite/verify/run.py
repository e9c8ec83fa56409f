"""`verify`: findings, sweeps and availability of a design, in one report with a stable JSON form."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from trisite.model import Design
from trisite.model.source import SourceMap
from trisite.verify import (
    rules_design,
    rules_flows,
    rules_objectives,
    rules_paths,
    rules_quorum,
    rules_risks,
    rules_sweep,
    rules_versions,
    sweep,
)
from trisite.verify.availability import DISASTERS, ServiceAvailability, analytic, monte_carlo
from trisite.verify.findings import Finding
from trisite.verify.reliability import budget_s
from trisite.verify.sweep import Scenario
from trisite.verify.twin import Twin


@dataclass(frozen=True)
class VerifyReport:
    design: Design
    findings: list[Finding]
    components: int
    classes: int
    singles: list[Scenario]
    sites: list[Scenario]
    man: list[Scenario]
    doubles: list[Scenario]
    doubles_evaluated: int
    doubles_represented: int
    availability: list[ServiceAvailability]
    without_disasters: list[
        ServiceAvailability
    ]  # whole sites never lost: what contracts without force majeure say
    monte_carlo: dict[
        str, float
    ]  # service -> simulated P(down), site disasters included (empty when not run)
    seconds: float

    @property
    def budget_s(self) -> float:
        return budget_s(self.design)

    @property
    def over_budget(self) -> list[ServiceAvailability]:
        return [a for a in self.availability if a.counts_for_verdict and a.downtime_s > self.budget_s]

    @property
    def misses_because(self) -> list[str]:
        """Why the design does not meet its target: services over the budget, and each critical finding (a
        flaw that can stop a service whatever the probabilities say). Empty when it meets it."""
        return [
            *(f"{a.service}: {a.downtime_s:.0f} s a year" for a in self.over_budget),
            *(f"{f.rule} {f.subject}" for f in self.findings if f.severity == "critical"),
        ]

    @property
    def meets_target(self) -> bool:
        """One verdict for the headline, the JSON and the exit code (a critical finding exits 1 by default)."""
        return not self.misses_because


def verify(
    design: Design,
    *,
    today: dt.date,
    source: SourceMap | None = None,
    double: bool = True,
    workers: int = 1,
    monte_carlo_samples: int = 0,
) -> VerifyReport:
    """Everything verify knows about a design. `today` dates the end-of-life checks (no clock inside)."""
    started = time.perf_counter()
    twin = Twin(design)
    groups = sweep.classes(twin)
    singles = sweep.single(twin, groups)
    doubles, evaluated = sweep.double(twin, groups, workers) if double else ([], 0)
    site_scenarios = sweep.sites(twin)
    # The verdict counts site disasters: losing a site is what three sites are for (a quorum living on one
    # site passes without them).
    availability = analytic(twin, singles, doubles)
    without_disasters = analytic(twin, singles, doubles, exclude=DISASTERS)
    simulated = (
        monte_carlo(
            twin, [a.service for a in availability if a.counts_for_verdict], monte_carlo_samples, seed=1
        )
        if monte_carlo_samples
        else {}
    )

    findings = [
        *rules_design.check(design, twin.topology),
        *rules_quorum.check(design, twin.topology),
        *rules_risks.check(design, twin.topology.ix),
        *rules_paths.check(design, twin.topology.ix),
        *rules_paths.latency(design, twin.topology.ix),
        *rules_flows.check(design),
        *rules_versions.check(design, today),
        *rules_sweep.spof(singles),
        *rules_sweep.site_loss(twin, site_scenarios),
        *rules_objectives.check(twin, singles, site_scenarios),
        *rules_sweep.verdict(twin, availability),
    ]
    if source is not None:
        findings = [_located(f, source) for f in findings]
    represented = sum(w for _, w in sweep.pairs(groups)) if double else 0
    return VerifyReport(
        design,
        sorted(findings, key=Finding.sort_key),
        len(twin.components),
        len(groups),
        singles,
        site_scenarios,
        sweep.man_cuts(twin),
        doubles,
        evaluated,
        represented,
        availability,
        without_disasters,
        simulated,
        time.perf_counter() - started,
    )


def _located(finding: Finding, source: SourceMap) -> Finding:
    if not finding.path:
        return finding
    return Finding(
        finding.rule,
        finding.severity,
        finding.subject,
        finding.message,
        finding.hint,
        finding.path,
        str(source.locate(finding.path)),
    )
