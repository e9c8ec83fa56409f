"""Which VLANs each switch port carries, derived from what is plugged into it.

A host port carries the networks of the host's addresses on that NIC (a hypervisor also carries its VMs'
networks); a switch-to-switch port carries every network of its site; a MAN port carries the networks
stretched to both of its sites; a hand-off port carries the line's network, untagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model import Design, Index
from trisite.model.devices import Switch
from trisite.model.interfaces import interfaces
from trisite.model.types import split_endpoint


@dataclass(frozen=True)
class PortPlan:
    name: str
    speed: int
    peer: str  # "device:port", "operator:LINE" or "" when unused
    untagged: int | None  # access VLAN (None: none, or the port is unused)
    tagged: tuple[int, ...]
    networks: tuple[str, ...]


def _vlans(ix: Index, networks: set[str]) -> list[int]:
    return sorted({v for n in networks if (v := ix.networks[n].vlan) is not None})


def _host_networks(design: Design, ix: Index, host: str, nic: str) -> set[str]:
    device = ix.hosts[host]
    found = {a.network for a in ix.addresses(device) if nic in ix.carrier_nics(device, a)}
    clusters = [c for o in design.ovirt for c in o.clusters if host in c.hosts]
    names = {c.name for c in clusters}
    for vm in design.vms:  # a hypervisor's trunk also carries its guests' networks
        if vm.cluster in names:
            found |= {a.network for a in vm.addresses}
    for fw in design.firewalls:
        if fw.vm is not None and fw.vm.cluster in names:
            found |= {a.network for a in fw.addresses}
    return found


Plugged = dict[str, tuple[dict[str, str], dict[str, str]]]  # switch -> (port -> peer, port -> kind)


def plugged_ports(design: Design) -> Plugged:
    """What is plugged into every port (each switch reading every cable for itself made a 2,000-server render
    read them all 96 times)."""
    found: Plugged = {}

    def plug(here: str, there: str, kind: str) -> None:
        device, port = split_endpoint(here)
        peers, kinds = found.setdefault(device, ({}, {}))
        peers[port], kinds[port] = there, kind

    for cable in design.cables:
        plug(cable.a, cable.b, "cable")
        plug(cable.b, cable.a, "cable")
    for man in design.man_links:
        plug(man.a, man.b, "man")
        plug(man.b, man.a, "man")
    for up in design.uplinks:
        if up.handoff:
            plug(up.handoff, f"operator:{up.name}", "handoff")
    return found


def plan(design: Design, ix: Index, switch: Switch, plugged: Plugged) -> list[PortPlan]:
    """The ports of `switch`; `plugged` is `plugged_ports(design)`, read once for all the switches."""
    peers, kinds = plugged.get(switch.name, ({}, {}))
    site_nets = {n.name for n in design.networks if switch.site in n.sites}
    found = []
    for port, speed in sorted(switch.port_speeds().items(), key=lambda p: _natural(p[0])):
        peer = peers.get(port, "")
        networks: set[str] = set()
        untagged: int | None = None
        if kinds.get(port) == "handoff":
            up = next(u for u in design.uplinks if f"operator:{u.name}" == peer)
            networks = {up.network}
            untagged = ix.networks[up.network].vlan
        elif kinds.get(port) == "man":
            there_site = ix.site_of(split_endpoint(peer)[0])
            networks = {n.name for n in design.networks if switch.site in n.sites and there_site in n.sites}
        elif peer:
            device, nic = split_endpoint(peer)
            networks = (
                site_nets if isinstance(ix.hosts[device], Switch) else _host_networks(design, ix, device, nic)
            )
            untagged = _untagged(ix, device, nic)
        tagged = tuple(v for v in _vlans(ix, networks) if v != untagged)
        found.append(PortPlan(port, speed, peer, untagged, tagged, tuple(sorted(networks))))
    return found


def _untagged(ix: Index, device: str, nic: str) -> int | None:
    """The VLAN a host sends untagged on this NIC: a network alone on its interface (no sub-interface)."""
    if isinstance(ix.hosts[device], Switch):
        return None
    members = ix.interfaces(ix.hosts[device])
    for iface in interfaces(ix, device):
        if iface.vlan is None and nic in members.get(iface.parent, [iface.parent]):
            return ix.networks[iface.network].vlan
    return None


def _natural(name: str) -> tuple[str, int]:
    digits = "".join(c for c in name if c.isdigit())
    return (name.rstrip("0123456789"), int(digits) if digits else 0)
