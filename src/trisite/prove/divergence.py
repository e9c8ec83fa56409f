"""When a measured outage and the twin's prediction disagree beyond the tolerance, why, as far as the lab has
shown it: what the twin models and what the measurement adds or skips. Each reason names the fault kind it
explains; a divergence without one is reported as unexplained."""

from __future__ import annotations

TOLERANCE_RATIO, TOLERANCE_S = 0.30, 0.3  # within max(30 %, 0.3 s) of the measurement: the twin is calibrated

REASONS = {
    "service:": (
        "a stopped keepalived announces priority 0, so its peer takes over at once; the twin predicts the loss "
        "of the master (three missed adverts), the worst case"
    ),
    "man:": (
        "the twin counts BFD's detection only; the reroute through the third site adds LSA flooding, SPF and "
        "the FIB update on each router"
    ),
    "bgp:": (
        "a shutdown sends a NOTIFICATION, so the operator withdraws the routes at once; the twin adds the "
        "internet's convergence of the target's profile (verify/convergence.py)"
    ),
    "device:": (
        "the lost firewall's CARP addresses move once three adverts are missed, counted from the last advert "
        "heard, which left 0 to 1 s before the loss; the twin counts the whole three adverts and the skew (the "
        "worst case), so a measurement can be up to one advert interval shorter (and up to ucarp's lateness "
        "shorter where ucarp runs CARP, as in the lab)"
    ),
    "uplink:": (
        "the lab cuts the line's cable: the firewall sees its interface go down and drops the session at once, "
        "without BFD's detection, which the twin counts; then the internet's convergence of the target's "
        "profile (verify/convergence.py)"
    ),
}


def within_tolerance(measured: float, predicted: float, phase: float = 0.0) -> bool:
    """The prediction is the worst case; with a phase (a takeover timed from the last advert heard) the outage
    may end up to `phase` sooner: anything in that range matches, the tolerance applies from its nearer end."""
    earliest = predicted - phase
    nearest = min(max(measured, earliest), predicted)
    return abs(measured - nearest) <= max(TOLERANCE_RATIO * measured, TOLERANCE_S)


def explain(
    faults: tuple[str, ...], measured: float | None, predicted: float | None, phase: float = 0.0
) -> str | None:
    """None when the prediction holds (or there is nothing to compare); else the reason, or 'unexplained'."""
    if measured is None or predicted is None or within_tolerance(measured, predicted, phase):
        return None
    gap = f"measured {measured:.2f} s, predicted {predicted:.2f} s"
    reason = next((text for kind, text in REASONS.items() if any(f.startswith(kind) for f in faults)), None)
    return f"{gap}: {reason}" if reason else f"{gap}: unexplained (a finding for the twin)"
