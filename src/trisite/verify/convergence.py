"""How fast the world outside the design converges, which the twin cannot derive from the design.

The internet's convergence once our routes are withdrawn depends on where the platform runs: the real
internet (an estimate, until a site's campaign measures it) or the lab's emulated one (a few FRR routers, measured).
The twin takes one profile; verify uses the site's, a lab campaign compares its measurements with the lab's.
"""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model import timers


@dataclass(frozen=True)
class Convergence:
    name: str
    bgp_propagation_s: float  # the rest of the internet prefers the next announcing site


SITE = Convergence("site", timers.BGP_PROPAGATION_S)
LAB = Convergence("lab", timers.LAB_BGP_PROPAGATION_S)


def for_target(target: str) -> Convergence:
    return LAB if target == "lab" else SITE
