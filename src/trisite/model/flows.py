"""The flow matrix, as every stage reads it: what a flow endpoint stands for, and what a flow permits.

An endpoint is a zone, a network, a group or a host. Render needs its addresses (to write filters), verify and
prove need to know whether a connection between two sides is allowed (to find the flows nobody declared, to
aim probes at what the filters let in). Both answers come from here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network

from trisite.model.design import Design
from trisite.model.index import Index
from trisite.model.network import Flow

Prefix = IPv4Network | IPv6Network


def prefix_key(prefix: Prefix) -> tuple[int, int, int]:
    """Sort order of prefixes: IPv4 first, then by address and length (deterministic rendering)."""
    return (prefix.version, int(prefix.network_address), prefix.prefixlen)


@dataclass(frozen=True)
class Side:
    """One end of a connection: a host (or nobody, for the internet or a whole zone) on a network of a zone."""

    host: str | None
    network: str | None
    zone: str


class FlowMatrix:
    """The design's flows read as a policy. Built from the shared index; cheap, so built where needed."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.ix = Index.of(design)

    @cached_property
    def zone_of(self) -> dict[str, str]:
        """Network -> its zone."""
        return {n.name: n.zone for n in self.design.networks}

    @cached_property
    def outside(self) -> frozenset[str]:
        """The zones where internet lines land: anything there is 'the internet' to a filter."""
        return frozenset(self.zone_of[u.network] for u in self.design.uplinks if u.network in self.zone_of)

    @cached_property
    def inside_zones(self) -> list[str]:
        return sorted(set(self.zone_of.values()) - self.outside)

    @cached_property
    def internal(self) -> list[Prefix]:
        """Every prefix of the platform's own (non-outside) networks."""
        prefixes = {n.prefix for n in self.design.networks if n.zone not in self.outside}
        return sorted(prefixes, key=prefix_key)

    @cached_property
    def _groups(self) -> dict[str, list[str]]:
        return {g.name: list(g.members) for g in self.design.groups}

    def elements(self, endpoint: str) -> list[Prefix] | None:
        """The prefixes an endpoint stands for; None means 'the internet' (anything not internal)."""
        kind = self.ix.kinds.get(endpoint)
        if kind == "zone":
            if endpoint in self.outside:
                return None
            return sorted({n.prefix for n in self.design.networks if n.zone == endpoint}, key=prefix_key)
        if kind == "network":
            return [self.ix.networks[endpoint].prefix]
        if kind == "group":
            members = self._groups[endpoint]
            return sorted({p for m in members for p in self.elements(m) or []}, key=prefix_key)
        host = self.ix.hosts[endpoint]
        return sorted({ip_network(a.ip) for a in self.ix.addresses(host)}, key=prefix_key)

    def sides(self, host: str) -> list[Side]:
        """Each address of a host as a side (a host on several networks may use any of them)."""
        device = self.ix.hosts.get(host)
        if device is None:
            return []
        return [Side(host, a.network, self.zone_of[a.network]) for a in self.ix.addresses(device)]

    def matches(self, endpoint: str, side: Side) -> bool:
        kind = self.ix.kinds.get(endpoint)
        if kind == "zone":
            return side.zone == endpoint
        if kind == "network":
            return side.network == endpoint
        if kind == "group":
            members = self._groups[endpoint]
            return side.host in members or side.network in members
        return side.host == endpoint

    def permits(
        self, source: Side, destination: Side, protocol: str, port: int, *, bootstrap: bool = False
    ) -> bool:
        """Whether a connection is allowed: inside one zone always (one trust domain), else by a flow (the
        temporary bootstrap flows count only when asked for)."""
        if source.zone == destination.zone:
            return True
        flows: Sequence[Flow] = (
            [*self.design.flows, *self.design.bootstrap.flows] if bootstrap else self.design.flows
        )
        return any(
            self.matches(f.source, source)
            and self.matches(f.destination, destination)
            and f.protocol in (protocol, "any")
            and (not f.ports or any(lo <= port <= hi for lo, hi in f.ports))
            for f in flows
        )
