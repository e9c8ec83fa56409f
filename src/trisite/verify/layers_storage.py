"""Ceph semantics: MON quorum per connected part, and PG availability per pool from size, min_size and the
CRUSH failure domain (a PG stops serving I/O when fewer than min_size of its copies are reachable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trisite.model.services import CephCluster, CephPool
from trisite.verify import timers
from trisite.verify.layers_network import connected, moved
from trisite.verify.service import INF, Context, ServiceSpec, ServiceState, k_of_n, majority, state, union

if TYPE_CHECKING:
    from trisite.verify.twin import Twin


def services(twin: Twin) -> list[ServiceSpec]:
    found: list[ServiceSpec] = []
    for cluster in twin.design.ceph:
        found.append(_mons(twin, cluster))
        found += [_pool(twin, cluster, pool) for pool in cluster.pools]
    return found


def failure_domain(twin: Twin, host: str, pool: CephPool) -> str:
    """The CRUSH bucket a host's OSDs fall in for this pool's rule."""
    server = twin.topology.ix.hosts[host]
    site = getattr(server, "site", "?")
    if pool.failure_domain == "datacenter":
        return site
    if pool.failure_domain == "rack":
        return f"{site}/{getattr(server, 'rack', '?')}"
    return host


def _mons(twin: Twin, cluster: CephCluster) -> ServiceSpec:
    net = cluster.public_network
    deps = union(twin.host_deps(m) for m in cluster.mons) | twin.topology.network_components(net)

    def evaluate(ctx: Context) -> ServiceState:
        presences = {m: twin.presence(ctx, m, net) for m in cluster.mons}
        t, part = k_of_n(presences.values(), majority(len(cluster.mons)))
        ctx.extra[f"ceph-quorum:{cluster.name}"] = part
        if part is None:
            present = sum(bool(p) for p in presences.values())
            return ServiceState(
                "down", INF, f"no majority of {len(cluster.mons)} MONs together ({present} up)"
            )
        lost = [m for m, p in presences.items() if moved(twin, m, net, p, part)]
        in_quorum = sum(part in p for p in presences.values())
        # Losing the leader costs an election; any MON may be the leader.
        outage = max(t, timers.CEPH_MON_ELECTION_S if lost else 0.0)
        return state(
            outage,
            degraded=in_quorum < len(cluster.mons),
            detail=f"{in_quorum}/{len(cluster.mons)} MONs in quorum",
        )

    return ServiceSpec(
        f"ceph/{cluster.name}/mons",
        "storage",
        deps,
        (),
        evaluate,
        members=tuple(cluster.mons),
        quorum=majority(len(cluster.mons)),
    )


def _pool(twin: Twin, cluster: CephCluster, pool: CephPool) -> ServiceSpec:
    net = cluster.public_network
    nets = [net] + ([cluster.cluster_network] if cluster.cluster_network else [])
    domains = {h: failure_domain(twin, h, pool) for h in cluster.osd_hosts}
    deps = union(twin.host_deps(h) for h in cluster.osd_hosts) | union(
        twin.topology.network_components(n) for n in nets
    )
    tolerated = pool.size - pool.min_size

    def evaluate(ctx: Context) -> ServiceState:
        mons = ctx.results[f"ceph/{cluster.name}/mons"]
        part = ctx.extra.get(f"ceph-quorum:{cluster.name}")
        if mons.status == "down" or not isinstance(part, str):
            return ServiceState("down", INF, "no MON quorum")
        # An OSD serves when its host reaches the quorum's side of the public network (and the cluster one).
        serving = {
            h
            for h in cluster.osd_hosts
            if part in twin.presence(ctx, h, net) and _on_cluster_net(twin, ctx, h, cluster)
        }
        all_domains = set(domains.values())
        if len(all_domains) < pool.size:
            return ServiceState(
                "degraded",
                mons.outage_s,
                f"only {len(all_domains)} {pool.failure_domain}s for size {pool.size}",
            )
        hit = {domains[h] for h in cluster.osd_hosts if h not in serving}
        if len(hit) > tolerated:
            return ServiceState(
                "down",
                INF,
                f"PGs with copies in {len(hit)} failed {pool.failure_domain}s "
                f"have fewer than min_size {pool.min_size} copies",
            )
        outage = max(mons.outage_s, timers.CEPH_OSD_HEARTBEAT_GRACE_S if hit else 0.0)
        detail = (
            f"{len(hit)} {pool.failure_domain}(s) lost OSDs; re-replication from {timers.CEPH_DOWN_OUT_S:g} s"
            if hit
            else "all copies reachable"
        )

        return state(outage, degraded=bool(hit) or mons.status == "degraded", detail=detail)

    return ServiceSpec(
        f"ceph/{cluster.name}/pool/{pool.name}", "storage", deps, (f"ceph/{cluster.name}/mons",), evaluate
    )


def _on_cluster_net(twin: Twin, ctx: Context, host: str, cluster: CephCluster) -> bool:
    if cluster.cluster_network is None:
        return True
    return bool(twin.presence(ctx, host, cluster.cluster_network))


def reaches_storage(twin: Twin, ctx: Context, host: str, cluster_name: str) -> bool:
    """A host uses Ceph on the quorum's side: on the public network itself, or routed from its site."""
    cluster = next(c for c in twin.design.ceph if c.name == cluster_name)
    part = ctx.extra.get(f"ceph-quorum:{cluster.name}")
    if not isinstance(part, str):
        return False
    if any(
        a.network == cluster.public_network for a in twin.topology.ix.addresses(twin.topology.ix.hosts[host])
    ):
        return part in twin.presence(ctx, host, cluster.public_network)
    edges = ctx.extra.get("site-graph")
    site = twin.topology.ix.site_of(host)
    if not isinstance(edges, dict) or site is None:
        return True
    quorum_sites = {
        twin.topology.ix.site_of(m)
        for m in cluster.mons
        if part in twin.presence(ctx, m, cluster.public_network)
    }
    return bool(connected(edges, site) & quorum_sites)
