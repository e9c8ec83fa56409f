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
    def firewalls(self) -> frozenset[str]:
        return frozenset(f.name for f in self.design.firewalls)

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
        addresses = self.ix.addresses(host)
        if endpoint in self.firewalls:  # a firewall is reached on our networks, never on its WAN address
            addresses = [a for a in addresses if self.zone_of[a.network] not in self.outside]
        return sorted({ip_network(a.ip) for a in addresses}, key=prefix_key)

    def names(self, endpoint: str, host: str) -> bool:
        """Whether an endpoint names a host itself (the host, or a group listing it)."""
        return endpoint == host or host in self._groups.get(endpoint, ())

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
        """Whether a connection is allowed: on one network always (no firewall between them), else by a flow,
        also inside a zone (its networks at different sites are only joined through the firewalls, which pass
        what a flow says and nothing more); the temporary bootstrap flows count only when asked for. A flow
        whose destination names a firewall is traffic to the firewall itself (its input chain); a firewall is an
        end of a flow only where the flow names it, never as a member of a zone or network."""
        to_firewall = destination.host in self.firewalls
        if source.network is not None and source.network == destination.network and not to_firewall:
            return True
        return self.flow_for(source, destination, protocol, port, bootstrap=bootstrap) is not None

    def flow_for(
        self, source: Side, destination: Side, protocol: str, port: int, *, bootstrap: bool = False
    ) -> Flow | None:
        """The first flow that allows a connection between two sides on different networks (see `permits`)."""
        to_firewall, from_firewall = destination.host in self.firewalls, source.host in self.firewalls
        if (to_firewall and destination.zone in self.outside) or (
            from_firewall and source.zone in self.outside
        ):
            return None
        flows: Sequence[Flow] = (
            [*self.design.flows, *self.design.bootstrap.flows] if bootstrap else self.design.flows
        )
        return next(
            (
                f
                for f in flows
                if (
                    self.names(f.source, str(source.host))
                    if from_firewall
                    else self.matches(f.source, source)
                )
                and (
                    self.names(f.destination, str(destination.host))
                    if to_firewall
                    else self.matches(f.destination, destination)
                )
                and f.protocol in (protocol, "any")
                and (not f.ports or any(lo <= port <= hi for lo, hi in f.ports))
            ),
            None,
        )
