"""What the lab builds for a design, as data: namespaces, veth links, per-network bridges, addresses.

The kernel here has neither VLAN devices nor VLAN-filtering bridges, so a trunk is emulated: each cable is a
veth pair named after the design's ports (what LLDP sees), and each network it carries tagged gets a veth of
its own, named like the sub-interface (`bond0.400` on the host, `swp3v400` on the switch), into a bridge per
network in the switch's namespace. Cutting a cable downs all of them. A bond uses its first member (active-backup
with the first NIC active); the other member is cabled but carries no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network

from trisite.drivers.netns import namespace
from trisite.errors import LabError
from trisite.model import Design, Index
from trisite.model.components import cable_id
from trisite.model.devices import Firewall, Station, Switch, Vm
from trisite.model.interfaces import Iface, interfaces
from trisite.model.links import port_mtus
from trisite.model.types import split_endpoint

# Lab traffic stays in the ranges reserved for benchmarks and documentation (ARCHITECTURE.md, lab safety).
SAFE = [ip_network(p) for p in ("198.18.0.0/15", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
EXCHANGE = ip_network("192.0.2.0/26")
SOURCE_TABLES = 1000  # routing tables of the source routes, one per address
STP_PRIORITY_STEP = 4096  # bridge priorities go in steps of 4096 (802.1D-2004)


@dataclass(frozen=True, order=True)
class Link:
    a_ns: str
    a_if: str
    b_ns: str
    b_if: str
    cable: str  # the component whose failure cuts it (cable:..., man:..., uplink:...)


@dataclass(frozen=True, order=True)
class Port:
    ns: str
    bridge: str
    ifname: str


@dataclass(frozen=True, order=True)
class Address:
    ns: str
    ifname: str
    cidr: str


@dataclass(frozen=True, order=True)
class BmcPlan:
    """A server's emulated management card: served by the Redfish emulator of its OOB network's namespace."""

    server: str
    address: str
    netns: str
    port: int
    user: str
    credentials: str  # the secret's name; the value is read when the emulator starts


@dataclass
class LabPlan:
    namespaces: dict[str, str] = field(
        default_factory=dict
    )  # namespace -> device (or role of an outside box)
    links: list[Link] = field(default_factory=list)
    bridges: list[tuple[str, str]] = field(default_factory=list)  # (namespace, bridge)
    ports: list[Port] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    routes: list[tuple[str, str, str]] = field(default_factory=list)  # (namespace, prefix, via)
    bmcs: list[BmcPlan] = field(default_factory=list)
    # (namespace, source address, gateway, table): replies from an address leave through its network's gateway
    source_routes: list[tuple[str, str, str, int]] = field(default_factory=list)
    mtus: list[tuple[str, str, int]] = field(default_factory=list)  # (namespace, port, MTU) as designed
    stp_priorities: dict[str, int] = field(
        default_factory=dict
    )  # a switch's namespace -> its bridges' priority

    def interfaces(self, netns: str) -> list[str]:
        """Every veth end living in a namespace."""
        return sorted(
            {link.a_if for link in self.links if link.a_ns == netns}
            | {link.b_if for link in self.links if link.b_ns == netns}
        )


def bridge_name(ix: Index, network: str) -> str:
    vlan = ix.networks[network].vlan
    return f"br{vlan}" if vlan is not None else f"brn{sorted(ix.networks).index(network)}"


def check_safe(design: Design) -> None:
    """Refuse a design whose addresses would leave the lab's reserved ranges."""
    for net in design.networks:
        prefix = net.prefix
        safe = any(
            (isinstance(prefix, IPv4Network) and isinstance(s, IPv4Network) and prefix.subnet_of(s))
            or (isinstance(prefix, IPv6Network) and isinstance(s, IPv6Network) and prefix.subnet_of(s))
            for s in SAFE
        )
        if not safe:
            raise LabError(
                f"network {net.name} ({net.prefix}) is outside the lab's address ranges "
                f"({', '.join(map(str, SAFE))}); the lab only emulates designs that use them"
            )


def _switch_side(port: str, vlan: int | None, index: int) -> str:
    name = f"{port}v{vlan}" if vlan is not None else f"{port}n{index}"
    if len(name) > 15:
        raise LabError(f"interface name {name} is longer than Linux allows (15)")
    return name


class Planner:
    def __init__(self, design: Design) -> None:
        check_safe(design)
        self.d = design
        self.ix = Index.of(design)
        self.plan = LabPlan()
        self.bridges: set[tuple[str, str]] = set()

    def build(self) -> LabPlan:
        for name, host in sorted(self.ix.hosts.items()):
            if not isinstance(host, Station) and name in self._physical():
                self.plan.namespaces[namespace(name)] = name
        for cable in self.d.cables:
            self._cable(cable.a, cable.b, cable_id(cable.a, cable.b))
        for man in self.d.man_links:
            self._cable(man.a, man.b, f"man:{man.name}")
        self._guests()
        self._stations()
        self._bmcs()
        self._tenants()
        self._outside()
        self.plan.stp_priorities = self._stp_priorities()
        self.plan.mtus = sorted(
            (namespace(device), port, mtu)
            for (device, port), mtu in port_mtus(self.d).items()
            if namespace(device) in self.plan.namespaces
        )
        self.plan.links.sort()
        self.plan.ports.sort()
        self.plan.addresses.sort()
        self.plan.bridges = sorted(self.bridges)
        return self.plan

    def _stp_priorities(self) -> dict[str, int]:
        """The kernel's bridges run 802.1D STP, not the RSTP of the design's switches (Debian 12 packages no RSTP
        daemon): losing the root bridge costs max age + two forward delays (6-10 s), a lab artifact. The root
        and the tie-breaks are placed from the last site back, so that a campaign taking the first site whole
        (Godzilla) keeps the root and measures the failovers of the design."""
        sites = [site.name for site in self.d.sites]
        ranked = sorted(self.d.switches, key=lambda w: (-sites.index(w.site), w.name))
        return {namespace(w.name): STP_PRIORITY_STEP * (rank + 1) for rank, w in enumerate(ranked)}

    def _physical(self) -> set[str]:
        return {
            *(f.name for f in self.d.firewalls if f.kind == "physical"),
            *(w.name for w in self.d.switches),
            *(s.name for s in self.d.servers),
        }

    def _bridge(self, switch: str, network: str) -> str:
        name = bridge_name(self.ix, network)
        self.bridges.add((namespace(switch), name))
        return name

    def _cable(self, a: str, b: str, component: str) -> None:
        (da, pa), (db, pb) = split_endpoint(a), split_endpoint(b)
        self.plan.links.append(Link(namespace(da), pa, namespace(db), pb, component))
        a_switch, b_switch = isinstance(self.ix.hosts[da], Switch), isinstance(self.ix.hosts[db], Switch)
        if a_switch and b_switch:
            self._trunk(da, pa, db, pb, component)
        elif a_switch or b_switch:
            switch, port, host, nic = (da, pa, db, pb) if a_switch else (db, pb, da, pa)
            self._access(switch, port, host, nic, component)

    def _trunk(self, da: str, pa: str, db: str, pb: str, component: str) -> None:
        sites = {self.ix.site_of(da), self.ix.site_of(db)}
        carried = [n for n in self.d.networks if sites <= set(n.sites)]
        for i, net in enumerate(sorted(carried, key=lambda n: n.name)):
            a_if, b_if = _switch_side(pa, net.vlan, i), _switch_side(pb, net.vlan, i)
            self.plan.links.append(Link(namespace(da), a_if, namespace(db), b_if, component))
            self.plan.ports += [
                Port(namespace(da), self._bridge(da, net.name), a_if),
                Port(namespace(db), self._bridge(db, net.name), b_if),
            ]

    def _carried(self, host: str, nic: str) -> list[Iface]:
        """The host's interfaces riding on this NIC: its own, or its bond's when the NIC is the bond's first."""
        device = self.ix.hosts[host]
        bonds = {b.name: b.members for b in getattr(device, "bonds", [])}
        return [
            i
            for i in interfaces(self.ix, host)
            if i.parent == nic or (i.parent in bonds and bonds[i.parent][0] == nic)
        ]

    def _access(self, switch: str, port: str, host: str, nic: str, component: str) -> None:
        for i, iface in enumerate(self._carried(host, nic)):
            bridge = self._bridge(switch, iface.network)
            if iface.name == nic:  # the native veth itself carries this network untagged
                self.plan.ports.append(Port(namespace(switch), bridge, port))
            else:
                side = _switch_side(port, self.ix.networks[iface.network].vlan, i)
                self.plan.links.append(Link(namespace(host), iface.name, namespace(switch), side, component))
                self.plan.ports.append(Port(namespace(switch), bridge, side))
            self.plan.addresses.append(Address(namespace(host), iface.name, str(iface.address)))
            self._default_route(host, iface)

    def _default_route(self, host: str, iface: Iface) -> None:
        """Servers and VMs leave through the gateway of their first network that has one (what their OS
        install sets), and answer from each other address through that address's own gateway (source
        routing: a public service's replies follow its DMZ gateway, which may move to another site)."""
        hosts = {s.name for s in self.d.servers} | {v.name for v in self.d.vms}
        gateway = self.ix.networks[iface.network].gateway
        if host not in hosts:
            return
        if gateway is not None:
            table = SOURCE_TABLES + len(self.plan.source_routes)
            self.plan.source_routes.append((namespace(host), str(iface.address.ip), str(gateway), table))
        if any(r[0] == namespace(host) for r in self.plan.routes):
            return
        first = next(
            (a for a in self.ix.addresses(self.ix.hosts[host]) if self.ix.networks[a.network].gateway), None
        )
        if gateway is not None and first is not None and first.network == iface.network:
            self.plan.routes.append((namespace(host), "default", str(gateway)))

    def _guests(self) -> None:
        """VMs and virtual firewalls: a namespace each, its NICs in a bridge of its hypervisor, as oVirt does.

        A guest runs on its preferred host (else its cluster's first); powering that host off takes it away."""
        guests: list[Firewall | Vm] = [*(f for f in self.d.firewalls if f.kind == "virtual"), *self.d.vms]
        for number, guest in enumerate(guests):
            spec = guest.vm if isinstance(guest, Firewall) else guest
            assert spec is not None  # a virtual firewall has its vm (model validator)
            host = spec.preferred_host or self.ix.ovirt_clusters[spec.cluster][0]
            self.plan.namespaces[namespace(guest.name)] = guest.name
            for k, iface in enumerate(interfaces(self.ix, guest.name)):
                tap = f"vnet{number}.{k}"
                self.plan.links.append(
                    Link(namespace(guest.name), iface.name, namespace(host), tap, f"vm:{guest.name}")
                )
                self.plan.ports.append(Port(namespace(host), self._host_bridge(host, iface.network), tap))
                self.plan.addresses.append(Address(namespace(guest.name), iface.name, str(iface.address)))
                if not isinstance(guest, Firewall):
                    self._default_route(guest.name, iface)

    def _host_bridge(self, host: str, network: str) -> str:
        """The hypervisor's bridge for a network: its uplink to the switch, and its own address if it has one."""
        net = self.ix.networks[network]
        bridge = (
            f"vbr{net.vlan}" if net.vlan is not None else f"vbrn{sorted(self.ix.networks).index(network)}"
        )
        if (namespace(host), bridge) in self.bridges:
            return bridge
        self.bridges.add((namespace(host), bridge))
        own = next((i for i in interfaces(self.ix, host) if i.network == network), None)
        if own is not None:  # the host's interface on that network joins the bridge, its address moves up
            self.plan.ports.append(Port(namespace(host), bridge, own.name))
            self.plan.addresses = [
                Address(a.ns, bridge, a.cidr) if (a.ns, a.ifname) == (namespace(host), own.name) else a
                for a in self.plan.addresses
            ]
            return bridge
        nic = self._uplink_nic(host)
        cable = next((c for c in self.d.cables if f"{host}:{nic}" in (c.a, c.b)), None)
        if cable is None:
            raise LabError(f"{host} runs VMs on {network} but its NIC {nic} is not cabled")
        far = cable.b if cable.a == f"{host}:{nic}" else cable.a
        switch, port = split_endpoint(far)
        index = len([p for p in self.plan.ports if p.ns == namespace(switch) and p.ifname.startswith(port)])
        host_side = _switch_side(f"{nic}x", net.vlan, index)
        switch_side = _switch_side(port, net.vlan, index)
        self.plan.links.append(
            Link(namespace(host), host_side, namespace(switch), switch_side, cable_id(cable.a, cable.b))
        )
        self.plan.ports += [
            Port(namespace(host), bridge, host_side),
            Port(namespace(switch), self._bridge(switch, network), switch_side),
        ]
        return bridge

    def _uplink_nic(self, host: str) -> str:
        """The NIC carrying a host's networks: its first bond's first member, else its first NIC."""
        device = self.ix.hosts[host]
        bonds = getattr(device, "bonds", [])
        return str(bonds[0].members[0]) if bonds else self.ix.nics(device)[0].name

    def _stations(self) -> None:
        """The deployment station: a laptop patched into a switch of its site carrying its network."""
        for station in self.d.stations:
            net = self.ix.networks[station.network]
            self.plan.namespaces[namespace(station.name)] = station.name
            switch = self._switch_carrying(station.network)
            if switch is not None:
                port = f"st{self.d.stations.index(station)}"
                self.plan.links.append(
                    Link(namespace(station.name), "eth0", namespace(switch), port, f"station:{station.name}")
                )
                self.plan.ports.append(Port(namespace(switch), self._bridge(switch, station.network), port))
            self.plan.addresses.append(
                Address(namespace(station.name), "eth0", f"{station.address}/{net.prefix.prefixlen}")
            )
            if net.gateway is not None:
                self.plan.routes.append((namespace(station.name), "default", str(net.gateway)))

    def _bmcs(self) -> None:
        """A namespace per OOB network holds its BMCs' addresses, cabled into a switch bridge carrying it."""
        by_network: dict[str, list[str]] = {}
        for server in self.d.servers:
            by_network.setdefault(server.bmc.network, []).append(server.name)
        for network, servers in sorted(by_network.items()):
            netns = namespace(f"bmc-{network}")
            self.plan.namespaces[netns] = f"BMCs on {network}"
            net = self.ix.networks[network]
            switch = self._switch_carrying(network)
            if switch is not None:
                self.plan.links.append(Link(netns, "oob", namespace(switch), "bmcs", f"oob:{network}"))
                self.plan.ports.append(Port(namespace(switch), self._bridge(switch, network), "bmcs"))
            for name in servers:
                bmc = next(s.bmc for s in self.d.servers if s.name == name)
                self.plan.addresses.append(Address(netns, "oob", f"{bmc.address}/{net.prefix.prefixlen}"))
                port = bmc.port or 443
                self.plan.bmcs.append(BmcPlan(name, str(bmc.address), netns, port, bmc.user, bmc.credentials))
            if net.gateway is not None:
                self.plan.routes.append((netns, "default", str(net.gateway)))
        self.plan.bmcs.sort()

    def _tenants(self) -> None:
        """A tenant VM on each network whose gateway only virtual firewalls hold (their VRRP address), patched
        into a switch carrying it, with the network's last free address: what the virtual firewalls' failover
        looks like to a tenant (`tenant_client`)."""
        virtual = {f.name for f in self.d.firewalls if f.kind == "virtual"}
        for group in self.d.ha_groups:
            if not group.members or any(m.device not in virtual for m in group.members):
                continue
            net = self.ix.networks[group.network]
            switch = self._switch_carrying(net.name)
            if switch is None:
                continue
            netns = namespace(tenant_client(net.name))
            self.plan.namespaces[netns] = f"tenant VM on {net.name}"
            port = f"tn{self.d.ha_groups.index(group)}"
            self.plan.links.append(Link(netns, "eth0", namespace(switch), port, f"tenant:{net.name}"))
            self.plan.ports.append(Port(namespace(switch), self._bridge(switch, net.name), port))
            address = self._free_address(net.name)
            self.plan.addresses.append(Address(netns, "eth0", f"{address}/{net.prefix.prefixlen}"))
            self.plan.routes.append((netns, "default", str(group.vips[0])))

    def _free_address(self, network: str) -> str:
        """The highest address of the network that the design gives nothing."""
        net = self.ix.networks[network]
        used = {str(a.ip) for h in self.ix.hosts.values() for a in self.ix.addresses(h)}
        used |= {str(v) for g in self.d.ha_groups for v in g.vips} | {str(net.gateway)}
        free = next((str(a) for a in reversed(list(net.prefix.hosts())) if str(a) not in used), None)
        if free is None:
            raise LabError(f"network {network} has no free address for the lab's tenant VM")
        return free

    def _switch_carrying(self, network: str) -> str | None:
        """The first switch (by name) whose bridges carry the network: where the OOB ports are patched."""
        bridge = bridge_name(self.ix, network)
        sites = set(self.ix.networks[network].sites)
        for netns, name in sorted(self.bridges):
            device = self.plan.namespaces.get(netns, "")
            if (
                name == bridge
                and isinstance(self.ix.hosts.get(device), Switch)
                and self.ix.site_of(device) in sites
            ):
                return device
        return None

    def _outside(self) -> None:
        """An operator router per line, an exchange joining them, and an internet client that probes."""
        exchange = namespace("exchange")
        self.plan.namespaces[exchange] = "exchange"
        self.bridges.add((exchange, "ix"))
        hosts = list(EXCHANGE.hosts())
        for i, up in enumerate(self.d.uplinks):
            router = namespace(f"op-{up.name}")
            self.plan.namespaces[router] = f"operator {up.operator} ({up.name})"
            prefix = self.ix.networks[up.network].prefix.prefixlen
            self.plan.addresses += [
                Address(router, "customer", f"{up.bgp.peer_address}/{prefix}"),
                Address(router, "exchange", f"{hosts[i]}/{EXCHANGE.prefixlen}"),
            ]
            self.plan.links.append(Link(router, "exchange", exchange, f"op{i}", f"operator:{up.operator}"))
            self.plan.ports.append(Port(exchange, "ix", f"op{i}"))
            if up.handoff:
                switch, port = split_endpoint(up.handoff)
                self.plan.links.append(Link(router, "customer", namespace(switch), port, f"uplink:{up.name}"))
                self.plan.ports.append(Port(namespace(switch), self._bridge(switch, up.network), port))
        client = namespace("internet")
        self.plan.namespaces[client] = "internet client"
        self.plan.links.append(Link(client, "eth0", exchange, "client", "internet"))
        self.plan.ports.append(Port(exchange, "ix", "client"))
        self.plan.addresses.append(Address(client, "eth0", f"{hosts[-1]}/{EXCHANGE.prefixlen}"))
        if self.d.uplinks:
            self.plan.routes.append((client, "default", str(hosts[0])))


def tenant_client(network: str) -> str:
    """The lab's tenant VM on a network behind virtual firewalls (a device name the lab's driver probes from)."""
    return f"tenant-{network}"


def plan(design: Design) -> LabPlan:
    return Planner(design).build()
