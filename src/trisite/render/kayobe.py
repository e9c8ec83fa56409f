"""A Kayobe configuration tree per OpenStack region: inventory, networks and their allocations, globals,
kolla.yml, and Kolla-Ansible globals (HAProxy/keepalived VIPs with the region's own router id, Galera,
RabbitMQ quorum queues, one Keystone shared between regions)."""

from __future__ import annotations

from typing import Any

from trisite.errors import RenderError
from trisite.model import Design, Index
from trisite.model.interfaces import on_network
from trisite.model.services import OpenStackRegion
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, to_yaml

DISTRIBUTIONS = {
    "rocky-9": ("rocky", "9"),
    "ubuntu-22.04": ("ubuntu", "jammy"),
    "ubuntu-24.04": ("ubuntu", "noble"),
}


def _host_os(design: Design, ix: Index, region: OpenStackRegion) -> tuple[str, str]:
    systems = {
        getattr(ix.hosts[h], "os", None) or design.versions.os
        for h in [*region.controllers, *region.computes, *region.network_nodes]
    }
    if len(systems) != 1 or next(iter(systems)) not in DISTRIBUTIONS:
        raise RenderError(
            f"openstack[{region.name}]: Kayobe needs one host OS among {', '.join(DISTRIBUTIONS)}; "
            f"the hosts run {', '.join(sorted(systems))}"
        )
    return DISTRIBUTIONS[next(iter(systems))]


def _inventory(region: OpenStackRegion) -> str:
    network = region.network_nodes or region.controllers
    sections = [
        ("controllers", region.controllers),
        ("compute", region.computes),
        ("network", network),
        ("monitoring", region.controllers),
        ("storage", []),
        ("seed", []),
    ]
    lines = [f"# {header('Kayobe inventory')}"]
    for group, hosts in sections:
        lines += [f"[{group}]", *sorted(set(hosts)), ""]
    return "\n".join(lines)


def _networks(ix: Index, region: OpenStackRegion) -> tuple[dict[str, Any], dict[str, Any]]:
    attributes: dict[str, Any] = {
        "admin_oc_net_name": "internal",
        "internal_net_name": "internal",
        "public_net_name": "external",
        "external_net_names": ["external"],
        "tunnel_net_name": "internal",
        "storage_net_name": "internal",
    }
    allocation: dict[str, Any] = {}
    for role, name, vip in (
        ("internal", region.internal_network, region.internal_vip),
        ("external", region.external_network, region.external_vip),
    ):
        net = ix.networks[name]
        attributes |= {
            f"{role}_cidr": str(net.prefix),
            f"{role}_vip_address": str(vip),
            f"{role}_mtu": net.mtu,
        }
        if net.gateway:
            attributes[f"{role}_gateway"] = str(net.gateway)
        if net.vlan:
            attributes[f"{role}_vlan"] = net.vlan
        hosts = region.controllers if role == "external" else [*region.controllers, *region.computes]
        ips = {h: str(iface.address.ip) for h in sorted(set(hosts)) if (iface := on_network(ix, h, name))}
        allocation[f"{role}_ips"] = ips
    return attributes, allocation


def _kolla_globals(design: Design, region: OpenStackRegion) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kolla_internal_vip_address": str(region.internal_vip),
        "kolla_external_vip_address": str(region.external_vip),
        "keepalived_virtual_router_id": str(region.keepalived_router_id),
        "openstack_region_name": region.name,
        "enable_mariadb": True,
        "enable_haproxy": True,
        "enable_keepalived": True,
        "om_enable_rabbitmq_quorum_queues": True,
        "enable_cinder": region.ceph_cluster is not None,
        "glance_backend_ceph": region.ceph_cluster is not None,
        "cinder_backend_ceph": region.ceph_cluster is not None,
        "nova_backend_ceph": region.ceph_cluster is not None,
    }
    if region.keystone_from is None:
        values["multiple_regions_names"] = [
            region.name,
            *sorted(r.name for r in design.openstack if r.keystone_from == region.name),
        ]
    else:
        home = next(r for r in design.openstack if r.name == region.keystone_from)
        values |= {
            "enable_keystone": False,
            "enable_horizon": False,
            "keystone_internal_url": f"http://{home.internal_vip}:5000",
            "keystone_public_url": f"https://{home.external_vip}:5000",
            "openstack_auth": {"auth_url": f"http://{home.internal_vip}:5000"},
        }
    return values


def render(design: Design, ix: Index) -> list[Artifact]:
    found = []
    for region in design.openstack:
        base = f"platform/kayobe/{region.name}/etc/kayobe"
        distribution, release = _host_os(design, ix, region)
        networks, allocation = _networks(ix, region)
        files = {
            "inventory/hosts": _inventory(region),
            "networks.yml": to_yaml(networks, header("Kayobe networks")),
            "network-allocation.yml": to_yaml(allocation, header("Kayobe address allocation")),
            "globals.yml": to_yaml(
                {
                    "os_distribution": distribution,
                    "os_release": release,
                    "timezone": design.platform.timezone,
                },
                header("Kayobe globals"),
            ),
            "kolla.yml": to_yaml(
                {
                    "kolla_base_distro": region.base_distro,
                    "kolla_openstack_release": region.release or design.versions.openstack or "master",
                },
                header("Kayobe Kolla settings"),
            ),
            "kolla/globals.yml": to_yaml(_kolla_globals(design, region), header("Kolla-Ansible globals")),
        }
        for path, content in files.items():
            found.append(
                Artifact(
                    f"{base}/{path}",
                    content,
                    "kayobe",
                    "",
                    None,
                    Apply("ansible", f"kayobe overcloud service deploy ({region.name})"),
                )
            )
    return found
