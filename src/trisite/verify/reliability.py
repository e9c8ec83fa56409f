"""Failure and repair rates per component class: documented defaults, overridable in the design.

The defaults are round planning figures, not vendor data: replace them with your contracts (repair times)
and your fleet's history (failure rates) under `reliability:` in the design.
"""

from __future__ import annotations

from trisite.model import Design
from trisite.model.operations import ComponentClass, Reliability
from trisite.model.timers import HOUR_S, YEAR_S

DEFAULTS: dict[ComponentClass, Reliability] = {
    "server": Reliability(mtbf_h=43_800, mttr_h=8),  # one failure in 5 years; next-business-day parts
    "disk": Reliability(mtbf_h=1_000_000, mttr_h=24),  # datasheet AFR about 0.9 %
    "switch": Reliability(mtbf_h=200_000, mttr_h=4),  # 4-hour hardware support
    "cable": Reliability(mtbf_h=1_000_000, mttr_h=2),  # a cable or transceiver, spare on site
    "firewall": Reliability(mtbf_h=100_000, mttr_h=4),
    "power-feed": Reliability(mtbf_h=17_520, mttr_h=1),  # a feed lost every two years, for an hour
    "man-link": Reliability(mtbf_h=8_760, mttr_h=12),  # one cut a year (excavators), half a day to splice
    "uplink": Reliability(mtbf_h=4_380, mttr_h=4),  # two line incidents a year
    "operator": Reliability(mtbf_h=17_520, mttr_h=2),  # an operator-wide incident every two years
    "site": Reliability(mtbf_h=876_000, mttr_h=720),  # a datacenter lost once a century, a month to rebuild
    "bmc": Reliability(mtbf_h=43_800, mttr_h=8),
    "vm": Reliability(mtbf_h=8_760, mttr_h=0.05),  # a guest crash a year; HA restarts it
    "risk": Reliability(
        mtbf_h=87_600, mttr_h=24
    ),  # a shared risk (conduit dug up, carrier outage): once a decade
}


def rates(design: Design) -> dict[ComponentClass, Reliability]:
    return DEFAULTS | dict(design.reliability)


def unavailability(r: Reliability) -> float:
    """Steady-state probability of being down: MTTR / (MTBF + MTTR)."""
    return r.mttr_h / (r.mtbf_h + r.mttr_h)


def failures_per_year(r: Reliability) -> float:
    return YEAR_S / HOUR_S / (r.mtbf_h + r.mttr_h)


def budget_s(design: Design) -> float:
    """Yearly downtime allowed by the availability target (99.999 % -> 315 s)."""
    return (100.0 - design.platform.availability_target) / 100.0 * YEAR_S
