"""The seed's table: test, result, measured outage, expected bound."""

from __future__ import annotations

from trisite.prove.campaign import Result
from trisite.report.summary import Table


def _seconds(value: float | None) -> str:
    return "never recovered" if value is None else f"{value:.2f} s"


def campaign_table(results: list[Result]) -> Table:
    kinds = sorted({r.scenario.probe for r in results}) or ["icmp"]
    rows = tuple(
        (
            r.scenario.name,
            "Ok" if r.ok else "FAILED",
            _seconds(r.measured.seconds),
            "stays down" if r.predicted is None else f"{r.predicted:.2f} s",
            _seconds(r.bound),
            f"{r.measured.lost}/{r.measured.probes}",
            r.target,
        )
        for r in results
    )
    return Table(
        f"Failover tests (measured; {', '.join(kinds)} probes every 20 ms)",
        ("test", "result", "measured outage", "predicted", "bound", "lost probes", "measured on"),
        rows,
    )
