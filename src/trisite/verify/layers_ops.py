"""Operations: public endpoints reached from the internet, authoritative DNS and its failover records,
monitoring, and backup jobs (which need their source, their target, and a route between the sites)."""

from __future__ import annotations

from trisite.model import timers
from trisite.model.devices import Firewall, Vm
from trisite.model.operations import BackupJob, DnsRecord, DnsZone
from trisite.verify.guests import placements
from trisite.verify.reach import prefix_of, sites_reached
from trisite.verify.service import INF, Context, ServiceSpec, ServiceState, state, union
from trisite.verify.view import TwinView


def services(twin: TwinView) -> list[ServiceSpec]:
    d = twin.design
    announced = {r.name: p for r in d.openstack if (p := prefix_of(d, str(r.external_vip)))}
    found: list[ServiceSpec] = [_public_api(twin, region, prefix) for region, prefix in announced.items()]
    answering = _answering(twin, announced)
    targets = {str(t) for z in d.dns for r in z.records if r.failover for t in r.failover.targets}
    hosts = sorted({answering[t] for t in targets if answering.get(t, "").startswith("host/")})
    found += [_host(twin, h.split("/", 1)[1]) for h in hosts]
    for zone in d.dns:
        found.append(_dns_zone(twin, zone))
        found += [_dns_failover(zone, r, answering) for r in zone.records if r.failover]
    if d.monitoring is not None:
        found.append(_any_of(twin, "monitoring/prometheus", d.monitoring.prometheus))
        found.append(_any_of(twin, "monitoring/alertmanager", d.monitoring.alertmanager))
    found += [_backup(twin, job) for job in d.backups]
    return found


def _sites_reach(twin: TwinView, ctx: Context, entries: frozenset[str], network: str) -> bool:
    """Traffic entering at one of `entries` reaches a firewall that serves `network`."""
    serving = {
        twin.topology.ix.site_of(f.name) or f.site
        for f in twin.design.firewalls
        if any(a.network == network for a in f.addresses) and twin.presence(ctx, f.name, network)
    }
    return any(sites_reached(ctx, e) & serving for e in entries)


def _answering(twin: TwinView, announced: dict[str, str]) -> dict[str, str]:
    """Address -> the service that answers on it: a region's API, an HA group's VIP, a VM, or a host (a
    hidden `host/NAME` service). DNS failover follows whichever it is; an address outside the design has none."""
    d, ix = twin.design, twin.topology.ix
    found: dict[str, str] = {}
    for name, device in ix.hosts.items():
        is_guest = isinstance(device, Vm) or (isinstance(device, Firewall) and device.kind == "virtual")
        guest = f"vm/{name}" if is_guest else f"host/{name}"
        for address in ix.addresses(device):
            found.setdefault(str(address.ip), guest)
    for group in d.ha_groups:
        found |= {str(v): f"vip/{group.name}" for v in group.vips}
    found |= {str(r.external_vip): _api_service(r.name, announced) for r in d.openstack}
    return found


def _host(twin: TwinView, name: str) -> ServiceSpec:
    """A server or firewall answering on one of its own addresses: up while it is on any of its networks."""

    def evaluate(ctx: Context) -> ServiceState:
        if _host_up(twin, ctx, name):
            return ServiceState("up", 0.0, "on its networks")
        return ServiceState("down", INF, "off its networks")

    return ServiceSpec(
        f"host/{name}", "operations", twin.host_deps(name), (), evaluate, hidden=True, members=(name,)
    )


def _api_service(region: str, announced: dict[str, str]) -> str:
    """The service that answers on a region's external address: from the internet when it is announced."""
    return f"public/{region}-api" if region in announced else f"openstack/{region}/api"


def _public_api(twin: TwinView, region: str, prefix: str) -> ServiceSpec:
    """A region's public API address, as a client on the internet sees it."""
    reg = next(r for r in twin.design.openstack if r.name == region)
    gateway = _gateway_group(twin, reg.external_network)
    needs = (f"openstack/{region}/api", f"internet/{prefix}", *((f"vip/{gateway}",) if gateway else ()))
    fws = [
        f.name for f in twin.design.firewalls if any(a.network == reg.external_network for a in f.addresses)
    ]
    deps = union(twin.host_deps(f) for f in fws) | twin.topology.network_components(reg.external_network)

    def evaluate(ctx: Context) -> ServiceState:
        parts = [ctx.results[n] for n in needs]
        worst = max(parts, key=lambda s: s.outage_s)
        entries = ctx.facts.entry_sites.get(prefix, frozenset())
        if worst.status == "down" or not _sites_reach(twin, ctx, entries, reg.external_network):
            return ServiceState(
                "down", INF, worst.detail if worst.status == "down" else "no route from the internet"
            )
        return state(
            worst.outage_s,
            degraded=any(p.status == "degraded" for p in parts),
            detail=f"via {', '.join(sorted(entries))}",
            phase=worst.phase_s,
        )

    return ServiceSpec(
        f"public/{region}-api",
        "network",
        deps,
        (*needs, "routing/adjacency") if twin.design.routing.transit_networks else needs,
        evaluate,
    )


def _gateway_group(twin: TwinView, network: str) -> str | None:
    net = next(n for n in twin.design.networks if n.name == network)
    return next((g.name for g in twin.design.ha_groups if net.gateway in g.vips), None)


def _any_of(twin: TwinView, name: str, hosts: list[str]) -> ServiceSpec:
    deps = union(twin.host_deps(h) for h in hosts)

    def evaluate(ctx: Context) -> ServiceState:
        up = [h for h in hosts if _host_up(twin, ctx, h)]
        if not up:
            return ServiceState("down", INF, "no instance left")
        return state(0.0, degraded=len(up) < len(hosts), detail=f"{len(up)}/{len(hosts)} running")

    return ServiceSpec(name, "operations", deps, placements(twin.design), evaluate, members=tuple(hosts))


def _host_up(twin: TwinView, ctx: Context, host: str) -> bool:
    device = twin.topology.ix.hosts.get(host)
    networks = [a.network for a in twin.topology.ix.addresses(device)] if device else []
    return any(twin.presence(ctx, host, n) for n in networks)


def _dns_zone(twin: TwinView, zone: DnsZone) -> ServiceSpec:
    deps = union(twin.host_deps(h) for h in zone.servers)

    def evaluate(ctx: Context) -> ServiceState:
        up = [h for h in zone.servers if _host_up(twin, ctx, h)]
        if not up:
            return ServiceState("down", INF, "no authoritative server left")
        # Resolvers try the next NS at once: losing one server costs nothing visible.
        return state(
            0.0, degraded=len(up) < len(zone.servers), detail=f"{len(up)}/{len(zone.servers)} servers"
        )

    return ServiceSpec(
        f"dns/{zone.name}", "operations", deps, placements(twin.design), evaluate, members=tuple(zone.servers)
    )


def _dns_failover(zone: DnsZone, record: DnsRecord, apis: dict[str, str]) -> ServiceSpec:
    """A failover record answers its first live target; each target follows the service answering on its
    address (an address outside the design is taken as always up: rules_quorum says so)."""
    assert record.failover is not None
    targets = [str(t) for t in record.failover.targets]
    watched = [apis.get(t) for t in targets]
    needs = (f"dns/{zone.name}", *sorted({w for w in watched if w}))
    # The agent's next check of a silent target starts within an interval and fails at its timeout (a refused
    # one at once); each further failed check it needs takes the longer of the two; then resolvers' caches expire.
    check = record.failover.check
    more = (timers.DNS_CHECK_FAILURES - 1) * max(check.interval_s, check.timeout_s)
    switch = check.interval_s + check.timeout_s + more + record.ttl

    def evaluate(ctx: Context) -> ServiceState:
        if ctx.results[f"dns/{zone.name}"].status == "down":
            return ServiceState("down", INF, "zone not served")
        states = [ctx.results[w] if w else ServiceState("up", 0.0, "not modelled") for w in watched]
        alive = [i for i, s in enumerate(states) if s.status != "down"]
        if not alive:
            return ServiceState("down", INF, "every target is down")
        # The preferred target answers through its own interruption; otherwise the next one, once switched.
        outage = states[0].outage_s if alive[0] == 0 else max(switch, states[alive[0]].outage_s)
        return state(outage, degraded=len(alive) < len(states), detail=f"answering {targets[alive[0]]}")

    return ServiceSpec(f"dns/{zone.name}/{record.name}", "operations", frozenset(), needs, evaluate)


def _backup(twin: TwinView, job: BackupJob) -> ServiceSpec:
    source = (
        f"ceph/{job.source.ceph_cluster}/pool/{job.source.pool}" if job.source.kind == "ceph-rbd" else None
    )
    hosts = [*job.source.hosts, job.to_host]
    deps = union(twin.host_deps(h) for h in hosts) | frozenset(
        {f"site:{job.from_site}", f"site:{job.to_site}"}
    )
    route = f"route/{min(job.from_site, job.to_site)}-{max(job.from_site, job.to_site)}"
    needs = (
        *placements(twin.design),
        *((source,) if source else ()),
        *((route,) if job.from_site != job.to_site and twin.design.routing.transit_networks else ()),
    )

    def evaluate(ctx: Context) -> ServiceState:
        missing = [h for h in hosts if not _host_up(twin, ctx, h)]
        if source and ctx.results[source].status == "down":
            missing.append(source)
        if route in needs and ctx.results[route].status == "down":
            missing.append(route)
        if missing:
            return ServiceState("down", INF, f"cannot run: {', '.join(missing)} unavailable")
        return ServiceState("up", 0.0, f"{job.from_site} -> {job.to_site}")

    return ServiceSpec(f"backup/{job.name}", "operations", deps, needs, evaluate)
