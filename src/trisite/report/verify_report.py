"""The verify report as tables (for the terminal and Markdown) and as JSON."""

from __future__ import annotations

import json
from typing import Any

from trisite.model.timers import YEAR_S
from trisite.report.table import Table, markdown
from trisite.verify.run import VerifyReport
from trisite.verify.service import ServiceState
from trisite.verify.sweep import Scenario

TOP_DOUBLES = 15
# Of the JSON form; raised when a field changes meaning or goes away. 2: downtime_s includes site disasters
# (without_disasters_s replaces with_disasters_s); meets_target also fails on a critical finding (misses_because).
SCHEMA_VERSION = 2


def headline(report: VerifyReport) -> str:
    d = report.design.platform
    worst = max(
        (a for a in report.availability if a.counts_for_verdict), key=lambda a: a.downtime_s, default=None
    )
    figure = f"; worst service {worst.service}: {worst.downtime_s:.0f} s a year" if worst else ""
    counts = {s: sum(f.severity == s for f in report.findings) for s in ("critical", "warning", "info")}
    if report.meets_target:
        verdict = "meets"
    else:
        over, reasons = len(report.over_budget), []
        if over:
            reasons.append(f"{over} service{'s' if over > 1 else ''} over the budget")
        if counts["critical"]:
            reasons.append(f"{counts['critical']} critical finding{'s' if counts['critical'] > 1 else ''}")
        verdict = f"MISSES ({' and '.join(reasons)})"
    return (
        f"{d.name}: {verdict} the {d.availability_target} % target ({report.budget_s:.0f} s a year){figure}. "
        f"Findings: {counts['critical']} critical, {counts['warning']} warning, {counts['info']} info. "
        f"{report.components} components in {report.classes} classes; "
        f"{report.doubles_evaluated} double failures evaluated for {report.doubles_represented}."
    )


def _outage(state: ServiceState) -> str:
    return "until repaired" if state.finite_outage is None else f"{state.finite_outage:g} s"


def _effects(sc: Scenario, limit: int = 6) -> tuple[str, str]:
    down = sc.down
    hit = sorted(
        ((n, s) for n, s in sc.changes.items() if s.status != "down" and s.outage_s > 0),
        key=lambda x: -x[1].outage_s,
    )
    shown_down = ", ".join(down[:limit]) + (f" (+{len(down) - limit})" if len(down) > limit else "")
    shown_hit = ", ".join(f"{n} {_outage(s)}" for n, s in hit[:limit]) + (
        f" (+{len(hit) - limit})" if len(hit) > limit else ""
    )
    return shown_down or "-", shown_hit or "-"


def findings_table(report: VerifyReport) -> Table:
    rows = tuple((f.severity, f.rule, f.subject, f"{f.message} ({f.hint})", f.where) for f in report.findings)
    return Table("Findings", ("severity", "rule", "subject", "what and how to fix", "where"), rows)


def scenario_table(title: str, scenarios: list[Scenario]) -> Table:
    rows = []
    for sc in scenarios:
        if not sc.changes:
            continue
        down, hit = _effects(sc)
        label = " + ".join(sc.failed) + (f" (x{sc.weight})" if sc.weight > 1 else "")
        rows.append((label, down, hit))
    return Table(title, ("failure", "services down", "services interrupted (predicted outage)"), tuple(rows))


def availability_table(report: VerifyReport) -> Table:
    simulated = bool(report.monte_carlo)
    rows = []
    pairs = sorted(
        zip(report.availability, report.without_disasters, strict=True), key=lambda x: -x[0].downtime_s
    )
    for a, d in pairs:
        if not a.counts_for_verdict:
            continue
        mc = (f"{report.monte_carlo.get(a.service, 0.0) * YEAR_S:.0f}",) if simulated else ()
        meets = "yes" if a.downtime_s <= report.budget_s else "NO"
        rows.append(
            (
                a.service,
                f"{a.downtime_s:.1f}",
                f"{a.structural_s:.1f}",
                f"{a.transient_s:.1f}",
                f"{a.percent:.5f}",
                f"{d.downtime_s:.0f}",
                *mc,
                meets,
            )
        )
    columns = (
        "service",
        "downtime s/yr",
        "repairs",
        "failovers",
        "percent",
        "without site disasters",
        *(("repairs, Monte Carlo",) if simulated else ()),
        "meets",
    )
    title = f"Availability (budget {report.budget_s:.0f} s a year; site disasters included)"
    return Table(title, columns, tuple(rows))


def tables(report: VerifyReport) -> list[Table]:
    doubles = sorted(report.doubles, key=lambda s: (-len(s.down), s.failed))[:TOP_DOUBLES]
    return [
        findings_table(report),
        scenario_table("Site losses", report.sites),
        scenario_table("MAN cuts", report.man),
        scenario_table("Single failures (N-1)", report.singles),
        scenario_table(
            f"Double failures that take services down (N-2, {len(report.doubles)} of "
            f"{report.doubles_evaluated}; worst {TOP_DOUBLES})",
            doubles,
        ),
        availability_table(report),
    ]


def to_markdown(report: VerifyReport) -> str:
    return markdown(tables(report), f"Verification of {report.design.platform.name}", headline(report))


def to_json(report: VerifyReport) -> str:
    return json.dumps(to_dict(report), indent=2, sort_keys=True) + "\n"


def _scenario(sc: Scenario) -> dict[str, Any]:
    return {
        "failed": list(sc.failed),
        "represents": sc.weight,
        "services": {
            n: {"status": s.status, "outage_s": s.finite_outage, "detail": s.detail}
            for n, s in sorted(sc.changes.items())
        },
    }


def to_dict(report: VerifyReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "design": report.design.platform.name,
        "target_percent": report.design.platform.availability_target,
        "budget_s": round(report.budget_s, 1),
        "meets_target": report.meets_target,
        "misses_because": report.misses_because,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "subject": f.subject,
                "message": f.message,
                "hint": f.hint,
                "where": f.where,
            }
            for f in report.findings
        ],
        "sweeps": {
            "components": report.components,
            "classes": report.classes,
            "single": [_scenario(s) for s in report.singles if s.changes],
            "sites": [_scenario(s) for s in report.sites],
            "man_cuts": [_scenario(s) for s in report.man],
            "double": {
                "evaluated": report.doubles_evaluated,
                "represented": report.doubles_represented,
                "with_services_down": [_scenario(s) for s in report.doubles],
            },
        },
        "availability": [
            {
                "service": a.service,
                "downtime_s": round(a.downtime_s, 3),
                "structural_s": round(a.structural_s, 3),
                "transient_s": round(a.transient_s, 3),
                "percent": round(a.percent, 6),
                "counts_for_verdict": a.counts_for_verdict,
                "without_disasters_s": round(d.downtime_s, 3),
                "monte_carlo_down_s": (
                    round(report.monte_carlo[a.service] * YEAR_S, 1)
                    if a.service in report.monte_carlo
                    else None
                ),
            }
            for a, d in zip(report.availability, report.without_disasters, strict=True)
        ],
    }
