"""A failover campaign as the seed's table (row, expected, measured outage, prediction, Ok / Not ok, how it was
obtained), the JSON journal, JUnit XML (one testcase per scenario) and Markdown. Pure: values in, text out."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

from trisite.prove.alerts import summary
from trisite.prove.campaign import Campaign, Result
from trisite.prove.measure import Seen, interval
from trisite.report.controls import controls
from trisite.report.table import Table, markdown

# Of the JSON form: 2 adds the journal (histories, moments, versions, the design's hash); 3 what each site saw
# of the others (seen_from_sites), the refusals and the unhealthy services of the steady state.
SCHEMA_VERSION = 3
COLUMNS = ("row", "expected", "measured outage", "prediction", "result", "how obtained")


def seconds(value: float | None, none: str = "-") -> str:
    """A duration as people read it: 0.28 s, 12.5 s, 6 min; never a raw float."""
    if value is None:
        return none
    if value < 10:
        return f"{value:.2f} s"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def expected(r: Result) -> str:
    """What the row must show: within the bound of the twin's prediction, and the design's objective."""
    parts = []
    if r.obtained != "twin" and r.bound is not None:
        parts.append(f"<= {seconds(r.bound)} (prediction x1.5 + 1 s)")
    if r.objective is not None:
        parts.append(f"<= {seconds(r.objective)} (objective)")
    return "; ".join(parts) or "recovers"


def measured(r: Result) -> str:
    if r.obtained == "twin":
        return "not measured"
    if r.run is not None and r.run.fault_s is None:
        return f"refused: {r.run.refused or 'the steady state did not hold'}"
    return r.measured.text


def how(r: Result) -> str:
    if r.target == "twin":
        return f"twin (on the lab: {r.scenario.lab})"
    if r.obtained == "twin" and r.scenario.lab == "measured":
        return f"twin (not injected on this run: {r.note or 'the target cannot'})"
    return f"{r.obtained} ({r.scenario.why})"


def row(r: Result) -> tuple[str, ...]:
    prediction = "stays down" if r.predicted is None else seconds(r.predicted)
    return (r.scenario.name, expected(r), measured(r), prediction, "Ok" if r.ok else "Not ok", how(r))


def paces(campaign: Campaign) -> str:
    """The probes' kinds and how often each is sent: 'icmp, http:443 probes every 20 ms; rados every 100 ms'."""
    kinds = sorted({r.scenario.probe for r in campaign.results if r.obtained != "twin"})
    by_pace: dict[float, list[str]] = {}
    for kind in kinds:
        by_pace.setdefault(campaign.interval_s if kind != "rados" else interval(kind), []).append(kind)
    said = [f"{', '.join(k)} every {pace * 1000:g} ms" for pace, k in sorted(by_pace.items())]
    return "; ".join(said).replace(" every", " probes every", 1)


def campaign_table(campaign: Campaign) -> Table:
    kinds = paces(campaign)
    probes = kinds if kinds else "predicted by the twin, nothing injected"
    return Table(
        f"Failover campaign on the {campaign.target} ({probes})",
        COLUMNS,
        tuple(row(r) for r in campaign.results),
    )


def headline(campaign: Campaign) -> str:
    passed = sum(r.ok for r in campaign.results)
    by = {k: sum(r.obtained == k for r in campaign.results) for k in ("measured", "emulated", "twin")}
    obtained = ", ".join(f"{n} {k}" for k, n in by.items() if n)
    raised = [a for r in campaign.results for a in r.alerts]
    told = f" Alerts: {summary(raised)}." if raised else ""
    return (
        f"{campaign.design}: {passed}/{len(campaign.results)} rows Ok on the {campaign.target} ({obtained}; "
        f"started {campaign.started}).{told}"
    )


def alerts_table(campaign: Campaign) -> Table:
    """Monitoring proven: each alert the rendered rules define for a row's fault, fired within its bound and
    resolved after the rollback."""
    return Table(
        "Monitoring proven: the alerts of each fault",
        ("row", "alert", "bound", "fired after", "resolved after", "result"),
        tuple(
            (
                r.scenario.name,
                a.name,
                seconds(a.bound_s),
                seconds(a.to_alert_s, "never"),
                seconds(a.to_resolve_s, "never"),
                "Ok" if a.fired and a.resolved else "Not ok",
            )
            for r in campaign.results
            for a in r.alerts
        ),
    )


def to_markdown(campaign: Campaign) -> str:
    recovered = (
        f" Before it, a killed campaign's fault was rolled back: {', '.join(campaign.recovered)}."
        if campaign.recovered
        else ""
    )
    return markdown(
        [
            campaign_table(campaign),
            calibration_table(campaign),
            sites_table(campaign),
            controls_table(campaign),
        ],
        f"Failover campaign of {campaign.design}",
        headline(campaign) + recovered,
    )


def _prediction(r: Result) -> str:
    """The worst case, or the range a takeover timed from the last advert may end in."""
    if r.predicted is None or r.phase <= 0:
        return seconds(r.predicted, "stays down")
    return f"{r.predicted - r.phase:.2f}-{seconds(r.predicted)}"


def calibration_table(campaign: Campaign) -> Table:
    """The twin against the measurements: within max(30 %, 0.3 s), or why not."""
    measured_rows = [r for r in campaign.results if r.obtained != "twin" and r.measured.seconds is not None]
    return Table(
        "The twin against the measurements (tolerance: max(30 %, 0.3 s))",
        ("row", "measured", "predicted", "the twin"),
        tuple(
            (
                r.scenario.name,
                seconds(r.measured.seconds),
                _prediction(r),
                "within the tolerance" if r.divergence is None else f"diverges: {r.divergence}",
            )
            for r in measured_rows
        ),
    )


def sites_table(campaign: Campaign) -> Table:
    """What each site saw of the others through each measured row (its connection's outage)."""
    labels = sorted({s.vantage.label for r in campaign.results if r.run for s in r.run.seen})
    rows = []
    for r in campaign.results:
        if r.run is None or not r.run.seen:
            continue
        by_label = {s.vantage.label: s for s in r.run.seen}
        rows.append((r.scenario.name, *(_seen(by_label.get(label)) for label in labels)))
    return Table("What each site saw of the others meanwhile", ("row", *labels), tuple(rows))


def _seen(seen: Seen | None) -> str:
    if seen is None:
        return "-"
    if not seen.steady:
        return "down before"
    return "down until the rollback" if seen.outage.seconds is None else seconds(seen.outage.seconds)


def controls_table(campaign: Campaign) -> Table:
    return Table(
        "Continuity controls evidenced",
        ("row", "controls", "objective", "expected", "result"),
        tuple(
            (
                r.scenario.name,
                ", ".join(c.id for c in controls(r.scenario.faults, r.scenario.site_loss)),
                seconds(r.objective, "not set"),
                expected(r),
                f"{'Ok' if r.ok else 'Not ok'}: {measured(r) if r.obtained != 'twin' else 'predicted'} "
                f"{seconds(r.value, 'stays down')}",
            )
            for r in campaign.results
        ),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _wall(start: float, offset: float | None) -> str | None:
    if offset is None:
        return None
    return dt.datetime.fromtimestamp(start + offset, dt.UTC).isoformat(timespec="milliseconds")


def _moments(r: Result) -> dict[str, Any] | None:
    m = r.run
    if m is None:
        return None
    return {
        "probing": _wall(m.started, 0.0),
        "fault": _wall(m.started, m.fault_s),
        "detected": _wall(m.started, m.detected_s),
        "recovered": _wall(m.started, m.recovered_s),
        "rollback": _wall(m.started, m.rollback_s),
    }


def _result(r: Result) -> dict[str, Any]:
    return {
        "test": r.scenario.name,
        "key": r.scenario.key,
        "ok": r.ok,
        "obtained": r.obtained,
        "why": r.scenario.why,
        "faults": list(r.scenario.faults),
        "services": list(r.scenario.services),
        "probe": {"from": r.scenario.source, "to": r.scenario.target, "kind": r.scenario.probe},
        "measured_s": _round(r.measured.seconds),
        "lost": r.measured.lost,
        "probes": r.measured.probes,
        "baseline": {
            "ok": r.baseline.ok,
            "lost": r.baseline.lost,
            "probes": r.baseline.probes,
            "unhealthy": list(r.baseline.unhealthy),
        },
        "after": None if r.run is None or r.run.after is None else r.run.after.ok,
        "refused": r.run.refused if r.run is not None and r.run.refused else None,
        "alerts": [
            {
                "alert": a.name,
                "bound_s": _round(a.bound_s),
                "fired_after_s": _round(a.to_alert_s),
                "resolved_after_s": _round(a.to_resolve_s),
                "ok": a.fired and a.resolved,
            }
            for a in r.alerts
        ],
        "seen_from_sites": [
            {
                "vantage": s.vantage.label,
                "from": s.vantage.source,
                "to": s.vantage.target,
                "kind": s.vantage.probe,
                "steady": s.steady,
                "outage_s": _round(s.outage.seconds),
                "lost": s.outage.lost,
            }
            for s in (r.run.seen if r.run else ())
        ],
        "predicted_s": _round(r.predicted),
        "phase_s": _round(r.phase),
        "divergence": r.divergence,
        "bound_s": _round(r.bound),
        "objective_s": _round(r.objective),
        "controls": [c.id + " " + c.title for c in controls(r.scenario.faults, r.scenario.site_loss)],
        "moments": _moments(r),
        # the history as [seconds since probing began, answered]: checked after the fact, as Jepsen does
        "history": [[round(p.sent, 4), p.ok] for p in r.history],
    }


def to_dict(campaign: Campaign, version: str = "") -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "trisite": version,
        "design": campaign.design,
        "design_sha256": campaign.design_sha256,
        "target": campaign.target,
        "started": campaign.started,
        "finished": campaign.finished,
        "recovered_before": list(campaign.recovered),
        "probe_interval_s": campaign.interval_s,
        "ok": campaign.ok,
        "results": [_result(r) for r in campaign.results],
    }


def to_json(campaign: Campaign, version: str = "") -> str:
    return json.dumps(to_dict(campaign, version), indent=1, sort_keys=True) + "\n"


def to_junit(campaign: Campaign) -> str:
    """One testsuite, one testcase per row: a failure when Not ok; a row the twin predicts on a target that
    could measure is `skipped` (not measured, said why) unless its prediction fails."""
    failures = sum(not r.ok for r in campaign.results)
    suites = ET.Element("testsuites", name=f"trisite prove {campaign.design}")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"trisite prove {campaign.design} ({campaign.target})",
        tests=str(len(campaign.results)),
        failures=str(failures),
        skipped=str(sum(_skipped(r) for r in campaign.results)),
        timestamp=campaign.started,
    )
    for r in campaign.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"prove.{campaign.target}", name=r.scenario.name, time=_time(r)
        )
        if not r.ok:
            failure = ET.SubElement(case, "failure", type="outage", message=f"expected {expected(r)}")
            failure.text = f"measured: {measured(r)}\nprediction: {seconds(r.predicted, 'stays down')}\n"
            if r.alerts:
                failure.text += f"alerts: {summary(r.alerts)}\n"
        elif _skipped(r):
            ET.SubElement(case, "skipped", message=f"predicted by the twin only: {r.scenario.why}")
        ET.SubElement(case, "system-out").text = " | ".join(row(r)) + "\n"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _skipped(r: Result) -> bool:
    return r.ok and r.obtained == "twin" and r.target != "twin"


def _time(r: Result) -> str:
    m = r.run
    return f"{(m.rollback_s or 0.0) if m else 0.0:.3f}"
