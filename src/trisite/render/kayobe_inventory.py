"""A Kayobe region's inventory, laid out as the kayobe-config skeleton lays it out: `inventory/groups` (Kayobe's
own groups and their children), `inventory/hosts` (the region's hosts in the top-level groups), and each group's
interface on each Kayobe network in `inventory/group_vars/GROUP/network-interfaces` (`NET_interface`), or the
host's own in `inventory/host_vars/HOST/network-interfaces` where the group's hosts differ."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from trisite.model import Index
from trisite.model.interfaces import on_network
from trisite.model.services import OpenStackRegion
from trisite.render.engine import header, to_yaml

# Kayobe's groups (kayobe-config's etc/kayobe/inventory/groups): an empty list declares a group for hosts.
GROUPS: list[tuple[str, list[str]]] = [
    ("seed", []),
    ("seed-hypervisor", []),
    ("container-image-builders", ["seed"]),
    ("hypervisors", ["seed-hypervisor"]),
    ("infra-vms", []),
    ("controllers", []),
    ("network", ["controllers"]),
    ("monitoring", []),
    ("storage", []),
    ("compute-vgpu", []),
    ("compute", ["compute-vgpu"]),
    ("overcloud", ["controllers", "network", "monitoring", "storage", "compute"]),
    ("vgpu", ["compute-vgpu"]),
    ("iommu", ["vgpu"]),
    ("container-engine", ["seed", "controllers", "network", "monitoring", "storage", "compute"]),
    ("docker-registry", ["seed"]),
    ("ntp", ["seed", "seed-hypervisor", "overcloud"]),
    ("baremetal-compute", []),
    ("mgmt-switches", []),
    ("ctl-switches", []),
    ("hs-switches", []),
    ("switches", ["mgmt-switches", "ctl-switches", "hs-switches"]),
]


def members(region: OpenStackRegion) -> dict[str, list[str]]:
    """The region's hosts in Kayobe's top-level groups (the monitoring services run on the controllers)."""
    found = {
        "controllers": sorted(set(region.controllers)),
        "compute": sorted(set(region.computes)),
        "monitoring": sorted(set(region.controllers)),
    }
    if region.network_nodes:
        found["network"] = sorted(set(region.network_nodes))
    return found


def groups(region: OpenStackRegion) -> str:
    lines = [f"# {header('Kayobe groups')}"]
    for group, declared in GROUPS:
        # Separate network nodes are hosts of the network group, instead of the controllers by default.
        children = [] if group == "network" and region.network_nodes else declared
        lines += [f"[{group}:children]" if children else f"[{group}]", *children, ""]
    return "\n".join(lines)


def hosts(region: OpenStackRegion) -> str:
    lines = [f"# {header('Kayobe hosts')}", "localhost ansible_connection=local", ""]
    for group, names in members(region).items():
        lines += [f"[{group}]", *names, ""]
    return "\n".join(lines)


def interface_files(ix: Index, region: OpenStackRegion, networks: dict[str, str]) -> dict[str, str]:
    """`inventory/.../network-interfaces` files by path: a group's when its hosts agree, else each host's.
    `networks`: Kayobe network name -> the design's network."""
    on: dict[str, list[str]] = {
        "controllers": list(networks),
        "network": list(networks),
        "compute": [
            n for n in networks if n == "internal"
        ],  # instances reach outside through the network hosts
    }
    files: dict[str, str] = {}
    for group, names in members(region).items():
        per_host: dict[str, dict[str, Any]] = defaultdict(dict)
        for kayobe_net in on.get(group, []):
            for name in names:
                iface = on_network(ix, name, networks[kayobe_net])
                if iface is not None:
                    per_host[name][f"{kayobe_net}_interface"] = iface.name
        if not per_host:
            continue
        what = header(f"Kayobe network interfaces of the {group} group")
        if len({tuple(sorted(v.items())) for v in per_host.values()}) == 1 and len(per_host) == len(names):
            files[f"inventory/group_vars/{group}/network-interfaces"] = to_yaml(
                next(iter(per_host.values())), what
            )
            continue
        for name, values in sorted(per_host.items()):
            files[f"inventory/host_vars/{name}/network-interfaces"] = to_yaml(
                values, header(f"Kayobe network interfaces of {name}")
            )
    return files
