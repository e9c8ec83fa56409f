"""OpenStack (Kolla: Galera and RabbitMQ quorum on the controllers, HAProxy behind a keepalived VIP,
Keystone possibly shared) and Kubernetes (etcd quorum, API behind a VIP, workloads on workers)."""

from __future__ import annotations

from trisite.model import timers
from trisite.model.services import KubernetesCluster, OpenStackRegion
from trisite.verify.guests import placements
from trisite.verify.reach import base_presence, moved, pool_presence
from trisite.verify.service import (
    INF,
    Context,
    MemberIndex,
    Presence,
    ServiceSpec,
    ServiceState,
    k_of_n,
    majority,
    state,
    union,
)
from trisite.verify.view import TwinView


def services(twin: TwinView) -> list[ServiceSpec]:
    found: list[ServiceSpec] = []
    for region in twin.design.openstack:
        found += [
            _openstack_api(twin, region),
            _pool_of_hosts(
                twin,
                f"openstack/{region.name}/compute",
                "cloud",
                region.computes,
                network=region.internal_network,
                detect=0.0,
            ),
        ]
    for cluster in twin.design.kubernetes:
        found += [
            _kubernetes_api(twin, cluster),
            _pool_of_hosts(
                twin,
                f"kubernetes/{cluster.name}/workloads",
                "containers",
                cluster.workers or cluster.control_plane,
                network=cluster.api_network,
                detect=timers.K8S_NODE_MONITOR_GRACE_S,
            ),
        ]
    return found


def keepalived_outage(presences: list[Presence], base: list[Presence | None], advert_s: float) -> float:
    """A VIP over ordered members (first = highest priority), moved by keepalived's master-down interval."""
    best = INF
    for rank, (presence, before) in enumerate(zip(presences, base, strict=True)):
        for delay in presence.values():
            if rank == 0 and presence == before:
                return 0.0
            priority = 255 - rank
            failover = 3 * advert_s + (256 - priority) * advert_s / 256
            best = min(best, delay if rank == 0 else max(delay, failover))
    return best


def quorum_outage(
    twin: TwinView, ctx: Context, hosts: list[str], network: str, detect: float
) -> tuple[float, int, bool]:
    """When a majority of `hosts` is back together (plus detection when a member changed), how many, and
    whether a member changed (left, even for a moment)."""
    presences = [twin.presence(ctx, h, network) for h in hosts]
    t, part = k_of_n(presences, majority(len(hosts)))
    if part is None:
        return INF, 0, True
    changed = any(moved(twin, ctx, h, network, p, part=part) for h, p in zip(hosts, presences, strict=True))
    return max(t, detect if changed else 0.0), sum(part in p for p in presences), changed


def backend_outage(twin: TwinView, changed: bool) -> tuple[float, float]:
    """A controller gone: HAProxy still sends it requests until its checks take it out. (outage, phase: the
    checks run on their own clock, so the outage may end up to one interval sooner.)"""
    c = twin.convergence
    return (c.api_backend_detect_s, c.api_check_inter_s) if changed else (0.0, 0.0)


def _openstack_api(twin: TwinView, region: OpenStackRegion) -> ServiceSpec:
    net = region.internal_network
    deps = union(twin.host_deps(h) for h in region.controllers) | twin.topology.network_components(net)
    needs = placements(twin.design) + (
        (f"openstack/{region.keystone_from}/api",) if region.keystone_from else ()
    )

    def evaluate(ctx: Context) -> ServiceState:
        galera, together, changed = quorum_outage(
            twin, ctx, region.controllers, net, twin.convergence.galera_suspect_s
        )
        if galera == INF:
            return ServiceState(
                "down", INF, f"Galera/RabbitMQ: no majority of {len(region.controllers)} controllers"
            )
        presences = [twin.presence(ctx, h, net) for h in region.controllers]
        vip = keepalived_outage(
            presences,
            [base_presence(twin, ctx, h, net) for h in region.controllers],
            twin.convergence.api_advert_s,
        )
        keystone = ctx.results[f"openstack/{region.keystone_from}/api"] if region.keystone_from else None
        if keystone is not None and keystone.status == "down":
            return ServiceState("down", INF, f"Keystone of {region.keystone_from} is down")
        backend, phase = backend_outage(twin, changed)
        outage = max(galera, vip, backend, keystone.outage_s if keystone else 0.0)
        degraded = together < len(region.controllers) or (
            keystone is not None and keystone.status == "degraded"
        )
        return state(
            outage,
            degraded=degraded,
            detail=f"{together}/{len(region.controllers)} controllers in quorum",
            phase=phase if outage == backend else 0.0,
        )

    return ServiceSpec(
        f"openstack/{region.name}/api",
        "cloud",
        deps,
        needs,
        evaluate,
        members=tuple(region.controllers),
        quorum=majority(len(region.controllers)),
    )


def _kubernetes_api(twin: TwinView, cluster: KubernetesCluster) -> ServiceSpec:
    net = cluster.api_network
    hosts = sorted({*cluster.etcd, *cluster.control_plane})
    deps = union(twin.host_deps(h) for h in hosts) | twin.topology.network_components(net)

    def evaluate(ctx: Context) -> ServiceState:
        etcd, together, changed = quorum_outage(
            twin, ctx, cluster.etcd, net, twin.convergence.etcd_election_s
        )
        if etcd == INF:
            return ServiceState("down", INF, f"etcd: no majority of {len(cluster.etcd)} members")
        presences = [twin.presence(ctx, h, net) for h in cluster.control_plane]
        vip = keepalived_outage(
            presences,
            [base_presence(twin, ctx, h, net) for h in cluster.control_plane],
            twin.convergence.api_advert_s,
        )
        if vip == INF:
            return ServiceState("down", INF, "no control-plane node holds the API address")
        backend, phase = backend_outage(twin, changed)
        outage = max(etcd, vip, backend)
        return state(
            outage,
            degraded=together < len(cluster.etcd),
            detail=f"{together}/{len(cluster.etcd)} etcd members",
            phase=phase if outage == backend else 0.0,
        )

    return ServiceSpec(
        f"kubernetes/{cluster.name}/api",
        "containers",
        deps,
        placements(twin.design),
        evaluate,
        members=tuple(cluster.etcd),
        quorum=majority(len(cluster.etcd)),
    )


def _pool_of_hosts(
    twin: TwinView, name: str, layer: str, hosts: list[str], *, network: str, detect: float
) -> ServiceSpec:
    """Capacity spread over interchangeable hosts: down only when none is left."""
    direct = {h: twin.direct_deps(h) for h in hosts}
    index = MemberIndex(direct)

    def evaluate(ctx: Context) -> ServiceState:
        hit = index.hit(ctx.failed)
        present = pool_presence(ctx, name, hosts, hit, lambda h: bool(twin.presence(ctx, h, network)))
        if not present:
            return ServiceState("down", INF, "no host left")
        changed = any(moved(twin, ctx, h, network, twin.presence(ctx, h, network)) for h in hit)
        up = len(present)
        return state(detect if changed else 0.0, degraded=up < len(hosts), detail=f"{up}/{len(hosts)} hosts")

    return ServiceSpec(
        name, layer, union(direct.values()), placements(twin.design), evaluate, members=tuple(hosts)
    )
