"""The static shape of the platform that failures act on: power, cabling and layer-2 reach.

Built once per design. A layer-2 graph has switches as nodes (plus a `wire:` node for a cable that joins two
non-switch devices), switch-to-switch cables and MAN links as edges; a network uses the nodes at its sites.
Hosts attach to nodes through their NICs' cables; an address on a bond attaches through every member.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from trisite.model import Design, Index
from trisite.model.components import cable_id
from trisite.model.devices import Firewall, Server, Switch
from trisite.model.types import split_endpoint


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    component: str  # the cable or MAN link whose failure cuts it
    sites: frozenset[str]  # sites whose networks the edge may carry


@dataclass(frozen=True)
class Attachment:
    node: str  # a switch or wire node
    cable: str  # the cable component


@dataclass
class Topology:
    design: Design
    ix: Index = field(init=False)
    power: dict[str, tuple[str, tuple[str, ...]]] = field(init=False)  # device -> site, feed components
    device_component: dict[str, str] = field(init=False)  # physical device -> its component id
    node_site: dict[str, str | None] = field(init=False)
    edges: list[Edge] = field(init=False)
    nic_attachment: dict[tuple[str, str], Attachment] = field(init=False)  # (host, nic) -> where it plugs
    network_sites: dict[str, frozenset[str]] = field(init=False)
    _by_host: dict[str, list[Attachment]] = field(init=False)
    _attachments: dict[tuple[str, str], list[Attachment]] = field(init=False, default_factory=dict)
    _network_components: dict[str, frozenset[str]] = field(init=False, default_factory=dict)

    # Layer-2 parts per (network, failed components of that network): filled by PhysicalState.parts.
    parts_cache: dict[tuple[str, frozenset[str]], dict[str, str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        d = self.design
        self.ix = Index.of(d)
        self.power = {}
        self.device_component = {}
        physical: list[tuple[str, Firewall | Switch | Server]] = [
            ("firewall", f) for f in d.firewalls if f.kind == "physical"
        ]
        physical += [("switch", w) for w in d.switches] + [("server", s) for s in d.servers]
        for kind, dev in physical:
            self.power[dev.name] = (dev.site, tuple(f"feed:{dev.site}/{f}" for f in dev.power_feeds))
            self.device_component[dev.name] = f"{kind}:{dev.name}"
        self.network_sites = {n.name: frozenset(n.sites) for n in d.networks}
        self.node_site = {w.name: w.site for w in d.switches}
        self.edges = []
        self.nic_attachment = {}
        for cable in d.cables:
            self._link(cable.a, cable.b, cable_id(cable.a, cable.b))
        for man in d.man_links:
            self._link(man.a, man.b, f"man:{man.name}")
        self._by_host = defaultdict(list)
        for (host, _), attachment in sorted(self.nic_attachment.items()):
            self._by_host[host].append(attachment)

    def _is_switch(self, device: str) -> bool:
        return isinstance(self.ix.hosts.get(device), Switch)

    def _link(self, a: str, b: str, component: str) -> None:
        (da, pa), (db, pb) = split_endpoint(a), split_endpoint(b)
        sites = frozenset(s for s in (self.ix.site_of(da), self.ix.site_of(db)) if s)
        if self._is_switch(da) and self._is_switch(db):
            self.edges.append(Edge(da, db, component, sites))
        elif self._is_switch(da) or self._is_switch(db):
            switch, host, port = (da, db, pb) if self._is_switch(da) else (db, da, pa)
            self.nic_attachment[(host, port)] = Attachment(switch, component)
        else:  # two hosts wired directly: the wire is a node both attach to
            wire = f"wire:{component}"
            self.node_site[wire] = None
            self.nic_attachment[(da, pa)] = Attachment(wire, component)
            self.nic_attachment[(db, pb)] = Attachment(wire, component)

    def network_nodes(self, network: str) -> list[str]:
        sites = self.network_sites[network]
        return sorted(n for n, s in self.node_site.items() if s is None or s in sites)

    def network_edges(self, network: str) -> list[Edge]:
        sites = self.network_sites[network]
        return [e for e in self.edges if e.sites <= sites]

    def host_components(self, host: str) -> frozenset[str]:
        """What a physical host's presence depends on: itself, its site, its feeds, its cables."""
        site, feeds = self.power[host]
        cables = {a.cable for a in self._by_host.get(host, [])}
        return frozenset({self.device_component[host], f"site:{site}", *feeds, *cables})

    def direct_components(self, host: str) -> frozenset[str]:
        """What decides whether a host is on the network at all: itself and the switches it plugs into."""
        found = set(self.host_components(host))
        for attachment in self._by_host.get(host, []):
            if attachment.node in self.power:
                site, feeds = self.power[attachment.node]
                found |= {self.device_component[attachment.node], f"site:{site}", *feeds}
        return frozenset(found)

    def network_components(self, network: str) -> frozenset[str]:
        """What a network's layer-2 reach depends on: its switches (and their power) and links."""
        cached = self._network_components.get(network)
        if cached is None:
            cached = self._network_components[network] = self._find_network_components(network)
        return cached

    def _find_network_components(self, network: str) -> frozenset[str]:
        found: set[str] = set()
        for node in self.network_nodes(network):
            if node in self.power:
                site, feeds = self.power[node]
                found |= {self.device_component[node], f"site:{site}", *feeds}
        found |= {e.component for e in self.network_edges(network)}
        return frozenset(found)

    def attachments(self, host: str, network: str) -> list[Attachment]:
        """Where a physical host's address on `network` plugs in (empty when not cabled)."""
        key = (host, network)
        cached = self._attachments.get(key)
        if cached is None:
            cached = self._attachments[key] = self._find_attachments(host, network)
        return cached

    def _find_attachments(self, host: str, network: str) -> list[Attachment]:
        device = self.ix.hosts[host]
        found: list[Attachment] = []
        for address in self.ix.addresses(device):
            if address.network != network:
                continue
            for nic in self.ix.carrier_nics(device, address):
                attachment = self.nic_attachment.get((host, nic))
                if attachment is not None:
                    found.append(attachment)
        return found

    def uplinks(self, host: str) -> list[Attachment]:
        """Every cabled NIC of a host: what a hypervisor offers its VMs."""
        return list(self._by_host.get(host, []))
