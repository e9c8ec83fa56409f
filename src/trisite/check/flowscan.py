"""What the flow check scans, derived from the design alone: from where (a vantage per zone), to which
addresses, on which ports, and what the flow matrix says each probe must find.

Vantages: for each zone, the first host (by name) whose traffic to other networks leaves from that zone (its
first network with a gateway, where its default route points); a member of each group a flow starts from (the
monitoring servers' scrapes are theirs alone); every deployment station (its temporary flows must be gone);
and the internet, where the target can scan from there. A host on several networks
reaches a target on one of its own networks directly, with no firewall between: those targets are left out.

Targets: every IPv4 address of a host or a BMC on a routed network (one a firewall has an address on; a network
without one, such as Ceph's, is reached only from the network itself), the vantage's own networks excepted; from
the internet, the outside networks and the public prefixes.

Ports: the ports the flows declare (a range by its ends and middle), the common service ports (what a supplier
or a default policy opens: SSH, databases, web consoles, SNMP, IPMI, ...), and a fixed sample of the rest
(seeded: two runs scan the same ports). Not all 65535 of each protocol: about 100 targets from 8 vantages
would be 100 million probes, hours of nmap on two cores; a rule opening a whole range is caught by the sample,
a rule opening one odd port only if it is a common one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Address, ip_address

from trisite.model import Design, Index
from trisite.model.devices import Server, Station, Vm
from trisite.model.flows import FlowMatrix, Side
from trisite.model.network import Flow
from trisite.render.vpn import WIREGUARD_PORT

INTERNET = "internet"  # the device a target scans the internet side from (capability "scan:internet")
TCP_COMMON = (
    *(21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 179, 389, 443, 445, 636, 873, 993, 1433, 2049),
    *(2379, 2380, 3306, 3389, 5432, 5672, 5900, 6379, 8000, 8080, 8443, 9090, 9093, 10050, 11211, 27017),
)
UDP_COMMON = (53, 67, 69, 123, 137, 161, 500, 514, 623, 1812, 3784, 4500, 4789, 5353, 51820)
SAMPLE_SEED, TCP_SAMPLE, UDP_SAMPLE = 15, 12, 4
WIDE_RANGE = 16  # a declared range wider than this is probed at its ends and middle


@dataclass(frozen=True)
class Vantage:
    device: str  # where the scan runs
    side: Side  # the address its probes leave from (to any network it is not on)
    networks: frozenset[str]  # the networks it sits on (no firewall between it and them)


@dataclass(frozen=True)
class Target:
    address: str
    side: Side
    name: str  # what it is, for people: a host, or a server's BMC


@dataclass(frozen=True)
class Probe:
    vantage: Vantage
    target: Target
    protocol: str  # tcp or udp
    port: int
    flow: Flow | None  # the flow that allows it, or None: it must not pass

    @property
    def key(self) -> str:
        return f"{self.protocol}/{self.port}"


class ScanPlan:
    """Every probe of the flow check, with what the design expects of it."""

    def __init__(self, design: Design, *, internet: bool, bootstrap: bool = False) -> None:
        self.design, self.ix, self.matrix = design, Index.of(design), FlowMatrix(design)
        self.internet = internet
        self.bootstrap = bootstrap  # the deployment's temporary flows still count (not removed yet)
        self._probes: dict[str, list[Probe]] = {}  # per vantage: read, traced and compared from one list

    @cached_property
    def routed(self) -> frozenset[str]:
        """Networks the platform's firewalls route (one has an address there). The tenant networks behind the
        virtual firewalls are the tenants': the campaign's tenant VM probes them, not this scan."""
        return frozenset(
            a.network
            for f in self.design.firewalls
            if f.kind == "physical"
            for a in self.ix.addresses(self.ix.hosts[f.name])
        )

    @cached_property
    def vpn_flows(self) -> dict[tuple[str, str], Flow]:
        """(firewall, network) -> the WireGuard port the design's vpn section opens there to roaming clients: each
        member of the group a WireGuard VPN terminates on, on that group's network (declared by the vpn entry,
        not under flows)."""
        groups = {g.name: g for g in self.design.ha_groups}
        found = {}
        for link in self.design.vpn:
            group = groups.get(link.terminates_on)
            if link.technology != "wireguard" or group is None:
                continue
            flow = Flow(
                name=f"vpn-{link.name}",
                source="outside",
                destination=group.name,
                protocol="udp",
                ports=[WIREGUARD_PORT],
                why=f"the WireGuard clients of VPN {link.name}",
            )
            found.update({(m.device, group.network): flow for m in group.members})
        return found

    @cached_property
    def vantages(self) -> list[Vantage]:
        every = {name: v for name in sorted(self.ix.hosts) if (v := self._vantage(name)) is not None}
        chosen: dict[str, Vantage] = {}
        for vantage in every.values():  # a host per zone
            if not any(c.side.zone == vantage.side.zone for c in chosen.values()):
                chosen[vantage.device] = vantage
        sources = {f.source for f in [*self.design.flows, *self.design.bootstrap.flows]}
        for (
            group
        ) in self.design.groups:  # a member of each group some flow starts from (its flows are its own)
            members = [m for m in group.members if m in every]
            if group.name in sources and members and not set(members) & set(chosen):
                chosen[members[0]] = every[members[0]]
        for station in self.design.stations:  # the stations: their temporary flows must be gone
            if station.name in every:
                chosen[station.name] = every[station.name]
        found = list(chosen.values())
        if self.internet:
            found.append(Vantage(INTERNET, Side(None, None, self._outside_zone), frozenset()))
        return found

    @cached_property
    def _outside_zone(self) -> str:
        return min(self.matrix.outside, default="outside")

    def _vantage(self, host: str) -> Vantage | None:
        """Servers, VMs and stations scan; firewalls and switches do not (they are what is checked)."""
        if not isinstance(self.ix.hosts[host], Server | Vm | Station):
            return None
        sides = self.matrix.sides(host)
        egress = next((s for s in sides if s.network and self.ix.networks[s.network].gateway), None)
        if egress is None:
            return None
        return Vantage(host, egress, frozenset(str(s.network) for s in sides))

    @cached_property
    def _addresses(self) -> list[Target]:
        found = [
            Target(str(a.ip), Side(name, a.network, self.matrix.zone_of[a.network]), name)
            for name, host in sorted(self.ix.hosts.items())
            for a in self.ix.addresses(host)
        ]
        found += [
            Target(
                str(s.bmc.address),
                Side(None, s.bmc.network, self.matrix.zone_of[s.bmc.network]),
                f"{s.name}'s BMC",
            )
            for s in self.design.servers
        ]
        return [t for t in found if isinstance(ip_address(t.address), IPv4Address)]

    def targets(self, vantage: Vantage) -> list[Target]:
        if vantage.device == INTERNET:
            public = [p.prefix for p in self.design.public_prefixes]
            return [
                t
                for t in self._addresses
                if t.side.zone in self.matrix.outside or any(ip_address(t.address) in p for p in public)
            ]
        return [
            t
            for t in self._addresses
            if t.side.network in self.routed
            and t.side.network not in vantage.networks
            and t.name != vantage.device
        ]

    @cached_property
    def ports(self) -> dict[str, list[int]]:
        """protocol -> the ports every target is probed on."""
        sample = random.Random(SAMPLE_SEED)  # noqa: S311 - a fixed sample of ports, not a secret
        chosen = {"tcp": set(TCP_COMMON), "udp": set(UDP_COMMON)}
        chosen["tcp"] |= set(sample.sample(range(1024, 65536), TCP_SAMPLE))
        chosen["udp"] |= set(sample.sample(range(1024, 65536), UDP_SAMPLE))
        for flow in [*self.design.flows, *self.design.bootstrap.flows]:
            for protocol in ("tcp", "udp"):
                if flow.protocol in (protocol, "any"):
                    chosen[protocol] |= {p for lo, hi in flow.ports for p in _covering(lo, hi)}
        return {k: sorted(v) for k, v in chosen.items()}

    def probes(self, vantage: Vantage) -> list[Probe]:
        if vantage.device not in self._probes:
            self._probes[vantage.device] = [
                Probe(vantage, t, protocol, port, self._flow(vantage.side, t.side, protocol, port))
                for t in self.targets(vantage)
                for protocol, ports in self.ports.items()
                for port in ports
            ]
        return self._probes[vantage.device]

    def _flow(self, source: Side, destination: Side, protocol: str, port: int) -> Flow | None:
        declared = self.matrix.flow_for(source, destination, protocol, port, bootstrap=self.bootstrap)
        if (
            declared is None
            and (protocol, port) == ("udp", WIREGUARD_PORT)
            and source.zone in self.matrix.outside
        ):
            return self.vpn_flows.get((destination.host or "", destination.network or ""))
        return declared


def _covering(lo: int, hi: int) -> list[int]:
    return list(range(lo, hi + 1)) if hi - lo < WIDE_RANGE else [lo, (lo + hi) // 2, hi]
