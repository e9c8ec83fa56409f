"""Layer 2/3 segments, security zones, the flow matrix, HA groups and how sites route to each other."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from trisite.model.types import IPAddress, IPNetwork, Mbps, Name, PortName, PortRange, Strict


class Zone(Strict):
    """A firewall security zone; networks belong to exactly one."""

    name: Name
    description: str = ""


class Network(Strict):
    """A segment. Listed at several sites, it is stretched over the MAN."""

    name: Name
    prefix: IPNetwork
    zone: Name
    sites: list[Name] = Field(min_length=1)
    vlan: int | None = Field(default=None, ge=1, le=4094)
    mtu: int = Field(default=1500, ge=576, le=9216)
    gateway: IPAddress | None = None
    overlaps: list[Name] = Field(default=[], description="networks this one may overlap on purpose")
    description: str = ""


class Group(Strict):
    """A named set of hosts or networks, to write flows once for many members."""

    name: Name
    members: list[Name] = Field(min_length=1)
    description: str = ""


Protocol = Literal["tcp", "udp", "icmp", "icmpv6", "esp", "ah", "gre", "vrrp", "carp", "ospf", "any"]


class Flow(Strict):
    """One permitted flow. Firewall rules come from these and nothing else passes."""

    name: Name
    source: Name = Field(description="zone, network, group or host")
    destination: Name = Field(description="zone, network, group or host")
    protocol: Protocol
    ports: list[PortRange] = []
    why: str = Field(min_length=3, description="the reason, for auditors and for the next engineer")
    log: bool = False

    @model_validator(mode="after")
    def _ports_match_protocol(self) -> Flow:
        if self.protocol in ("tcp", "udp") and not self.ports:
            raise ValueError(f"a {self.protocol} flow needs ports (write the ports it uses)")
        if self.protocol not in ("tcp", "udp") and self.ports:
            raise ValueError(f"ports only apply to tcp and udp, not {self.protocol}")
        return self


class Nic(Strict):
    """A physical port of a device."""

    name: PortName
    speed: Mbps
    mtu: int = Field(default=1500, ge=576, le=9216)


class Bond(Strict):
    """NICs aggregated into one interface; active-backup needs no switch support (no MLAG)."""

    name: PortName
    members: list[PortName] = Field(min_length=2)
    mode: Literal["active-backup", "802.3ad", "balance-xor"] = "active-backup"


class Address(Strict):
    """An address of a device on a network, carried by one of its NICs."""

    network: Name
    ip: IPAddress
    nic: PortName | None = Field(
        default=None, description="the NIC or bond carrying it (default: the first NIC)"
    )


class HaMember(Strict):
    device: Name
    priority: int = Field(default=100, ge=1, le=254)


class HaGroup(Strict):
    """A CARP or VRRP group holding virtual addresses on one network.

    Failover takes about 3 x advertisement interval plus skew (VRRPv3 RFC 5798 master-down interval;
    CARP likewise with advbase/advskew).
    """

    name: Name
    protocol: Literal["carp", "vrrp"]
    vid: int = Field(ge=1, le=255, description="CARP VHID or VRRP VRID, unique per network")
    network: Name
    vips: list[IPAddress] = Field(min_length=1)
    members: list[HaMember] = Field(min_length=1)
    advert_interval_ms: int = Field(default=1000, ge=10, le=40_950)
    preempt: bool = True
    password: Name | None = Field(default=None, description="name of a secret (CARP pass / VRRP auth)")

    @model_validator(mode="after")
    def _members_once(self) -> HaGroup:
        devices = [m.device for m in self.members]
        if len(set(devices)) != len(devices):
            raise ValueError("a device is listed twice among the members")
        # CARP (FreeBSD/OPNsense advbase, ucarp --advbase) counts whole seconds.
        if self.protocol == "carp" and self.advert_interval_ms % 1000:
            raise ValueError(f"CARP advertises in whole seconds; {self.advert_interval_ms} ms is not")
        return self


class Ospf(Strict):
    area: str = Field(default="0.0.0.0", pattern=r"^(\d{1,10}|\d{1,3}(\.\d{1,3}){3})$")  # noqa: S104 - area id
    hello_s: int = Field(default=10, ge=1, le=65_535)
    dead_s: int = Field(default=40, ge=1, le=65_535)
    bfd: bool = False


class InterSiteRouting(Strict):
    """How firewalls of different sites exchange routes over the MAN transit networks."""

    protocol: Literal["ospf", "ibgp"] = "ospf"
    transit_networks: list[Name] = Field(default=[], description="networks carried by the MAN links")
    ospf: Ospf = Ospf()
    bfd_interval_ms: int = Field(default=300, ge=10, le=60_000)
    bfd_multiplier: int = Field(default=3, ge=2, le=255)
