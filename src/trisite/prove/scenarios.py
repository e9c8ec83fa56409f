"""The seed's failover tests for the network layer, as data: what to break, what to probe, which services'
predicted outage bounds the measurement."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from ipaddress import ip_network
from typing import Literal

from trisite.drivers.protocols import parse_probe
from trisite.model import Design, Index
from trisite.model.components import cable_id
from trisite.model.devices import Server, Vm
from trisite.model.flows import FlowMatrix, Side
from trisite.model.types import IPNetwork

Obtained = Literal["measured", "emulated", "twin"]
OBTAINED: tuple[Obtained, ...] = ("measured", "emulated", "twin")


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: tuple[str, ...]  # components (cable:, man:, uplink:) or devices (device:NAME: every cable of it)
    source: str  # the device probing (a lab namespace: "internet" is the client behind the operators)
    target: str  # the address probed
    services: tuple[str, ...]  # twin services whose predicted outage the measurement is held against
    probe: str = "icmp"  # icmp, tcp:PORT, udp:PORT or http:PORT (drivers/sockprobe.py says what answers)
    lab: Obtained = "measured"  # how the lab obtains it: injected and measured, emulated, or the twin's only
    why: str = "the lab injects the fault and probes the path"  # the reason for `lab`, said in the report
    twin_faults: tuple[str, ...] = ()  # what the twin fails, when it is not what the lab cuts
    site_loss: bool = False  # held against the design's site-loss objective (else its single-failure one)
    quorum_loss: bool = False  # the fault may take a cluster's quorum (else the guard rail refuses it)
    layers: tuple[
        str, ...
    ] = ()  # the lab's service layers the row needs (`lab up --service`); else the twin's

    @property
    def key(self) -> str:
        """A short, stable name for -k and for file names: the name in lower case, words joined by dashes."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.split(" (")[0].lower()).strip("-")


@dataclass(frozen=True)
class Vantage:
    """A connection between two sites that the flows allow, probed through every row of a campaign: what each
    site saw of the others while the row's fault lasted."""

    label: str  # "dc1 -> dc2"
    source: str  # a server of the first site
    target: str  # an address of a server of the second
    probe: str


def site_mesh(design: Design) -> tuple[Vantage, ...]:
    """One vantage per ordered pair of sites (where the flows allow a connection between their servers)."""
    sites = [s.name for s in design.sites]
    found = []
    for a in sites:
        for b in (b for b in sites if b != a):
            pair = _permitted_pair(design, a, b)
            if pair is not None:
                found.append(Vantage(f"{a} -> {b}", *pair))
    return tuple(found)


def _within(inner: IPNetwork, outer: IPNetwork) -> bool:
    return (
        inner.version == outer.version
        and int(inner.network_address) >= int(outer.network_address)
        and int(inner.broadcast_address) <= int(outer.broadcast_address)
    )


def _fw(design: Design, site: str) -> list[str]:
    return sorted(f.name for f in design.firewalls if f.kind == "physical" and f.site == site)


def network_scenarios(design: Design, seed: int = 0) -> list[Scenario]:
    """The seed's network tests on this design: lines, BGP, firewalls per site, CARP, MAN, ports.

    `seed` picks the "random" port, so that a campaign can be run again on the same port."""
    public_nets = {
        n.name for n in design.networks for p in design.public_prefixes if _within(n.prefix, p.prefix)
    }
    group = next((g for g in design.ha_groups if g.network in public_nets), None)
    public = str(group.vips[0]) if group else None
    sites = [s.name for s in design.sites]
    found: list[Scenario] = []
    if group is None or public is None or not design.uplinks:
        return found
    first_line = design.uplinks[0]
    found.append(
        Scenario(
            f"Loss of the internet line at {first_line.site}",
            (f"uplink:{first_line.name}",),
            "internet",
            public,
            ("internet/",),
        )
    )
    found.append(
        Scenario(
            f"BGP failover (sessions of {first_line.name} shut by the operator)",
            (f"bgp:{first_line.name}",),
            "internet",
            public,
            ("internet/",),
        )
    )
    for site in sites:
        fws = _fw(design, site)
        if fws:
            found.append(
                Scenario(
                    f"Loss of the firewalls of {site}",
                    tuple(f"device:{f}" for f in fws),
                    "internet",
                    public,
                    ("internet/", f"vip/{group.name}"),
                )
            )
    master = _fw(design, sites[0])[0] if _fw(design, sites[0]) else None
    if master:
        found.append(
            Scenario(
                f"CARP failover ({master} lost)",
                (f"device:{master}",),
                "internet",
                public,
                ("internet/", f"vip/{group.name}"),
            )
        )
    port = _random_port(design, seed)
    if port is not None:
        found.append(
            Scenario(
                f"Random non-MAN port shut down ({port[1]})",
                (port[0],),
                "internet",
                public,
                ("internet/", f"vip/{group.name}"),
            )
        )
    found += _man(design)
    return found


def _random_port(design: Design, seed: int) -> tuple[str, str] | None:
    """(component, port) of a cable between network devices, drawn with `seed`.

    Server cables are left out: their bonds fail over in the kernel's bonding driver, which the lab's kernel
    lacks (it gives each bond its first member only), so cutting one would measure the lab, not the design."""
    network_devices = {f.name for f in design.firewalls if f.kind == "physical"} | {
        s.name for s in design.switches
    }
    pool = sorted(
        (cable_id(c.a, c.b), c.a)
        for c in design.cables
        if c.a.split(":")[0] in network_devices and c.b.split(":")[0] in network_devices
    )
    return random.Random(seed).choice(pool) if pool else None  # noqa: S311 - a test draw, not a secret


def _permitted_pair(design: Design, a_site: str, b_site: str) -> tuple[str, str, str] | None:
    """(source server, target address, probe) of a connection between the two sites that the flow matrix allows,
    routed by the firewalls (on two different networks), or None. A server probes from its first address (the
    one its default route leaves by); the probe is the flow's: ICMP, or TCP/UDP on its first port (a reset or a
    port-unreachable answers, so nothing need listen)."""
    matrix = FlowMatrix(design)
    servers = sorted(design.servers, key=lambda s: s.name)
    for source in (s for s in servers if s.site == a_site and s.addresses):
        side = matrix.sides(source.name)[0]
        for target in (t for t in servers if t.site == b_site):
            for far, address in zip(matrix.sides(target.name), target.addresses, strict=True):
                if far.network == side.network:
                    continue  # a stretched network: STP between switches, not routing between sites
                probe = _probe_for(matrix, design, side, far)
                if probe is not None:
                    return source.name, str(address.ip), probe
    return None


def _probe_for(matrix: FlowMatrix, design: Design, source: Side, target: Side) -> str | None:
    if matrix.permits(source, target, "icmp", 0):
        return "icmp"
    for flow in sorted(design.flows, key=lambda f: f.name):
        if flow.protocol in ("tcp", "udp") and flow.ports:
            port = flow.ports[0][0]
            if matrix.permits(source, target, flow.protocol, port):
                return f"{flow.protocol}:{port}"
    return None


def _man(design: Design) -> list[Scenario]:
    """A MAN link cut and a MAN port shut, probed between servers of its two sites on a connection the flows
    allow (routed by the firewalls, so the policy passes it before, during and after the cut)."""
    names = ("Loss of MAN link {link}", "MAN port shut down ({port})")
    found = [man_scenario(design, i, names[i]) for i in range(min(2, len(design.man_links)))]
    return [s for s in found if s is not None]


def man_scenario(design: Design, index: int, name: str) -> Scenario | None:
    """The cut of the design's MAN link `index`, named from `name` ({link}, {port}), probed between servers
    of its two sites on a connection the flows allow; None when no such connection exists."""
    man = design.man_links[index]
    a_site = next(s.site for s in design.switches if s.name == man.a.split(":")[0])
    b_site = next(s.site for s in design.switches if s.name == man.b.split(":")[0])
    pair = _permitted_pair(design, a_site, b_site)
    if pair is None:
        return None
    title = name.format(link=man.name, port=man.a)
    return Scenario(title, (f"man:{man.name}",), pair[0], pair[1], ("route/",), pair[2])


def with_probe(design: Design, scenario: Scenario, probe: str) -> Scenario:
    """The scenario probed with `probe`. From the internet, a TCP or UDP probe aims at a public service the flow
    matrix lets in on that port (a virtual address of the firewalls answers ICMP only). A scenario probed from
    inside keeps its own probe: it is the one a flow allows between its two ends, and any other the firewalls
    refuse by design."""
    kind, port = parse_probe(probe)
    if kind == "rados":
        raise ValueError("probe 'rados' writes to a Ceph pool: the Ceph rows' own, not a path's")
    if scenario.source != "internet" or scenario.layers:
        return (
            scenario  # a service's row probes the service (an API over HTTP), whatever the network rows use
        )
    if kind == "icmp" or port is None:
        return replace(scenario, probe=probe)
    # an HTTP probe crosses the firewalls as TCP does
    return replace(
        scenario, probe=probe, target=public_service(design, "tcp" if kind == "http" else kind, port)
    )


def public_service(design: Design, kind: str, port: int) -> str:
    """The first public address (of a server or VM) that some flow from outside allows on kind/port."""
    ix = Index.of(design)
    matrix = FlowMatrix(design)
    hosts: list[Server | Vm] = [*design.servers, *design.vms]
    for flow in sorted(design.flows, key=lambda f: f.name):
        allowed = flow.protocol in (kind, "any") and (
            flow.protocol == "any" or any(a <= port <= b for a, b in flow.ports)
        )
        if not allowed or matrix.elements(flow.source) is not None:
            continue
        destination = matrix.elements(flow.destination) or []
        for host in hosts:
            for address in ix.addresses(host):
                public = any(_within(ip_network(address.ip), p.prefix) for p in design.public_prefixes)
                if public and any(_within(ip_network(address.ip), d) for d in destination):
                    return str(address.ip)
    raise ValueError(f"no flow from outside lets {kind}/{port} reach a public address; probe with icmp")
