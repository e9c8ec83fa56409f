"""A failover campaign as the seed's table (test, result, measured outage, expected bound), JSON and Markdown."""

from __future__ import annotations

import json
from typing import Any

from trisite.prove.campaign import Campaign, Result
from trisite.report.table import Table, markdown

SCHEMA_VERSION = 1  # of the JSON form


def _row(r: Result) -> tuple[str, ...]:
    return (
        r.scenario.name,
        "Ok" if r.ok else "FAILED",
        r.measured.text,
        "stays down" if r.predicted is None else f"{r.predicted:.2f} s",
        "none" if r.bound is None else f"{r.bound:.2f} s",
        f"{r.measured.lost}/{r.measured.probes}",
        r.target,
    )


def campaign_table(campaign: Campaign) -> Table:
    kinds = sorted({r.scenario.probe for r in campaign.results}) or ["icmp"]
    every = f"{campaign.interval_s * 1000:g} ms"
    return Table(
        f"Failover tests (measured; {', '.join(kinds)} probes every {every})",
        ("test", "result", "measured outage", "predicted", "bound", "lost probes", "measured on"),
        tuple(_row(r) for r in campaign.results),
    )


def headline(campaign: Campaign) -> str:
    passed = sum(r.ok for r in campaign.results)
    return (
        f"{campaign.design}: {passed}/{len(campaign.results)} failover tests Ok on the {campaign.target} "
        f"(started {campaign.started})."
    )


def to_markdown(campaign: Campaign) -> str:
    return markdown([campaign_table(campaign)], f"Failover tests of {campaign.design}", headline(campaign))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def to_dict(campaign: Campaign) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "design": campaign.design,
        "target": campaign.target,
        "started": campaign.started,
        "probe_interval_s": campaign.interval_s,
        "ok": campaign.ok,
        "results": [
            {
                "test": r.scenario.name,
                "ok": r.ok,
                "faults": list(r.scenario.faults),
                "probe": {"from": r.scenario.source, "to": r.scenario.target, "kind": r.scenario.probe},
                "measured_s": _round(r.measured.seconds),
                "lost": r.measured.lost,
                "probes": r.measured.probes,
                "predicted_s": _round(r.predicted),
                "bound_s": _round(r.bound),
            }
            for r in campaign.results
        ],
    }


def to_json(campaign: Campaign) -> str:
    return json.dumps(to_dict(campaign), indent=2, sort_keys=True) + "\n"
