"""The host systems a Kayobe region deploys on, and what each one means to Kayobe (os_distribution, os_release)
and to Kolla (kolla_base_distro): one table, read by validation and by the renderer, so that `validate` refuses
what `render` would."""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model.design import Design
from trisite.model.index import Index
from trisite.model.services import OpenStackRegion


@dataclass(frozen=True)
class KollaHost:
    distribution: str  # Kayobe's os_distribution
    release: str  # Kayobe's os_release
    base_distro: str  # Kolla's images built on the same distribution as their hosts


# Kayobe 2024.1 deploys on Rocky 9, CentOS Stream 9 and Ubuntu jammy/noble (no Debian hosts); Kolla builds
# images for rocky, ubuntu, debian and centos. The design's systems Kayobe and Kolla both take:
KOLLA_HOSTS = {
    "rocky-9": KollaHost("rocky", "9", "rocky"),
    "ubuntu-22.04": KollaHost("ubuntu", "jammy", "ubuntu"),
    "ubuntu-24.04": KollaHost("ubuntu", "noble", "ubuntu"),
}


KOLLA_POOLS = ("images", "volumes", "vms")  # Kolla's Ceph pools of Glance, Cinder and Nova


def region_systems(design: Design, ix: Index, region: OpenStackRegion) -> set[str]:
    """The operating systems of the region's hosts (a host without its own: the design's default)."""
    return {
        getattr(ix.hosts.get(h), "os", None) or design.versions.os
        for h in [*region.controllers, *region.computes, *region.network_nodes]
    }


def region_host(design: Design, ix: Index, region: OpenStackRegion) -> KollaHost | str:
    """What Kayobe and Kolla make of the region's hosts, or why they cannot deploy it."""
    systems = region_systems(design, ix, region)
    system = next(iter(systems))
    if len(systems) != 1 or system not in KOLLA_HOSTS:
        return (
            f"Kayobe needs one host OS among {', '.join(KOLLA_HOSTS)}; "
            f"the hosts run {', '.join(sorted(str(s) for s in systems))}"
        )
    host = KOLLA_HOSTS[system]
    if region.base_distro is not None and region.base_distro != host.base_distro:
        return (
            f"base_distro {region.base_distro} on {system} hosts: Kolla's images follow the hosts' "
            f"distribution ({host.base_distro}); drop base_distro or set it to {host.base_distro}"
        )
    return host
