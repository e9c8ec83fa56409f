"""The verify report as tables (for the terminal and Markdown) and as JSON."""

from __future__ import annotations

import json

from trisite.report.summary import Table
from trisite.verify.run import VerifyReport, to_dict
from trisite.verify.service import ServiceState
from trisite.verify.sweep import Scenario
from trisite.verify.timers import YEAR_S

TOP_DOUBLES = 15


def headline(report: VerifyReport) -> str:
    d = report.design.platform
    worst = max(
        (a for a in report.availability if a.counts_for_verdict), key=lambda a: a.downtime_s, default=None
    )
    verdict = "meets" if report.meets_target else "MISSES"
    figure = f"; worst service {worst.service}: {worst.downtime_s:.0f} s a year" if worst else ""
    counts = {s: sum(f.severity == s for f in report.findings) for s in ("critical", "warning", "info")}
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
        zip(report.availability, report.with_disasters, strict=True), key=lambda x: -x[0].downtime_s
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
        "with site disasters",
        *(("repairs with disasters, Monte Carlo",) if simulated else ()),
        "meets",
    )
    title = f"Availability (budget {report.budget_s:.0f} s a year; site disasters shown apart)"
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


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: VerifyReport) -> str:
    lines = [f"# Verification of {report.design.platform.name}", "", headline(report), ""]
    for table in tables(report):
        lines += [f"## {table.title}", ""]
        if not table.rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(table.columns) + " |")
        lines.append("|" + "---|" * len(table.columns))
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
        lines.append("")
    return "\n".join(lines)


def to_json(report: VerifyReport) -> str:
    return json.dumps(to_dict(report), indent=2, sort_keys=True) + "\n"
