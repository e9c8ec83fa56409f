"""An Ansible inventory of the whole platform, one file per site plus one for the VMs: groups by site
(site_dc1), by role (role_ceph) and by layer (layer_network, layer_storage, ...). Ansible merges the files."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from trisite.model import Design, Index
from trisite.model.interfaces import interfaces
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, to_yaml

LAYERS = {
    "ceph": "storage",
    "ovirt": "virtualization",
    "openstack": "cloud",
    "kubernetes": "containers",
    "monitoring": "operations",
    "backup": "operations",
    "dns": "operations",
    "bastion": "operations",
}


def _host_vars(ix: Index, name: str) -> dict[str, Any]:
    ifaces = interfaces(ix, name)
    mgmt = [i for i in ifaces if ix.networks[i.network].zone == "mgmt"] or ifaces
    return {"ansible_host": str(mgmt[0].address.ip)} if mgmt else {}


def _groups(entries: list[tuple[str, str | None, list[str], str]], ix: Index) -> dict[str, Any]:
    """Each host's variables once, under `all`; the groups name their hosts (Ansible merges the two)."""
    hosts: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"hosts": {}})
    for name, site, roles, layer in entries:
        hosts[name] = _host_vars(ix, name) or None
        names = [f"site_{site}"] if site else []
        names += [f"role_{role.replace('-', '_')}" for role in roles] + [f"layer_{layer}"]
        for group in names:
            groups[group]["hosts"][name] = None
    return {"all": {"hosts": hosts, "children": {k: dict(v) for k, v in sorted(groups.items())}}}


def render(design: Design, ix: Index) -> list[Artifact]:
    by_site: dict[str, list[tuple[str, str | None, list[str], str]]] = defaultdict(list)
    for f in design.firewalls:
        if f.kind == "physical":
            by_site[f.site].append((f.name, f.site, ["firewall"], "network"))
    for w in design.switches:
        by_site[w.site].append((w.name, w.site, ["switch"], "network"))
    for s in design.servers:
        by_site[s.site].append((s.name, s.site, [str(r) for r in s.roles], LAYERS[s.roles[0]]))
    found = [
        Artifact(
            f"{site}/ansible/inventory.yml",
            to_yaml(_groups(entries, ix), header(f"Ansible inventory, {site}")),
            "inventory",
            "",
            site,
            Apply("ansible", "inventory"),
        )
        for site, entries in sorted(by_site.items())
    ]
    guests: list[tuple[str, str | None, list[str], str]] = [
        (v.name, None, [str(r) for r in v.roles], LAYERS[v.roles[0]] if v.roles else "virtualization")
        for v in design.vms
    ]
    guests += [(f.name, None, ["firewall"], "network") for f in design.firewalls if f.kind == "virtual"]
    if guests:
        found.append(
            Artifact(
                "platform/ansible/vms.yml",
                to_yaml(_groups(guests, ix), header("Ansible inventory, VMs")),
                "inventory",
                "",
                None,
                Apply("ansible", "inventory"),
            )
        )
    return found
