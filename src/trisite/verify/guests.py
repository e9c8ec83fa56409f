"""The VMs oVirt runs and what they depend on: read by the virtualization layer, the twin (a VM's presence
depends on every host it may run on) and the sweep (a host that is some VM's home is not interchangeable)."""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model import Design
from trisite.model.devices import VmSpec
from trisite.model.services import Ovirt, StorageDomain
from trisite.verify.service import union
from trisite.verify.topology import Topology

PRIORITY = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class GuestVm:
    name: str
    spec: VmSpec


def guests(design: Design) -> list[GuestVm]:
    """Every VM the platform runs on oVirt: the platform VMs and the virtual firewalls."""
    found = [GuestVm(v.name, v) for v in design.vms]
    found += [GuestVm(f.name, f.vm) for f in design.firewalls if f.vm is not None]
    return sorted(found, key=lambda g: (PRIORITY[g.spec.priority], g.name))


def placements(design: Design) -> tuple[str, ...]:
    """The hidden services that place VMs: what a service on VMs needs computed first."""
    return tuple(f"placement/{o.name}" for o in design.ovirt)


def ovirt_of(design: Design, cluster: str) -> Ovirt | None:
    return next((o for o in design.ovirt if any(c.name == cluster for c in o.clusters)), None)


def _domain(ovirt: Ovirt, name: str) -> StorageDomain | None:
    return next((sd for sd in ovirt.storage_domains if sd.name == name), None)


def storage_service(ovirt: Ovirt, domain: str) -> str | None:
    """The Ceph pool service a storage domain lives on."""
    sd = _domain(ovirt, domain)
    if sd is None or sd.ceph_cluster is None or sd.pool is None:
        return None  # NFS/iSCSI served from outside the design: taken as always available
    return f"ceph/{sd.ceph_cluster}/pool/{sd.pool}"


def _pool_deps(design: Design, topology: Topology, service: str | None) -> frozenset[str]:
    if service is None:
        return frozenset()
    _, cluster_name, _, _ = service.split("/")
    cluster = next(c for c in design.ceph if c.name == cluster_name)
    hosts = {*cluster.mons, *cluster.osd_hosts}
    nets = [cluster.public_network] + ([cluster.cluster_network] if cluster.cluster_network else [])
    return union(topology.host_components(h) for h in hosts) | union(
        topology.network_components(n) for n in nets
    )


def engine_deps(design: Design, topology: Topology, ovirt: Ovirt) -> frozenset[str]:
    hosts = union(topology.host_components(h) for h in ovirt.engine.hosts)
    return (
        hosts
        | topology.network_components(ovirt.engine.network)
        | _pool_deps(design, topology, storage_service(ovirt, ovirt.engine.storage_domain))
    )


def vm_dependencies(design: Design, topology: Topology) -> dict[str, frozenset[str]]:
    """A VM may run on any host of its cluster, needs its storage, and the engine to be restarted."""
    found: dict[str, frozenset[str]] = {}
    for guest in guests(design):
        ovirt = ovirt_of(design, guest.spec.cluster)
        if ovirt is None:
            found[guest.name] = frozenset({f"vm:{guest.name}"})
            continue
        hosts = next(c.hosts for c in ovirt.clusters if c.name == guest.spec.cluster)
        found[guest.name] = (
            frozenset({f"vm:{guest.name}"})
            | union(topology.host_components(h) for h in hosts)
            | _pool_deps(design, topology, storage_service(ovirt, guest.spec.storage_domain))
            | engine_deps(design, topology, ovirt)
        )
    return found
