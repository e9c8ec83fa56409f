"""The campaign as ONE self-contained HTML file an auditor can open anywhere: the seed's table, a timeline per
scenario, the platform with each fault marked, and the continuity controls each row evidences, with the design's
objectives, expected and measured results. Inline CSS and SVG only: no script, no font, no URL to fetch."""

from __future__ import annotations

from html import escape

from trisite.prove.campaign import Campaign, Result
from trisite.report import campaign as text
from trisite.report import svg
from trisite.report.controls import controls
from trisite.report.table import Table

STYLE = """
body { font: 14px/1.4 sans-serif; margin: 24px; color: #263238; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; } h3 { font-size: 15px; margin-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #b0bec5; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eceff1; }
td.ok { background: #e8f5e9; color: #1b5e20; font-weight: bold; }
td.notok { background: #ffebee; color: #b71c1c; font-weight: bold; }
section.scenario { border-top: 1px solid #cfd8dc; padding-top: 8px; }
p.meta, p.how { color: #455a64; margin: 2px 0; }
"""


def _table(table: Table, table_id: str) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows = []
    for cells in table.rows:
        tds = []
        for cell in cells:
            verdict = cell.split(":")[0]
            cls = ' class="ok"' if verdict == "Ok" else ' class="notok"' if verdict == "Not ok" else ""
            tds.append(f"<td{cls}>{escape(cell)}</td>")
        rows.append(f"<tr>{''.join(tds)}</tr>")
    return (
        f'<table id="{table_id}"><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _scenario(index: int, r: Result, campaign: Campaign) -> str:
    faults = ", ".join(r.scenario.faults)
    listed = "; ".join(f"{c.id} ({c.title})" for c in controls(r.scenario.faults, r.scenario.site_loss))
    probe = (
        f"{escape(r.scenario.probe)} probes from {escape(r.scenario.source)} to {escape(r.scenario.target)}"
        if r.obtained != "twin"
        else f"the twin's services {escape(', '.join(r.scenario.services))}"
    )
    steady = "" if r.run is None else f"<p class='meta'>{escape(r.baseline.text)}</p>"
    if r.divergence:
        steady += f"<p class='meta'>The twin diverges: {escape(r.divergence)}.</p>"
    return (
        f'<section class="scenario" id="scenario-{index:02d}"><h3>{index}. {escape(r.scenario.name)} '
        f"&mdash; {'Ok' if r.ok else 'Not ok'}</h3>"
        f"<p class='how'>How obtained: {escape(text.how(r))}. Fault: {escape(faults)}; {probe}.</p>"
        f"<p class='meta'>Expected {escape(text.expected(r))}; measured {escape(text.measured(r))}; "
        f"predicted {escape(text.seconds(r.predicted, 'stays down'))}. Controls: {escape(listed)}.</p>"
        f"{steady}{svg.timeline(r)}{svg.topology(campaign.sketch, r.scenario.faults)}</section>"
    )


def _alerts(campaign: Campaign) -> str:
    table = text.alerts_table(campaign)
    if not table.rows:
        return ""
    return f"<h2>Monitoring proven</h2>{_table(table, 'alerts-table')}"


def _sites(campaign: Campaign) -> str:
    table = text.sites_table(campaign)
    if not table.rows:
        return ""
    return f"<h2>What each site saw of the others</h2>{_table(table, 'sites-table')}"


def to_html(campaign: Campaign, version: str = "") -> str:
    recovered = (
        f"<p class='meta'>Before this campaign, a killed one's fault was rolled back: "
        f"{escape(', '.join(campaign.recovered))}.</p>"
        if campaign.recovered
        else ""
    )
    sections = "".join(_scenario(i, r, campaign) for i, r in enumerate(campaign.results, 1))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>Failover campaign of {escape(campaign.design)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Failover campaign of {escape(campaign.design)}</h1>"
        f"<p>{escape(text.headline(campaign))}</p>"
        f"<p class='meta'>Target {escape(campaign.target)}; from {escape(campaign.started)} to "
        f"{escape(campaign.finished)}; trisite {escape(version)}; sha256 of the design as loaded "
        f"{escape(campaign.design_sha256)}; "
        f"{escape(text.paces(campaign) or 'no probes')}; outage = first lost probe to the first of 10 answered "
        f"in a row.</p>{recovered}"
        f"<h2>The campaign</h2>{_table(text.campaign_table(campaign), 'campaign-table')}"
        f"<h2>The twin against the measurements</h2>{_table(text.calibration_table(campaign), 'twin-table')}"
        f"{_alerts(campaign)}{_sites(campaign)}"
        f"<h2>Continuity controls</h2>{_table(text.controls_table(campaign), 'controls-table')}"
        f"<h2>Timelines</h2>{sections}</body></html>\n"
    )
