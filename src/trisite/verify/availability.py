"""Predicted yearly downtime per service, and the verdict against the design's target.

downtime = P(down) x year + sum over failures of (failures a year x transient outage).
P(down) is analytic from the sweeps (rare-event approximation over minimal cut sets of one and two
components, exact enough when unavailabilities are small); Monte Carlo over the twin (seeded) checks it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from trisite.model.timers import YEAR_S
from trisite.verify.reliability import failures_per_year, rates, unavailability
from trisite.verify.sweep import Scenario
from trisite.verify.twin import Twin

# A whole datacenter destroyed is a disaster (the seed's Godzilla): the verdict counts it, since surviving it is
# what three sites are for; the figure without it is reported too, as service contracts leave out force majeure.
DISASTERS = frozenset({"site"})
# The services a user sees; the verdict is taken over these.

VERDICT_PREFIXES = ("internet/", "public/", "dns/", "ceph/", "ovirt/", "openstack/", "kubernetes/")


@dataclass(frozen=True)
class ServiceAvailability:
    service: str
    structural_s: float  # expected seconds a year down while components are being repaired
    transient_s: float  # expected seconds a year lost to failovers
    counts_for_verdict: bool

    @property
    def downtime_s(self) -> float:
        return self.structural_s + self.transient_s

    @property
    def percent(self) -> float:
        return 100.0 * (1.0 - self.downtime_s / YEAR_S)


def analytic(
    twin: Twin, singles: list[Scenario], doubles: list[Scenario], *, exclude: frozenset[str] = frozenset()
) -> list[ServiceAvailability]:
    """Yearly downtime per service; failures of the `exclude`d component kinds (disasters) are left out."""
    r = rates(twin.design)
    kinds = {c.id: c.kind for c in twin.components}
    singles = [sc for sc in singles if not any(kinds[c] in exclude for c in sc.failed)]
    doubles = [sc for sc in doubles if not any(kinds[c] in exclude for c in sc.failed)]
    u = {c.id: unavailability(r[c.kind]) for c in twin.components}
    lam = {c.id: failures_per_year(r[c.kind]) for c in twin.components}
    structural: dict[str, float] = {}
    transient: dict[str, float] = {}
    own = {s.name: _own(s.members) if s.quorum else frozenset() for s in twin.specs}
    for s in twin.specs:
        if s.quorum:  # k-of-n: closed form over the members' own failures
            structural[s.name] = poisson_binomial_at_least(
                [u.get(c, 0.0) for c in sorted(own[s.name])], len(s.members) - s.quorum + 1
            )
    single_down: dict[str, set[str]] = {}
    for sc in singles:
        (cid,) = sc.failed
        single_down[cid] = set(sc.down)
        for name, st in sc.changes.items():
            if st.status == "down" and cid not in own[name]:
                structural[name] = structural.get(name, 0.0) + sc.weight * u[cid]
            elif st.status != "down" and st.outage_s > 0:
                transient[name] = transient.get(name, 0.0) + sc.weight * lam[cid] * st.outage_s
    for sc in doubles:
        a, b = sc.failed
        for name in sc.down:
            explained = name in single_down.get(a, set()) or name in single_down.get(b, set())
            if not explained and not (a in own[name] and b in own[name]):
                structural[name] = structural.get(name, 0.0) + sc.weight * u[a] * u[b]
    for name, st in twin.base.services.items():
        if st.status == "down":  # down with everything up (a pool that never reaches min_size): all year
            structural[name], transient[name] = 1.0, 0.0
    return [
        ServiceAvailability(
            s.name,
            structural.get(s.name, 0.0) * YEAR_S,
            transient.get(s.name, 0.0),
            s.name.startswith(VERDICT_PREFIXES),
        )
        for s in twin.visible()
    ]


def _own(members: tuple[str, ...]) -> frozenset[str]:
    """The components that are a member itself (a server, or a VM)."""
    return frozenset({*(f"server:{m}" for m in members), *(f"vm:{m}" for m in members)})


def poisson_binomial_at_least(probabilities: list[float], at_least: int) -> float:
    """P(at least `at_least` of independent events happen), each with its own probability (exact)."""
    dist = [1.0]
    for p in probabilities:
        nxt = [0.0] * (len(dist) + 1)
        for i, q in enumerate(dist):
            nxt[i] += q * (1 - p)
            nxt[i + 1] += q * p
        dist = nxt
    return sum(dist[at_least:])


def monte_carlo(twin: Twin, services: Iterable[str], samples: int, seed: int) -> dict[str, float]:
    """P(down) per service, sampling every component's state independently (seeded, repeatable)."""
    r = rates(twin.design)
    comps = [(c.id, unavailability(r[c.kind])) for c in twin.components]
    wanted = list(services)
    rng = random.Random(seed)  # noqa: S311 - a seeded simulation, not cryptography

    down = dict.fromkeys(wanted, 0)
    cache: dict[frozenset[str], set[str]] = {}
    for _ in range(samples):
        failed = frozenset(cid for cid, p in comps if rng.random() < p)
        if not failed:
            continue
        hit = cache.get(failed)
        if hit is None:
            outcome = twin.evaluate(failed)
            hit = {n for n in wanted if outcome.services[n].status == "down"}
            cache[failed] = hit
        for name in hit:
            down[name] += 1
    return {n: c / samples for n, c in down.items()}


def k_of_n_unavailability(n: int, k: int, u: float) -> float:
    """Closed form: a service needing k of n identical, independent members is down when more than n-k are."""
    return sum(math.comb(n, i) * u**i * (1 - u) ** (n - i) for i in range(n - k + 1, n + 1))
