"""When a measured outage and the twin's prediction disagree beyond the tolerance, why, as far as the lab has
shown it: what the twin models and what the measurement adds or skips. Each reason names the fault kind it
explains; a divergence without one is reported as unexplained."""

from __future__ import annotations

TOLERANCE_RATIO, TOLERANCE_S = 0.30, 0.3  # within max(30 %, 0.3 s) of the measurement: the twin is calibrated

REASONS = {
    "man:": (
        "the twin counts BFD's detection only (0.3 s); on the lab each router then runs OSPF's SPF and updates its "
        "FIB, about 0.7 s more, which the twin does not model yet"
    ),
    "bgp:": (
        "a shutdown sends a NOTIFICATION, so the operator withdraws the routes at once; the twin bounds it by the "
        "line's loss (BFD detection and propagation)"
    ),
    "uplink:": (
        "the twin adds a 0.5 s propagation estimate for the real internet (model/timers.py BGP_PROPAGATION_S) "
        "to BFD's detection; the lab's operators are one FRR hop from the client (about 0.1 s)"
    ),
}


def within_tolerance(measured: float, predicted: float) -> bool:
    return abs(measured - predicted) <= max(TOLERANCE_RATIO * measured, TOLERANCE_S)


def explain(faults: tuple[str, ...], measured: float | None, predicted: float | None) -> str | None:
    """None when the prediction holds (or there is nothing to compare); else the reason, or 'unexplained'."""
    if measured is None or predicted is None or within_tolerance(measured, predicted):
        return None
    gap = f"measured {measured:.2f} s, predicted {predicted:.2f} s"
    reason = next((text for kind, text in REASONS.items() if any(f.startswith(kind) for f in faults)), None)
    return f"{gap}: {reason}" if reason else f"{gap}: unexplained (a finding for the twin)"
