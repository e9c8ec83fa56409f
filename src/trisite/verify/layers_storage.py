"""Ceph semantics: MON quorum per connected part, and PG availability per pool from size, min_size and the
CRUSH failure domain (a PG stops serving I/O when fewer than min_size of its copies are reachable)."""

from __future__ import annotations

from trisite.model import timers
from trisite.model.services import CephCluster, CephPool
from trisite.verify.reach import moved
from trisite.verify.service import INF, Context, ServiceSpec, ServiceState, k_of_n, majority, state, union
from trisite.verify.view import TwinView


def services(twin: TwinView) -> list[ServiceSpec]:
    found: list[ServiceSpec] = []
    for cluster in twin.design.ceph:
        found.append(_mons(twin, cluster))
        found += [_pool(twin, cluster, pool) for pool in cluster.pools]
    return found


def failure_domain(twin: TwinView, host: str, pool: CephPool) -> str:
    """The CRUSH bucket a host's OSDs fall in for this pool's rule."""
    server = twin.topology.ix.hosts[host]
    site = getattr(server, "site", "?")
    if pool.failure_domain == "datacenter":
        return site
    if pool.failure_domain == "rack":
        return f"{site}/{getattr(server, 'rack', '?')}"
    return host


def _mons(twin: TwinView, cluster: CephCluster) -> ServiceSpec:
    net = cluster.public_network
    deps = union(twin.host_deps(m) for m in cluster.mons) | twin.topology.network_components(net)
    own = twin.convergence.ceph_election_s
    election = float(cluster.timers.mon_election_timeout_s if own is None else own)
    # The leader's loss is noticed when its lease runs out unrenewed, then the election: until a new leader,
    # no OSD is marked down, so the PGs of a lost OSD wait for this too.
    leader_lost = twin.convergence.ceph_lease_s * timers.CEPH_MON_LEASE_ACK_FACTOR + election

    def evaluate(ctx: Context) -> ServiceState:
        presences = {m: twin.presence(ctx, m, net) for m in cluster.mons}
        t, part = k_of_n(presences.values(), majority(len(cluster.mons)))
        ctx.facts.quorum_part[cluster.name] = part
        if part is None:
            present = sum(bool(p) for p in presences.values())
            return ServiceState(
                "down", INF, f"no majority of {len(cluster.mons)} MONs together ({present} up)"
            )
        lost = [m for m, p in presences.items() if moved(twin, ctx, m, net, p, part=part)]
        in_quorum = sum(part in p for p in presences.values())
        # Losing the leader costs its lease and an election; any MON may be the leader.
        outage = max(t, leader_lost if lost else 0.0)
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


def _pool(twin: TwinView, cluster: CephCluster, pool: CephPool) -> ServiceSpec:
    net = cluster.public_network
    nets = [net] + ([cluster.cluster_network] if cluster.cluster_network else [])
    domains = {h: failure_domain(twin, h, pool) for h in cluster.osd_hosts}
    deps = union(twin.host_deps(h) for h in cluster.osd_hosts) | union(
        twin.topology.network_components(n) for n in nets
    )
    copies, per_domain = _placement(cluster, pool, len(set(domains.values())))
    tolerated = (copies - pool.min_size) // per_domain  # failed domains a PG survives
    if cluster.stretch is not None and copies > per_domain:
        tolerated = max(tolerated, 1)  # degraded stretch mode: one data site keeps serving (min_size 1)
    own = twin.convergence.ceph_grace_s
    grace = float(cluster.timers.heartbeat_grace_s if own is None else own)
    down_out = cluster.timers.down_out_interval_s

    def evaluate(ctx: Context) -> ServiceState:
        mons = ctx.results[f"ceph/{cluster.name}/mons"]
        part = ctx.facts.quorum_part.get(cluster.name)
        if mons.status == "down" or part is None:
            return ServiceState("down", INF, "no MON quorum")
        if tolerated < 0:
            return ServiceState(
                "down",
                INF,
                f"{copies} {pool.failure_domain}s hold OSDs: PGs never reach min_size {pool.min_size}",
            )
        # An OSD serves when its host reaches the quorum's side of the public network (and the cluster one).
        serving = {
            h
            for h in cluster.osd_hosts
            if part in twin.presence(ctx, h, net) and _on_cluster_net(twin, ctx, h, cluster)
        }
        hit = {domains[h] for h in cluster.osd_hosts if h not in serving}
        if len(hit) > tolerated:  # some PG has its copies in the failed domains
            return ServiceState(
                "down",
                INF,
                f"PGs with copies in {len(hit)} failed {pool.failure_domain}s "
                f"have fewer than min_size {pool.min_size} copies",
            )
        outage = max(mons.outage_s, grace if hit else 0.0)
        detail = (
            f"{len(hit)} {pool.failure_domain}(s) lost OSDs; re-replication from {down_out:g} s"
            if hit
            else "all copies reachable"
        )
        if copies < pool.size:
            detail += f"; only {copies} {pool.failure_domain}s for size {pool.size}"
        undersized = copies < pool.size
        return state(outage, degraded=bool(hit) or undersized or mons.status == "degraded", detail=detail)

    return ServiceSpec(
        f"ceph/{cluster.name}/pool/{pool.name}", "storage", deps, (f"ceph/{cluster.name}/mons",), evaluate
    )


def _placement(cluster: CephCluster, pool: CephPool, domains: int) -> tuple[int, int]:
    """(copies a PG really holds, copies in each failure domain). CRUSH puts one copy per failure domain, so
    with fewer domains than `size` a PG holds that many copies only; stretch mode's rule puts size/2 copies in
    each of its two data sites."""
    if cluster.stretch is not None and domains:
        per_domain = max(1, pool.size // domains)
        return min(pool.size, per_domain * domains), per_domain
    return min(pool.size, domains), 1


def _on_cluster_net(twin: TwinView, ctx: Context, host: str, cluster: CephCluster) -> bool:
    if cluster.cluster_network is None:
        return True
    return bool(twin.presence(ctx, host, cluster.cluster_network))
