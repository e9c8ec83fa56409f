"""oVirt: variables for the ovirt.ovirt Ansible collection: hosted_engine_setup (the engine), infra (data
center, clusters, hosts, storage domains on Ceph through managed block storage) and vm_infra (HA VMs, the
virtual firewalls among them)."""

from __future__ import annotations

from typing import Any

from trisite.model import Design, Index
from trisite.model.devices import Server
from trisite.model.interfaces import on_network
from trisite.model.services import Ovirt, StorageDomain
from trisite.render.artifact import Apply, Artifact
from trisite.render.ceph_clients import ovirt_user
from trisite.render.engine import header, to_yaml

PRIORITY = {"low": 1, "medium": 50, "high": 100}


def _storage(ovirt: Ovirt, sd: StorageDomain) -> dict[str, Any]:
    if sd.type == "managed-block-ceph":
        return {
            "managed_block_storage": {
                "name": sd.name,
                "driver_options": [
                    {"name": "volume_driver", "value": "cinder.volume.drivers.rbd.RBDDriver"},
                    {"name": "rbd_pool", "value": sd.pool},
                    {"name": "rbd_user", "value": ovirt_user(ovirt)},
                    {"name": "rbd_ceph_conf", "value": "/etc/ceph/ceph.conf"},
                ],
            },
            "master": sd.master,
        }
    if sd.type == "cephfs":
        # The filesystem named after the pool (render/cephadm.py), whole: mount.ceph finds the MONs and the
        # user's keyring in /etc/ceph; `fs=` picks the filesystem among the cluster's.
        return {
            "posixfs": {
                "path": ":/",
                "vfs_type": "ceph",
                "mount_options": f"name={ovirt_user(ovirt)},fs={sd.pool}",
            },
            "master": sd.master,
        }
    return {sd.type: {"path": sd.path}, "master": sd.master}


def _vars(design: Design, ix: Index, ovirt: Ovirt) -> dict[str, Any]:
    engine = ovirt.engine
    hosts = []
    for cluster in ovirt.clusters:
        for host in cluster.hosts:
            iface = on_network(ix, host, engine.network)
            server = ix.hosts[host]
            assert isinstance(server, Server)  # the model places oVirt only on servers
            hosts.append(
                {
                    "name": host,
                    "address": str(iface.address.ip) if iface else host,
                    "cluster": cluster.name,
                    "hosted_engine": "deploy" if host in engine.hosts else None,
                    "power_management": {"type": "redfish", "address": str(server.bmc.address)},
                }
            )
    guests = [*((v.name, v) for v in design.vms), *((f.name, f.vm) for f in design.firewalls if f.vm)]
    vms = [
        {
            "name": name,
            "cluster": spec.cluster,
            "memory": f"{spec.memory_gb}GiB",
            "cores": spec.vcpus,
            "high_availability": spec.ha,
            "high_availability_priority": PRIORITY[spec.priority],
            "storage_domain": spec.storage_domain,
            **({"host": spec.preferred_host} if spec.preferred_host else {}),
        }
        for name, spec in sorted(guests)
        if any(c.name == spec.cluster for c in ovirt.clusters)
    ]
    return {
        "he_fqdn": engine.fqdn,
        "he_vm_ip_addr": str(engine.address),
        "he_vm_ip_prefix": ix.networks[engine.network].prefix.prefixlen,
        "he_gateway": str(ix.networks[engine.network].gateway or ""),
        "he_domain_type": "posixfs",
        "he_storage_domain_name": engine.storage_domain,
        "data_center_name": ovirt.name,
        "clusters": [{"name": c.name, "ha_reservation": True, "fence_enabled": True} for c in ovirt.clusters],
        "hosts": [{k: v for k, v in h.items() if v is not None} for h in hosts],
        "storages": {sd.name: _storage(ovirt, sd) for sd in ovirt.storage_domains},
        "vms": vms,
    }


def render(design: Design, ix: Index) -> list[Artifact]:
    return [
        Artifact(
            f"platform/ovirt/{o.name}/vars.yml",
            to_yaml(_vars(design, ix, o), header("ovirt.ovirt variables")),
            "ovirt",
            "",
            None,
            Apply("ansible", "ovirt.ovirt.infra, ovirt.ovirt.vm_infra"),
        )
        for o in design.ovirt
    ]
