"""Network semantics: CARP/VRRP virtual addresses, BGP sessions, internet reach of public prefixes,
and routing between sites over the MAN transit networks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from trisite.model import Design, timers
from trisite.model.network import HaGroup
from trisite.model.site import Uplink
from trisite.verify.facts import SiteGraph
from trisite.verify.guests import placements
from trisite.verify.service import INF, Context, Presence, ServiceSpec, ServiceState, state, union
from trisite.verify.view import TwinView


def services(twin: TwinView) -> list[ServiceSpec]:
    d = twin.design
    found = [_vip(twin, g) for g in d.ha_groups]
    found += [_bgp(twin, u) for u in d.uplinks]
    found += [_internet(twin, p.name) for p in d.public_prefixes]
    sites = [s.name for s in d.sites]
    if d.routing.transit_networks:
        found.append(_site_graph(twin))
        found += [_route(twin, a, b) for i, a in enumerate(sites) for b in sites[i + 1 :]]
    return found


# -- CARP / VRRP ------------------------------------------------------------------------------------------------
def failover_s(group: HaGroup, priority: int) -> float:
    """Master-down interval: 3 adverts plus a skew that favours higher priorities (RFC 5798 6.1)."""
    advert = group.advert_interval_ms / 1000
    return timers.VRRP_DOWN_INTERVALS * advert + (256 - priority) * advert / 256


def vip_outage(
    members: list[tuple[str, int, Presence]],
    master: str,
    failover: dict[str, float],
    late: Callable[[list[float]], float] | None = None,
) -> tuple[float, int, float]:
    """Earliest time a member holds the address in some part, in how many parts members remain, and how much of
    that time is ucarp's lateness (`late`, given the failovers of a part's backups; none for VRRP or kernel CARP)."""
    parts: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for name, _, presence in members:
        for part, delay in presence.items():
            parts[part].append((name, delay))
    earliest = min((_takeover(held, master, failover, late) for held in parts.values()), default=(INF, 0.0))
    return earliest[0], len(parts), earliest[1]


def _takeover(
    held: list[tuple[str, float]],
    master: str,
    failover: dict[str, float],
    late: Callable[[list[float]], float] | None,
) -> tuple[float, float]:
    """In one part: when a member holds the address, and how late it was; only the backups of the same part can
    race each other (the others hear none of their adverts)."""
    kept = min((delay for name, delay in held if name == master), default=INF)
    backups = [(name, delay) for name, delay in held if name != master]
    first = min((max(delay, failover[name]) for name, delay in backups), default=INF)
    lateness = late([failover[name] for name, _ in backups]) if late and backups else 0.0
    return (kept, 0.0) if kept <= first + lateness else (first + lateness, lateness)


def by_ucarp(twin: TwinView, group: HaGroup) -> bool:
    """CARP run by ucarp: in the lab, and on a site in a group with any member that is not an OPNsense firewall
    (a mixed group is timed as ucarp throughout: the worst case)."""
    if group.protocol != "carp":
        return False
    opnsense = {f.name for f in twin.design.firewalls if f.platform == "opnsense"}
    return twin.convergence.carp_by_ucarp or any(m.device not in opnsense for m in group.members)


def ucarp_late_s(backups: list[float]) -> float:
    """How much later than the kernel's CARP a ucarp backup may take the address, at worst (timers.UCARP_CAPTURE_S):
    the last advert read late and the expiry seen late, a capture timeout each. Another backup whose timer runs out
    before it has read the new master's first advert (its own two late captures and the reading of that advert:
    within three captures of the first) holds the address too, its gratuitous ARP winning the hosts, until the
    preferred one reads its advert and announces the address again: up to two captures more (seen in the lab:
    dc2's two firewalls, 39 ms of skew apart, both took dc1's gateway)."""
    capture = timers.UCARP_CAPTURE_S
    first, *others = sorted(backups) or [0.0]
    race = any(other - first < 3 * capture for other in others)
    return 2 * capture + (2 * capture if race else 0.0)


def _vip(twin: TwinView, group: HaGroup) -> ServiceSpec:
    master = max(group.members, key=lambda m: (m.priority, m.device)).device
    failover = {m.device: failover_s(group, m.priority) for m in group.members}
    ucarp = by_ucarp(twin, group)
    deps = union(twin.host_deps(m.device) for m in group.members) | twin.topology.network_components(
        group.network
    )

    def evaluate(ctx: Context) -> ServiceState:
        members = [(m.device, m.priority, twin.presence(ctx, m.device, group.network)) for m in group.members]
        outage, parts, lateness = vip_outage(members, master, failover, ucarp_late_s if ucarp else None)
        present = sum(bool(p) for _, _, p in members)
        detail = f"{present}/{len(members)} members" + (
            f", held in {parts} separated parts" if parts > 1 else ""
        )
        took_over = 0 < outage < INF  # a backup's master-down timer ran from the last advert it heard
        phase = group.advert_interval_ms / 1000 + lateness if took_over else 0.0
        return state(outage, degraded=parts > 1 or present < len(members), detail=detail, phase=phase)

    members = tuple(m.device for m in group.members)
    return ServiceSpec(
        f"vip/{group.name}", "network", deps, _vm_needs(twin, group), evaluate, members=members
    )


def _vm_needs(twin: TwinView, group: HaGroup) -> tuple[str, ...]:
    virtual = {f.name for f in twin.design.firewalls if f.vm} | {v.name for v in twin.design.vms}
    if not any(m.device in virtual for m in group.members):
        return ()
    return placements(twin.design)


def events(design: Design) -> frozenset[str]:
    """What may happen that is not a failure of a component: `session:LINE`, the operator closes the line's BGP
    sessions (a NOTIFICATION, the line staying up), as in the seed's BGP failover test."""
    return frozenset(f"session:{u.name}" for u in design.uplinks)


def noticed_s(ctx: Context, uplink: Uplink) -> float:
    """How long until a lost session is noticed: at once when it was closed by a NOTIFICATION, else detection."""
    return 0.0 if f"session:{uplink.name}" in ctx.failed else detection_s(uplink)


# -- BGP ----------------------------------------------------------------------------------------------------------
def detection_s(uplink: Uplink) -> float:
    """A dead session is noticed after BFD's interval x multiplier, else after the hold time."""
    bfd = uplink.bgp.bfd
    return bfd.interval_ms * bfd.multiplier / 1000 if bfd else float(uplink.bgp.hold_time_s)


def _bgp(twin: TwinView, uplink: Uplink) -> ServiceSpec:
    own = frozenset({f"uplink:{uplink.name}", f"operator:{uplink.operator}", f"session:{uplink.name}"})
    deps = (
        own
        | union(twin.host_deps(f) for f in uplink.firewalls)
        | twin.topology.network_components(uplink.network)
    )
    handoff = uplink.handoff.split(":")[0] if uplink.handoff else None

    def evaluate(ctx: Context) -> ServiceState:
        sessions: frozenset[str] = frozenset()
        if not own & ctx.failed:
            parts = ctx.physical.parts(uplink.network)
            where = parts.get(handoff) if handoff else None
            sessions = frozenset(
                f
                for f in uplink.firewalls
                if (p := twin.presence(ctx, f, uplink.network)) and (where is None or where in p)
            )
        ctx.facts.bgp_sessions[uplink.name] = sessions
        before = ctx.base.facts.bgp_sessions.get(uplink.name) if ctx.base else None
        lost = (before - sessions) if before is not None else frozenset()
        if not sessions:
            return ServiceState("down", INF, "no BGP session")
        outage = detection_s(uplink) if lost else 0.0
        return state(outage, degraded=bool(lost), detail=f"sessions from {', '.join(sorted(sessions))}")

    return ServiceSpec(f"bgp/{uplink.name}", "network", deps, (), evaluate)


def _internet(twin: TwinView, prefix_name: str) -> ServiceSpec:
    prefix = next(p for p in twin.design.public_prefixes if p.name == prefix_name)
    prepend = {a.site: a.prepend for a in prefix.announce}
    uplinks = {s: [u for u in twin.design.uplinks if u.site == s] for s in prepend}
    needs = tuple(f"bgp/{u.name}" for ups in uplinks.values() for u in ups)

    def site_outage(ctx: Context, site: str) -> float:
        return min((ctx.results[f"bgp/{u.name}"].outage_s for u in uplinks[site]), default=INF)

    def evaluate(ctx: Context) -> ServiceState:
        outage = {s: site_outage(ctx, s) for s in prepend}
        alive = sorted(s for s, o in outage.items() if o < INF)
        ctx.facts.entry_sites[prefix_name] = frozenset(alive)
        if not alive:
            return ServiceState("down", INF, "announced from no site with a working line")
        before = ctx.base.facts.entry_sites.get(prefix_name) if ctx.base else None
        entry = before if before is not None else frozenset(alive)
        best = min(prepend[s] for s in entry) if entry else 0
        preferred = {s for s in entry if prepend[s] == best}
        lost = preferred - set(alive)
        switch = max((max(noticed_s(ctx, u) for u in uplinks[s]) for s in lost), default=0.0) + (
            twin.convergence.bgp_propagation_s if lost else 0.0
        )
        candidates = [outage[s] if s in preferred else max(outage[s], switch) for s in alive]
        degraded = len(alive) < len(entry)
        return state(min(candidates), degraded=degraded, detail=f"entering at {', '.join(alive)}")

    return ServiceSpec(f"internet/{prefix_name}", "network", frozenset(), needs, evaluate)


# -- routing between sites ---------------------------------------------------------------------------------------
def ospf_detection_s(twin: TwinView) -> float:
    routing = twin.design.routing
    if routing.ospf.bfd or routing.protocol == "ibgp":
        return routing.bfd_interval_ms * routing.bfd_multiplier / 1000
    return float(routing.ospf.dead_s)


def _site_graph(twin: TwinView) -> ServiceSpec:
    """Which firewalls of which sites are adjacent over each transit network (hidden, read by routes)."""
    transit = twin.design.routing.transit_networks
    firewalls = [f for f in twin.design.firewalls if any(a.network in transit for a in f.addresses)]
    deps = union(twin.host_deps(f.name) for f in firewalls) | union(
        twin.topology.network_components(n) for n in transit
    )

    def evaluate(ctx: Context) -> ServiceState:
        edges: dict[tuple[str, str], set[str]] = {}
        for network in transit:
            by_part: dict[str, list[tuple[str, str]]] = {}
            for fw in firewalls:
                for part in twin.presence(ctx, fw.name, network):
                    by_part.setdefault(part, []).append(
                        (twin.topology.ix.site_of(fw.name) or fw.site, fw.name)
                    )
            for members in by_part.values():
                for site_a, fw_a in members:
                    for site_b, fw_b in members:
                        if site_a < site_b:
                            edges.setdefault((site_a, site_b), set()).update({fw_a, fw_b})
        ctx.facts.site_graph = SiteGraph({pair: frozenset(fws) for pair, fws in edges.items()})
        return ServiceState("up", 0.0, f"{len(edges)} adjacencies")

    return ServiceSpec("routing/adjacency", "network", deps, (), evaluate, hidden=True)


def _route(twin: TwinView, a: str, b: str) -> ServiceSpec:
    detect = ospf_detection_s(twin)

    def evaluate(ctx: Context) -> ServiceState:
        if {f"site:{a}", f"site:{b}"} & ctx.failed:
            return ServiceState("down", INF, "a site is lost")
        graph = ctx.facts.site_graph
        assert graph is not None, "routing/adjacency is computed first"
        if b not in graph.reach(a):
            return ServiceState("down", INF, f"no path between {a} and {b}")
        before = ctx.base.facts.site_graph if ctx.base else None
        direct_before = before.adjacent.get((a, b), frozenset()) if before is not None else frozenset()
        lost = direct_before - graph.adjacent.get((a, b), frozenset())
        via = "direct" if (a, b) in graph.adjacent else "through another site"
        return state(detect if lost else 0.0, degraded=bool(lost), detail=via)

    return ServiceSpec(
        f"route/{a}-{b}", "network", frozenset({f"site:{a}", f"site:{b}"}), ("routing/adjacency",), evaluate
    )
