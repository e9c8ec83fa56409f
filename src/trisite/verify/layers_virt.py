"""oVirt semantics: the hosted engine restarts on another allowed host; HA VMs restart on another host of
their cluster when the engine runs, their storage domain serves, and a host has the memory for them."""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model import timers
from trisite.model.devices import Server
from trisite.model.services import Ovirt
from trisite.verify.facts import Placement
from trisite.verify.guests import GuestVm, engine_deps, guests, ovirt_of, storage_service, vm_dependencies
from trisite.verify.reach import pool_presence, reaches_storage
from trisite.verify.service import INF, Context, MemberIndex, ServiceSpec, ServiceState, state, union
from trisite.verify.view import TwinView


def services(twin: TwinView) -> list[ServiceSpec]:
    found: list[ServiceSpec] = []
    vm_deps = vm_dependencies(twin.design, twin.topology)
    for ovirt in twin.design.ovirt:
        found.append(_engine(twin, ovirt))
        found.append(_placement(twin, ovirt, vm_deps))
        found += [_cluster(twin, ovirt, c.name, c.hosts) for c in ovirt.clusters]
    for guest in guests(twin.design):
        home = ovirt_of(twin.design, guest.spec.cluster)
        if home is not None:
            found.append(_vm(ovirt=home, guest=guest, deps=vm_deps[guest.name]))
    return found


def _routing(twin: TwinView) -> tuple[str, ...]:
    return ("routing/adjacency",) if twin.design.routing.transit_networks else ()


def _up(ctx: Context, host: str) -> bool:
    return bool(ctx.physical.uplink_nodes(host))


def _storage_ok(twin: TwinView, ctx: Context, host: str, storage: str | None) -> bool:
    """The host reaches the Ceph quorum's side (VM leases keep a cut-off host from running the VM)."""
    return storage is None or reaches_storage(twin, ctx, host, storage.split("/")[1])


def _engine(twin: TwinView, ovirt: Ovirt) -> ServiceSpec:
    storage = storage_service(ovirt, ovirt.engine.storage_domain)
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
            ctx.facts.engine_outage[ovirt.name] = INF
            return ServiceState("down", INF, reason)
        moved = base_host not in able
        outage = max(disk.outage_s, timers.OVIRT_ENGINE_RESTART_S if moved else 0.0)
        ctx.facts.engine_outage[ovirt.name] = outage
        return state(
            outage,
            degraded=len(able) < len(ovirt.engine.hosts),
            detail=f"on {base_host if not moved else able[0]}",
        )

    needs = ((storage,) if storage else ()) + _routing(twin)
    return ServiceSpec(
        f"ovirt/{ovirt.name}/engine",
        "virtualization",
        engine_deps(twin.design, twin.topology, ovirt),
        needs,
        evaluate,
        members=tuple(ovirt.engine.hosts),
    )


def _placement(twin: TwinView, ovirt: Ovirt, vm_deps: dict[str, frozenset[str]]) -> ServiceSpec:
    """Where every VM of this oVirt runs after the failure, and after how long (hidden, read by VMs)."""
    mine = [g for g in guests(twin.design) if ovirt_of(twin.design, g.spec.cluster) is ovirt]
    storages = {g.name: storage_service(ovirt, g.spec.storage_domain) for g in mine}
    cluster_hosts = {c.name: c.hosts for c in ovirt.clusters}
    homes = {g.name: _home(g, cluster_hosts) for g in mine}
    memory = {h: _memory(twin, h) for hosts in cluster_hosts.values() for h in hosts}
    needs = (f"ovirt/{ovirt.name}/engine", *sorted({s for s in storages.values() if s}), *_routing(twin))
    homes_index = MemberIndex({g.name: twin.direct_deps(homes[g.name]) | {f"vm:{g.name}"} for g in mine})
    clusters = [c.name for c in twin.design.ceph]
    name = f"placement/{ovirt.name}"

    def unchanged(ctx: Context, base: Context) -> bool:
        """No VM's home is touched and nothing a restart depends on moved: the all-up placement stands."""
        return (
            not homes_index.hit(ctx.failed)
            and all(ctx.results.get(n) == base.results.get(n) for n in needs)
            and all(ctx.facts.quorum_part.get(c) == base.facts.quorum_part.get(c) for c in clusters)
            and ctx.facts.site_graph == base.facts.site_graph
        )

    def evaluate(ctx: Context) -> ServiceState:
        if ctx.base is not None and unchanged(ctx, ctx.base):
            for g in mine:
                ctx.facts.placement[g.name] = ctx.base.facts.placement[g.name]
            return ctx.base.results[name]
        free = dict(memory)
        for g in mine:
            free[homes[g.name]] = free.get(homes[g.name], 0) - g.spec.memory_gb
        placer = _Placer(twin, ctx, free, ctx.facts.engine_outage.get(ovirt.name, INF))
        moved = 0
        for g in mine:
            where = placer.place(g, homes[g.name], cluster_hosts[g.spec.cluster], storages[g.name])
            ctx.facts.placement[g.name] = where
            moved += where is not None and where[0] != homes[g.name]
        return ServiceState("up", 0.0, f"{moved} VMs restarted elsewhere")

    deps = union(vm_deps[g.name] for g in mine)
    return ServiceSpec(name, "virtualization", deps, needs, evaluate, hidden=True)


def _home(guest: GuestVm, cluster_hosts: dict[str, list[str]]) -> str:
    return guest.spec.preferred_host or cluster_hosts[guest.spec.cluster][0]


def _memory(twin: TwinView, host: str) -> int:
    server = twin.topology.ix.hosts.get(host)
    return server.memory_gb if isinstance(server, Server) else 0


@dataclass
class _Placer:
    """Restarts VMs one by one (high priority first) on the host with the most free memory."""

    twin: TwinView
    ctx: Context
    free: dict[str, int]
    engine: float

    def place(self, guest: GuestVm, home: str, hosts: list[str], storage: str | None) -> Placement:
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


def _vm(*, ovirt: Ovirt, guest: GuestVm, deps: frozenset[str]) -> ServiceSpec:
    def evaluate(ctx: Context) -> ServiceState:
        where = ctx.facts.placement.get(guest.name)
        if where is None:
            return ServiceState("down", INF, "not running (host lost and no restart possible)")
        host, delay = where
        home = guest.spec.preferred_host or host
        return state(delay, degraded=host != home, detail=f"on {host}")

    return ServiceSpec(
        f"vm/{guest.name}",
        "virtualization",
        deps,
        (f"placement/{ovirt.name}",),
        evaluate,
        members=(guest.name,),
    )


def _cluster(twin: TwinView, ovirt: Ovirt, name: str, hosts: list[str]) -> ServiceSpec:
    direct = {h: twin.direct_deps(h) for h in hosts}
    index = MemberIndex(direct)
    service = f"ovirt/{ovirt.name}/cluster/{name}"
    deps = union(direct.values())

    def evaluate(ctx: Context) -> ServiceState:
        up = pool_presence(ctx, service, hosts, index.hit(ctx.failed), lambda h: _up(ctx, h))
        if not up:
            return ServiceState("down", INF, "no host up")
        return state(0.0, degraded=len(up) < len(hosts), detail=f"{len(up)}/{len(hosts)} hosts up")

    return ServiceSpec(service, "virtualization", deps, (), evaluate, members=tuple(hosts))
