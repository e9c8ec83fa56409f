"""oVirt semantics: the hosted engine restarts on another allowed host; HA VMs restart on another host of
their cluster when the engine runs, their storage domain serves, and a host has the memory for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trisite.model.devices import Server, VmSpec
from trisite.model.services import Ovirt, StorageDomain
from trisite.verify import timers
from trisite.verify.layers_storage import reaches_storage
from trisite.verify.service import INF, Context, MemberIndex, ServiceSpec, ServiceState, state, union

if TYPE_CHECKING:
    from trisite.verify.twin import Twin

PRIORITY = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class GuestVm:
    name: str
    spec: VmSpec


def guests(twin: Twin) -> list[GuestVm]:
    """Every VM the platform runs on oVirt: the platform VMs and the virtual firewalls."""
    found = [GuestVm(v.name, v) for v in twin.design.vms]
    found += [GuestVm(f.name, f.vm) for f in twin.design.firewalls if f.vm is not None]
    return sorted(found, key=lambda g: (PRIORITY[g.spec.priority], g.name))


def _domain(ovirt: Ovirt, name: str) -> StorageDomain | None:
    return next((sd for sd in ovirt.storage_domains if sd.name == name), None)


def _storage_service(ovirt: Ovirt, domain: str) -> str | None:
    sd = _domain(ovirt, domain)
    if sd is None or sd.ceph_cluster is None or sd.pool is None:
        return None  # NFS/iSCSI served from outside the design: taken as always available
    return f"ceph/{sd.ceph_cluster}/pool/{sd.pool}"


def _ovirt_of(twin: Twin, cluster: str) -> Ovirt | None:
    return next((o for o in twin.design.ovirt if any(c.name == cluster for c in o.clusters)), None)


def _pool_deps(twin: Twin, service: str | None) -> frozenset[str]:
    if service is None:
        return frozenset()
    _, cluster_name, _, _ = service.split("/")
    cluster = next(c for c in twin.design.ceph if c.name == cluster_name)
    hosts = {*cluster.mons, *cluster.osd_hosts}
    nets = [cluster.public_network] + ([cluster.cluster_network] if cluster.cluster_network else [])
    return union(twin.topology.host_components(h) for h in hosts) | union(
        twin.topology.network_components(n) for n in nets
    )


def _engine_deps(twin: Twin, ovirt: Ovirt) -> frozenset[str]:
    hosts = union(twin.topology.host_components(h) for h in ovirt.engine.hosts)
    return (
        hosts
        | twin.topology.network_components(ovirt.engine.network)
        | _pool_deps(twin, _storage_service(ovirt, ovirt.engine.storage_domain))
    )


def vm_dependencies(twin: Twin) -> dict[str, frozenset[str]]:
    """A VM may run on any host of its cluster, needs its storage, and the engine to be restarted."""
    found: dict[str, frozenset[str]] = {}
    for guest in guests(twin):
        ovirt = _ovirt_of(twin, guest.spec.cluster)
        if ovirt is None:
            found[guest.name] = frozenset({f"vm:{guest.name}"})
            continue
        hosts = next(c.hosts for c in ovirt.clusters if c.name == guest.spec.cluster)
        found[guest.name] = (
            frozenset({f"vm:{guest.name}"})
            | union(twin.topology.host_components(h) for h in hosts)
            | _pool_deps(twin, _storage_service(ovirt, guest.spec.storage_domain))
            | _engine_deps(twin, ovirt)
        )
    return found


def services(twin: Twin) -> list[ServiceSpec]:
    found: list[ServiceSpec] = []
    for ovirt in twin.design.ovirt:
        found.append(_engine(twin, ovirt))
        found.append(_placement(twin, ovirt))
        found += [_cluster(twin, ovirt, c.name, c.hosts) for c in ovirt.clusters]
    for guest in guests(twin):
        home = _ovirt_of(twin, guest.spec.cluster)
        if home is not None:
            found.append(_vm(twin, home, guest))
    return found


def _routing(twin: Twin) -> tuple[str, ...]:
    return ("routing/adjacency",) if twin.design.routing.transit_networks else ()


def _up(ctx: Context, host: str) -> bool:
    return bool(ctx.physical.uplink_nodes(host))


def _storage_ok(twin: Twin, ctx: Context, host: str, storage: str | None) -> bool:
    """The host reaches the Ceph quorum's side (VM leases keep a cut-off host from running the VM)."""
    return storage is None or reaches_storage(twin, ctx, host, storage.split("/")[1])


def _engine(twin: Twin, ovirt: Ovirt) -> ServiceSpec:
    storage = _storage_service(ovirt, ovirt.engine.storage_domain)
    base_host = ovirt.engine.hosts[0]

    def evaluate(ctx: Context) -> ServiceState:
        disk = ctx.results[storage] if storage else ServiceState("up", 0.0)
        able = [
            h
            for h in ovirt.engine.hosts
            if twin.presence(ctx, h, ovirt.engine.network) and _storage_ok(twin, ctx, h, storage)
        ]
        if disk.status == "down" or not able:
            reason = "its storage domain is down" if disk.status == "down" else "no hosted-engine host is up"
            ctx.extra[f"engine:{ovirt.name}"] = INF
            return ServiceState("down", INF, reason)
        moved = base_host not in able
        outage = max(disk.outage_s, timers.OVIRT_ENGINE_RESTART_S if moved else 0.0)
        ctx.extra[f"engine:{ovirt.name}"] = outage
        return state(
            outage,
            degraded=len(able) < len(ovirt.engine.hosts),
            detail=f"on {base_host if not moved else able[0]}",
        )

    needs = ((storage,) if storage else ()) + _routing(twin)
    return ServiceSpec(
        f"ovirt/{ovirt.name}/engine",
        "virtualization",
        _engine_deps(twin, ovirt),
        needs,
        evaluate,
        members=tuple(ovirt.engine.hosts),
    )


def _placement(twin: Twin, ovirt: Ovirt) -> ServiceSpec:
    """Where every VM of this oVirt runs after the failure, and after how long (hidden, read by VMs)."""
    mine = [g for g in guests(twin) if _ovirt_of(twin, g.spec.cluster) is ovirt]
    storages = {g.name: _storage_service(ovirt, g.spec.storage_domain) for g in mine}
    cluster_hosts = {c.name: c.hosts for c in ovirt.clusters}
    memory = {h: _memory(twin, h) for hosts in cluster_hosts.values() for h in hosts}
    deps = union(vm_dependencies(twin)[g.name] for g in mine)
    needs = (f"ovirt/{ovirt.name}/engine", *sorted({s for s in storages.values() if s}), *_routing(twin))
    homes_index = MemberIndex(
        {g.name: twin.direct_deps(_home(g, cluster_hosts)) | {f"vm:{g.name}"} for g in mine}
    )
    watched = (*needs, *(f"ceph-quorum:{c.name}" for c in twin.design.ceph), "site-graph")

    def unchanged(ctx: Context) -> bool:
        """No VM's home is touched and nothing a restart depends on moved: the all-up placement stands."""
        base = getattr(twin, "base_context", None)
        if base is None or homes_index.hit(ctx.failed):
            return False
        return all(
            ctx.results.get(n) == base.results.get(n) and ctx.extra.get(n) == base.extra.get(n)
            for n in watched
        )

    def evaluate(ctx: Context) -> ServiceState:
        if unchanged(ctx):
            for g in mine:
                ctx.extra[f"vm:{g.name}"] = twin.base_context.extra[f"vm:{g.name}"]
            return twin.base.services[f"placement/{ovirt.name}"]

        free = dict(memory)
        homes = {g.name: _home(g, cluster_hosts) for g in mine}

        for g in mine:
            free[homes[g.name]] = free.get(homes[g.name], 0) - g.spec.memory_gb
        engine = ctx.extra.get(f"engine:{ovirt.name}", INF)
        assert isinstance(engine, float)
        moved = 0
        placer = _Placer(twin, ctx, free, engine)
        for g in mine:
            where = placer.place(g, homes[g.name], cluster_hosts[g.spec.cluster], storages[g.name])
            ctx.extra[f"vm:{g.name}"] = where
            moved += where is not None and where[0] != homes[g.name]
        return ServiceState("up", 0.0, f"{moved} VMs restarted elsewhere")

    return ServiceSpec(f"placement/{ovirt.name}", "virtualization", deps, needs, evaluate, hidden=True)


def _home(guest: GuestVm, cluster_hosts: dict[str, list[str]]) -> str:
    return guest.spec.preferred_host or cluster_hosts[guest.spec.cluster][0]


def _memory(twin: Twin, host: str) -> int:
    server = twin.topology.ix.hosts.get(host)
    return server.memory_gb if isinstance(server, Server) else 0


@dataclass
class _Placer:
    """Restarts VMs one by one (high priority first) on the host with the most free memory."""

    twin: Twin
    ctx: Context
    free: dict[str, int]
    engine: float

    def place(
        self, guest: GuestVm, home: str, hosts: list[str], storage: str | None
    ) -> tuple[str, float] | None:
        ctx = self.ctx
        disk = ctx.results[storage] if storage else ServiceState("up", 0.0)
        if disk.status == "down":
            return None  # I/O errors pause the VM until its storage serves again
        crashed = f"vm:{guest.name}" in ctx.failed
        # A storage stall pauses disk I/O, not the VM's network presence: only restarts count as absence.
        if _up(ctx, home) and _storage_ok(self.twin, ctx, home, storage):
            if crashed and not guest.spec.ha:
                return None
            return home, timers.OVIRT_VM_BOOT_S if crashed else 0.0
        if not guest.spec.ha or self.engine == INF:
            return None
        usable = (h for h in hosts if h != home and _up(ctx, h) and _storage_ok(self.twin, ctx, h, storage))
        candidates = sorted(usable, key=lambda h: (-self.free.get(h, 0), h))
        target = next((h for h in candidates if self.free.get(h, 0) >= guest.spec.memory_gb), None)
        if target is None:
            return None
        self.free[target] -= guest.spec.memory_gb
        return target, max(self.engine, timers.OVIRT_HOST_FENCE_S) + timers.OVIRT_VM_BOOT_S


def _vm(twin: Twin, ovirt: Ovirt, guest: GuestVm) -> ServiceSpec:
    def evaluate(ctx: Context) -> ServiceState:
        where = ctx.extra.get(f"vm:{guest.name}")
        if not isinstance(where, tuple):
            return ServiceState("down", INF, "not running (host lost and no restart possible)")
        host, delay = where
        home = guest.spec.preferred_host or host
        return state(delay, degraded=host != home, detail=f"on {host}")

    return ServiceSpec(
        f"vm/{guest.name}",
        "virtualization",
        vm_dependencies(twin)[guest.name],
        (f"placement/{ovirt.name}",),
        evaluate,
        members=(guest.name,),
    )


def _cluster(twin: Twin, ovirt: Ovirt, name: str, hosts: list[str]) -> ServiceSpec:
    direct = {h: twin.direct_deps(h) for h in hosts}
    index = MemberIndex(direct)
    service = f"ovirt/{ovirt.name}/cluster/{name}"
    deps = union(direct.values())

    def evaluate(ctx: Context) -> ServiceState:
        up = twin.pool_presence(ctx, service, hosts, index.hit(ctx.failed), lambda h: _up(ctx, h))
        if not up:
            return ServiceState("down", INF, "no host up")
        return state(0.0, degraded=len(up) < len(hosts), detail=f"{len(up)}/{len(hosts)} hosts up")

    return ServiceSpec(
        f"ovirt/{ovirt.name}/cluster/{name}", "virtualization", deps, (), evaluate, members=tuple(hosts)
    )
