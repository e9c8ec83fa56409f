"""A Kayobe configuration tree per OpenStack region: inventory, networks and their allocations, globals,
kolla.yml, and Kolla-Ansible globals (HAProxy/keepalived VIPs with the region's own router id, Galera,
RabbitMQ quorum queues, one Keystone shared between regions)."""

from __future__ import annotations

from typing import Any

from trisite.errors import RenderError
from trisite.model import Design, Index
from trisite.model.interfaces import on_network
from trisite.model.kolla import KOLLA_POOLS, KollaHost, region_host
from trisite.model.services import OpenStackRegion
from trisite.render import kayobe_inventory
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.ceph_clients import openstack_users
from trisite.render.engine import header, to_yaml

SERVICES = ("glance", "cinder", "nova")  # Kolla's Ceph users and pools, in the order of KOLLA_POOLS
KEYSTONE_SERVICES = ("glance", "cinder", "nova", "neutron", "placement", "heat")


def _host(design: Design, ix: Index, region: OpenStackRegion) -> KollaHost:
    found = region_host(design, ix, region)
    if isinstance(found, str):
        raise RenderError(f"openstack[{region.name}]: {found}")
    return found


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
        # Kolla's exporters only: trisite's Prometheus and Alertmanagers scrape them (render/monitoring).
        "enable_prometheus": True,
        "enable_prometheus_server": False,
        "enable_prometheus_alertmanager": False,
        "enable_prometheus_node_exporter": True,
        "enable_prometheus_mysqld_exporter": True,
        "enable_prometheus_rabbitmq_exporter": True,
    }
    if region.ceph_cluster is not None:
        users = openstack_users(region)
        values |= {f"ceph_{service}_user": user for service, user in users.items()}
        values |= {
            f"ceph_{service}_pool_name": pool for service, pool in zip(SERVICES, KOLLA_POOLS, strict=True)
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
            # Kolla's own value, with the home region's Keystone: the admin's name and password stay
            # references, resolved by Kolla-Ansible from its passwords (the same admin password: kolla.yml).
            "openstack_auth": {
                "auth_url": "{{ keystone_internal_url }}",
                "username": "{{ keystone_admin_user }}",
                "password": "{{ keystone_admin_password }}",
                "project_name": "{{ keystone_admin_project }}",
                "domain_name": "default",
                "user_domain_name": "default",
            },
        }
        # The service users live in the shared Keystone: a region's own names keep one region's deployment
        # from resetting the password of another region's users.
        values |= {f"{service}_keystone_user": f"{service}-{region.name}" for service in KEYSTONE_SERVICES}
    return values


def _kolla(design: Design, region: OpenStackRegion, host: KollaHost) -> tuple[str, tuple[str, ...]]:
    """kolla.yml, and the secrets it refers to. Kayobe makes kolla/passwords.yml itself (kolla-genpwd, then
    Ansible Vault with KAYOBE_VAULT_PASSWORD); only the passwords that regions share are given, as references
    deploy fills in."""
    values: dict[str, Any] = {
        "kolla_base_distro": host.base_distro,
        "kolla_openstack_release": region.release or design.versions.openstack or "master",
    }
    home = next(r for r in design.openstack if r.name == (region.keystone_from or region.name))
    secret = home.keystone_admin_password
    if secret is None and region is not home:
        raise RenderError(
            f"openstack[{region.name}]: region {home.name} has no keystone_admin_password, "
            "and this region logs in to its Keystone"
        )
    if secret is not None:
        values["kolla_ansible_extra_custom_passwords"] = {"keystone_admin_password": secret_ref(secret)}
    return to_yaml(values, header("Kayobe Kolla settings")), (secret,) if secret else ()


def render(design: Design, ix: Index) -> list[Artifact]:
    found = []
    for region in design.openstack:
        base = f"platform/kayobe/{region.name}/etc/kayobe"
        host = _host(design, ix, region)
        networks, allocation = _networks(ix, region)
        kolla, secrets = _kolla(design, region, host)
        kayobe_networks = {"internal": region.internal_network, "external": region.external_network}
        files = {
            "inventory/groups": kayobe_inventory.groups(region),
            "inventory/hosts": kayobe_inventory.hosts(region),
            **kayobe_inventory.interface_files(ix, region, kayobe_networks),
            "networks.yml": to_yaml(networks, header("Kayobe networks")),
            "network-allocation.yml": to_yaml(allocation, header("Kayobe address allocation")),
            "globals.yml": to_yaml(
                {
                    "os_distribution": host.distribution,
                    "os_release": host.release,
                    "timezone": design.platform.timezone,
                },
                header("Kayobe globals"),
            ),
            "kolla.yml": kolla,
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
                    secrets if path == "kolla.yml" else (),
                )
            )
    return found
