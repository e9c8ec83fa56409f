"""Name lookups over a design, built once, shared by validation and later stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

from trisite.model.design import Design
from trisite.model.devices import Firewall, Server, Station, Switch, Vm
from trisite.model.network import Address, Network, Nic

Host = Firewall | Switch | Server | Vm | Station


@dataclass(frozen=True)
class Index:
    """What each name refers to. Hosts, networks, zones, groups and sites share one namespace."""

    design: Design
    kinds: dict[str, str] = field(init=False)
    also: dict[str, set[str]] = field(init=False)
    # The indexes of the last few design objects (designs are immutable, so an index never goes stale). Kept
    # here rather than on the design: `model_copy` would carry a cached index over to a changed copy.
    _recent: ClassVar[dict[int, Index]] = {}
    _RECENT = 8

    @classmethod
    def of(cls, design: Design) -> Index:
        """The index of a design, built once and shared by validation, verify, render, lab and prove."""
        found = cls._recent.pop(id(design), None)
        if found is None or found.design is not design:
            found = cls(design)
        cls._recent[id(design)] = found  # most recent last; the cache holds the design, so ids stay unique
        while len(cls._recent) > cls._RECENT:
            del cls._recent[next(iter(cls._recent))]
        return found

    def __post_init__(self) -> None:
        kinds: dict[str, str] = {}
        also: dict[str, set[str]] = {}
        for kind, names in self._global_names():
            for name in names:
                kinds.setdefault(name, kind)
                also.setdefault(name, set()).add(kind)
        object.__setattr__(self, "kinds", kinds)
        # A name used twice is reported once, as a duplicate; `also` keeps it from cascading.
        object.__setattr__(self, "also", also)

    def _global_names(self) -> list[tuple[str, list[str]]]:
        d = self.design
        return [
            ("site", [s.name for s in d.sites]),
            ("zone", [z.name for z in d.zones]),
            ("network", [n.name for n in d.networks]),
            ("group", [g.name for g in d.groups]),
            ("firewall", [f.name for f in d.firewalls]),
            ("switch", [s.name for s in d.switches]),
            ("server", [s.name for s in d.servers]),
            ("vm", [v.name for v in d.vms]),
            ("station", [s.name for s in d.stations]),
        ]

    @cached_property
    def hosts(self) -> dict[str, Host]:
        d = self.design
        found: dict[str, Host] = {}
        for group in (d.firewalls, d.switches, d.servers, d.vms, d.stations):
            for host in group:
                found.setdefault(host.name, host)
        return found

    @cached_property
    def sites(self) -> set[str]:
        return {s.name for s in self.design.sites}

    @cached_property
    def racks(self) -> dict[str, set[str]]:
        return {s.name: {r.name for r in s.racks} for s in self.design.sites}

    @cached_property
    def feeds(self) -> dict[str, set[str]]:
        return {s.name: {f.name for f in s.power_feeds} for s in self.design.sites}

    @cached_property
    def networks(self) -> dict[str, Network]:
        return {n.name: n for n in self.design.networks}

    @cached_property
    def ovirt_clusters(self) -> dict[str, list[str]]:
        return {c.name: c.hosts for o in self.design.ovirt for c in o.clusters}

    @cached_property
    def storage_domains(self) -> set[str]:
        return {sd.name for o in self.design.ovirt for sd in o.storage_domains}

    def ports(self, host: Host) -> dict[str, int]:
        """Port name -> speed in Mbit/s."""
        if isinstance(host, Switch):
            return host.port_speeds()
        if isinstance(host, Station):
            return {}
        return {nic.name: nic.speed for nic in host.nics}

    def nics(self, host: Host) -> list[Nic]:
        return [] if isinstance(host, Switch | Station) else list(host.nics)

    def interfaces(self, host: Host) -> dict[str, list[str]]:
        """Interface name -> the NICs under it (a NIC is its own interface; a bond has its members)."""
        found = {nic.name: [nic.name] for nic in self.nics(host)}
        for bond in getattr(host, "bonds", []):
            found[bond.name] = list(bond.members)
        return found

    def carrier_nics(self, host: Host, address: Address) -> list[str]:
        """The physical NICs that carry an address (its interface's members; default: the first NIC)."""
        nics = self.nics(host)
        if address.nic is None:
            return [nics[0].name] if nics else []
        return self.interfaces(host).get(address.nic, [])

    def addresses(self, host: Host) -> list[Address]:
        if isinstance(host, Station):
            return [Address(network=host.network, ip=host.address)]
        return list(host.addresses)

    def site_of(self, name: str) -> str | None:
        """The site of a host; a VM is where its preferred host is (None when it floats)."""
        host = self.hosts.get(name)
        if host is None:
            return None
        if isinstance(host, Vm):
            preferred = host.preferred_host
            return self.site_of(preferred) if preferred and preferred != name else None
        if isinstance(host, Firewall) and host.vm is not None:
            preferred = host.vm.preferred_host
            return self.site_of(preferred) if preferred and preferred != name else host.site
        return host.site
