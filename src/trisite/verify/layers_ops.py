"""Operations: public endpoints reached from the internet, authoritative DNS and its failover records,
monitoring, and backup jobs (which need their source, their target, and a route between the sites)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trisite.model.operations import BackupJob, DnsRecord, DnsZone
from trisite.verify import timers
from trisite.verify.layers_network import connected, prefix_of
from trisite.verify.service import INF, Context, ServiceSpec, ServiceState, state, union

if TYPE_CHECKING:
    from trisite.verify.twin import Twin


def services(twin: Twin) -> list[ServiceSpec]:
    d = twin.design
    found: list[ServiceSpec] = [
        _public_api(twin, r.name) for r in d.openstack if prefix_of(twin, str(r.external_vip))
    ]
    for zone in d.dns:
        found.append(_dns_zone(twin, zone))
        found += [_dns_failover(twin, zone, r) for r in zone.records if r.failover]
    if d.monitoring is not None:
        found.append(_any_of(twin, "monitoring/prometheus", d.monitoring.prometheus))
        found.append(_any_of(twin, "monitoring/alertmanager", d.monitoring.alertmanager))
    found += [_backup(twin, job) for job in d.backups]
    return found


def _needs(twin: Twin) -> tuple[str, ...]:
    return tuple(f"placement/{o.name}" for o in twin.design.ovirt)


def _sites_reach(twin: Twin, ctx: Context, entries: frozenset[str], network: str) -> bool:
    """Traffic entering at one of `entries` reaches a firewall that serves `network`."""
    edges = ctx.extra.get("site-graph", {})
    assert isinstance(edges, dict)
    serving = {
        twin.topology.ix.site_of(f.name) or f.site
        for f in twin.design.firewalls
        if any(a.network == network for a in f.addresses) and twin.presence(ctx, f.name, network)
    }
    return any((connected(edges, e) if edges else {e}) & serving for e in entries)


def _public_api(twin: Twin, region: str) -> ServiceSpec:
    """A region's public API address, as a client on the internet sees it."""
    reg = next(r for r in twin.design.openstack if r.name == region)
    prefix = prefix_of(twin, str(reg.external_vip))
    gateway = _gateway_group(twin, reg.external_network)
    needs = (f"openstack/{region}/api", f"internet/{prefix}", *((f"vip/{gateway}",) if gateway else ()))
    fws = [
        f.name for f in twin.design.firewalls if any(a.network == reg.external_network for a in f.addresses)
    ]
    deps = union(twin.host_deps(f) for f in fws) | twin.topology.network_components(reg.external_network)

    def evaluate(ctx: Context) -> ServiceState:
        parts = [ctx.results[n] for n in needs]
        worst = max(parts, key=lambda s: s.outage_s)
        entries = ctx.extra.get(f"entry:{prefix}", frozenset())
        assert isinstance(entries, frozenset)
        if worst.status == "down" or not _sites_reach(twin, ctx, entries, reg.external_network):
            return ServiceState(
                "down", INF, worst.detail if worst.status == "down" else "no route from the internet"
            )
        return state(
            worst.outage_s,
            degraded=any(p.status == "degraded" for p in parts),
            detail=f"via {', '.join(sorted(entries))}",
        )

    return ServiceSpec(
        f"public/{region}-api",
        "network",
        deps,
        (*needs, "routing/adjacency") if twin.design.routing.transit_networks else needs,
        evaluate,
    )


def _gateway_group(twin: Twin, network: str) -> str | None:
    net = next(n for n in twin.design.networks if n.name == network)
    return next((g.name for g in twin.design.ha_groups if net.gateway in g.vips), None)


def _any_of(twin: Twin, name: str, hosts: list[str]) -> ServiceSpec:
    deps = union(twin.host_deps(h) for h in hosts)

    def evaluate(ctx: Context) -> ServiceState:
        up = [h for h in hosts if _host_up(twin, ctx, h)]
        if not up:
            return ServiceState("down", INF, "no instance left")
        return state(0.0, degraded=len(up) < len(hosts), detail=f"{len(up)}/{len(hosts)} running")

    return ServiceSpec(name, "operations", deps, _needs(twin), evaluate, members=tuple(hosts))


def _host_up(twin: Twin, ctx: Context, host: str) -> bool:
    device = twin.topology.ix.hosts.get(host)
    networks = [a.network for a in twin.topology.ix.addresses(device)] if device else []
    return any(twin.presence(ctx, host, n) for n in networks)


def _dns_zone(twin: Twin, zone: DnsZone) -> ServiceSpec:
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
        f"dns/{zone.name}", "operations", deps, _needs(twin), evaluate, members=tuple(zone.servers)
    )


def _dns_failover(twin: Twin, zone: DnsZone, record: DnsRecord) -> ServiceSpec:
    assert record.failover is not None
    targets = [str(t) for t in record.failover.targets]
    by_ip = {str(r.external_vip): f"public/{r.name}-api" for r in twin.design.openstack}
    watched = [by_ip.get(t) for t in targets]
    needs = (f"dns/{zone.name}", *sorted({w for w in watched if w}))
    # failed checks mark the target down, then resolvers' caches expire
    switch = record.failover.check.interval_s * timers.DNS_CHECK_FAILURES + record.ttl

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


def _backup(twin: Twin, job: BackupJob) -> ServiceSpec:
    source = (
        f"ceph/{job.source.ceph_cluster}/pool/{job.source.pool}" if job.source.kind == "ceph-rbd" else None
    )
    hosts = [*job.source.hosts, job.to_host]
    deps = union(twin.host_deps(h) for h in hosts) | frozenset(
        {f"site:{job.from_site}", f"site:{job.to_site}"}
    )
    route = f"route/{min(job.from_site, job.to_site)}-{max(job.from_site, job.to_site)}"
    needs = (
        *_needs(twin),
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
