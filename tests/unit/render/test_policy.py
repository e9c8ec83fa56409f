"""Each firewall's rendered policy, nftables and OPNsense alike, against the flow matrix and what the design
implies for the firewall itself, both ways: every needed connection passes, nothing else does.

The expectations are computed here from the design (FlowMatrix.permits for traffic through a firewall, the
routing/HA/VPN/monitoring needs below for traffic to it), never from render/policy.py; the rendered files are
read by small evaluators (policy_eval.py) of the nft text and of the API payload's filter rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from ipaddress import IPv4Address

import pytest

from tests.conftest import EXAMPLES
from tests.unit.render.policy_eval import Nft, Packet, Pf, address
from trisite.model import Index, load_design
from trisite.model.flows import FlowMatrix, Side
from trisite.model.interfaces import interfaces
from trisite.render import nftables, opnsense

DESIGN = load_design(EXAMPLES / "three-sites" / "design.yaml").design
IX = Index.of(DESIGN)
M = FlowMatrix(DESIGN)
INTERNET = address("192.0.2.77")
FIREWALLS = ["dc1-fw1", "dc2-fw2", "dc3-fw1"]  # one per site: each has its own uplink, HA groups and VPN ends
PROTOCOLS = ("tcp", "udp", "icmp", "esp", "ospf", "vrrp")


PORTS = (22, 53, 80, 179, 443, 623, 3784, 6800, 7300, 8080, 9100, 9342, 51820)  # every flow's, and others


@cache
def samples() -> tuple[tuple[IPv4Address, Side], ...]:
    """One address per distinct role: a network and the groups and kind of its host (station, firewall, other);
    every firewall's own addresses are added where it is the one evaluated; the internet."""
    groups = {h: frozenset(g.name for g in DESIGN.groups if h in g.members) for h in IX.hosts}
    stations = {s.name for s in DESIGN.stations}
    found, roles = {}, set()
    for host in sorted(IX.hosts):
        for side, a in zip(M.sides(host), IX.addresses(IX.hosts[host]), strict=True):
            if host in M.firewalls and side.zone in M.outside:
                continue  # a firewall's WAN address: its own (input) only, never a forwarded end
            role = (side.network, groups[host], host in stations, host in M.ix.kinds and M.ix.kinds[host])
            if role not in roles:
                roles.add(role)
                found[address(str(a.ip))] = side
    outside = sorted(M.outside)[0]
    return (*found.items(), (INTERNET, Side(None, None, outside)))


def iif(fw: str, side: Side) -> str:
    """The interface a packet from `side` arrives on: its network's, else a MAN link, the WAN for the internet."""
    ifaces = interfaces(IX, fw)
    on = [i.name for i in ifaces if i.network == side.network]
    if on:
        return on[0]
    if side.zone in M.outside:
        return next(i.name for i in ifaces if M.zone_of[i.network] in M.outside)
    return next(i.name for i in ifaces if i.network in DESIGN.routing.transit_networks)


def site_of(side: Side) -> set[str]:
    if side.network is None:
        return {u.site for u in DESIGN.uplinks}
    return set(IX.networks[side.network].sites)


def own(fw: str) -> dict[IPv4Address, Side]:
    """The firewall's addresses, and the virtual ones of its HA groups inside (a network's gateway, the public
    VIP: services of their network, held by whichever member is master)."""
    found = {
        address(str(i.address.ip)): Side(fw, i.network, M.zone_of[i.network]) for i in interfaces(IX, fw)
    }
    for g in DESIGN.ha_groups:
        if fw in {m.device for m in g.members} and M.zone_of[g.network] not in M.outside:
            found |= {address(str(v)): Side(None, g.network, M.zone_of[g.network]) for v in g.vips}
    return found


def probes(fw: str) -> Iterator[tuple[Packet, bool | None, str]]:
    """(packet, whether it must pass, the chain) for new connections through and to the firewall, and for
    replies without state of connections through it."""
    mine = own(fw)
    every = [*samples(), *((a, s) for a, s in mine.items() if a not in dict(samples()))]
    for (src, s), (dst, d) in ((a, b) for a in samples() for b in every):
        if (
            src == dst
            or src in mine
            or (
                s.network and s.network == d.network and dst not in mine
            )  # to the firewall: also from its networks
            or s.zone == d.zone in M.outside
        ):
            continue
        chain = "input" if dst in mine else "forward"
        target = mine[dst] if chain == "input" else d
        for proto in PROTOCOLS:
            for port in PORTS if proto in ("tcp", "udp") else (0,):
                new = Packet(iif(fw, s), src, dst, proto, 40000, port)
                asking = (
                    Side(s.host, None, s.zone) if chain == "input" else s
                )  # by a flow, never "one network"
                to_vip = chain == "input" and target.host is None  # pings only, never a firewall's services
                allowed = M.permits(asking, target, proto, port) and (proto == "icmp" or not to_vip)
                wanted = allowed or (chain == "input" and needed_by_firewall(fw, new))
                yield new, wanted, chain
                if chain == "forward" and proto in ("tcp", "udp", "icmp"):
                    reply = Packet(
                        iif(fw, d), dst, src, proto, port, 40000, syn=False, icmp_type="echo-reply"
                    )
                    # a reply must pass where its request may have crossed another firewall pair; it may pass
                    # for a permitted request at one site (harmless: the flow is allowed), never otherwise
                    yield (
                        reply,
                        (wanted if len(site_of(s) | site_of(d)) > 1 or not wanted else None),
                        "forward",
                    )
                if (
                    chain == "forward" and proto == "tcp"
                ):  # a SYN from the reply's side and port opens nothing
                    syn = Packet(iif(fw, d), dst, src, proto, port, 40000)
                    yield syn, M.permits(d, s, proto, 40000), "forward"
    yield from routing_probes(fw)


def needed_by_firewall(fw: str, p: Packet) -> bool:
    """What the firewall itself answers beyond the flows: pings from inside; OSPF and BFD from its MAN links."""
    mine = own(fw)
    inside = [a for a, side in mine.items() if side.zone not in M.outside]
    if p.proto == "icmp":
        return any(p.saddr in n for n in M.internal) and p.daddr in inside
    link = mine[p.daddr].network if p.daddr in mine else None
    if link not in DESIGN.routing.transit_networks or p.saddr not in IX.networks[str(link)].prefix:
        return False
    return p.proto == "ospf" or (p.proto == "udp" and p.dport in (3784, 3785))


def routing_probes(fw: str) -> Iterator[tuple[Packet, bool, str]]:
    """BGP/BFD from the operator's router on the WAN, OSPF and BFD on the MAN links, CARP from the group's other
    members, WireGuard and IKE/ESP of the VPNs it terminates; and each of them refused from elsewhere."""
    ifaces = interfaces(IX, fw)
    for up in DESIGN.uplinks:
        wan = next((i for i in ifaces if i.network == up.network), None)
        if wan and fw in up.firewalls:
            me, peer = wan.address.ip, address(str(up.bgp.peer_address))
            for proto, port in (("tcp", 179), ("udp", 3784), ("udp", 3785)):
                yield Packet(wan.name, peer, me, proto, 40000, port), True, "input"
                yield Packet(wan.name, INTERNET, me, proto, 40000, port), False, "input"
    for i in (i for i in ifaces if i.network in DESIGN.routing.transit_networks):
        neighbour = next(h for h in IX.networks[i.network].prefix.hosts() if h != i.address.ip)
        for group in ("224.0.0.5", "224.0.0.6", str(i.address.ip)):
            yield Packet(i.name, neighbour, address(group), "ospf"), True, "input"
            yield (
                Packet(
                    ifaces[0].name if ifaces[0] != i else ifaces[1].name, neighbour, address(group), "ospf"
                ),
                False,
                "input",
            )
        yield Packet(i.name, neighbour, i.address.ip, "udp", 49152, 3784), True, "input"
    for g in DESIGN.ha_groups:
        i = next((i for i in ifaces if i.network == g.network), None)
        if i is None or fw not in {m.device for m in g.members}:
            continue
        for m in (m for m in g.members if m.device != fw):
            peer = next(a.address.ip for a in interfaces(IX, m.device) if a.network == g.network)
            yield Packet(i.name, peer, address("224.0.0.18"), "vrrp"), True, "input"
        stranger = next(h for h in IX.networks[g.network].prefix.hosts() if h not in own_all(g.network))
        yield Packet(i.name, stranger, address("224.0.0.18"), "vrrp"), False, "input"
    yield from vpn_probes(fw)


def own_all(network: str) -> set[IPv4Address]:
    return {
        address(str(i.address.ip))
        for f in DESIGN.firewalls
        for i in interfaces(IX, f.name)
        if i.network == network
    }


def vpn_probes(fw: str) -> Iterator[tuple[Packet, bool, str]]:
    groups = {g.name: g for g in DESIGN.ha_groups}
    for link in DESIGN.vpn:
        local = groups[link.terminates_on]
        if fw not in {m.device for m in local.members}:
            continue
        wan = next(i for i in interfaces(IX, fw) if i.network == local.network)
        vip = address(str(local.vips[0]))
        if link.technology == "wireguard":  # clients connect to the member's own address (its own key)
            yield Packet(wan.name, INTERNET, address(str(wan.address.ip)), "udp", 40000, 51820), True, "input"
            continue
        peer = address(str(groups[link.peer or ""].vips[0]))
        for p in (Packet(wan.name, peer, vip, "udp", 500, 500), Packet(wan.name, peer, vip, "udp", 4500, 4500),
                  Packet(wan.name, peer, vip, "esp")):  # fmt: skip
            yield p, True, "input"
            yield Packet(p.iif, INTERNET, p.daddr, p.proto, p.sport, p.dport), False, "input"


@cache
def rendered(fw: str) -> tuple[Nft, Pf]:
    files = {a.path.rsplit("/", 1)[-1]: a.content for a in nftables.render(DESIGN, IX) if a.device == fw}
    doc = next(json.loads(a.content) for a in opnsense.render(DESIGN, IX) if a.device == fw)
    return Nft(files["nftables.nft"]), Pf([c for c in doc["calls"] if "bootstrap" not in json.dumps(c)])


def wrong(fw: str, passes: object) -> list[str]:
    found = []
    for packet, wanted, chain in probes(fw):
        got = passes(packet, chain)  # type: ignore[operator]
        if wanted is not None and got != wanted:
            found.append(f"{'refused' if wanted else 'passed'} {chain}: {packet}")
    return found


@pytest.mark.parametrize("fw", FIREWALLS)
def test_nftables_passes_what_is_needed_and_nothing_else(fw: str) -> None:
    nft = rendered(fw)[0]
    problems = wrong(fw, lambda p, chain: nft.passes(chain, p))
    assert problems == [], f"{len(problems)} wrong, e.g.\n" + "\n".join(problems[:15])


@pytest.mark.parametrize("fw", FIREWALLS)
def test_opnsense_passes_what_is_needed_and_nothing_else(fw: str) -> None:
    pf = rendered(fw)[1]
    problems = wrong(fw, lambda p, _chain: pf.passes(p))
    assert problems == [], f"{len(problems)} wrong, e.g.\n" + "\n".join(problems[:15])


def test_the_bootstrap_rules_pass_the_deployment_flows_and_go_with_their_file() -> None:
    fw = "dc2-fw1"
    files = {a.path.rsplit("/", 1)[-1]: a.content for a in nftables.render(DESIGN, IX) if a.device == fw}
    station = next(s for s in DESIGN.stations)
    host = next(address(str(a.ip)) for s in DESIGN.servers if s.site == "dc2" and "ceph" in s.roles
                for a in s.addresses if a.network == "dc2-mgmt")  # fmt: skip
    transit = next(i.name for i in interfaces(IX, fw) if i.network in DESIGN.routing.transit_networks)
    ssh = Packet(transit, address(str(station.address)), host, "tcp", 40000, 22)
    assert Nft(files["nftables.nft"], files["bootstrap.nft"]).passes("forward", ssh)
    assert not Nft(files["nftables.nft"]).passes("forward", ssh)


def vips_inside() -> Iterator[tuple[IPv4Address, Side]]:
    for g in DESIGN.ha_groups:
        if M.zone_of[g.network] not in M.outside:
            yield from ((address(str(v)), Side(None, g.network, M.zone_of[g.network])) for v in g.vips)


@pytest.mark.parametrize("fw", FIREWALLS)
def test_a_firewall_forwards_pings_to_a_vip_another_one_holds_where_the_flows_permit(fw: str) -> None:
    """While a site's line is down the internet enters at another site, whose firewall forwards the public VIP's
    pings to the holder over the MAN: it must treat the VIP as any address of its network (the lab found it)."""
    nft, pf = rendered(fw)
    wan = iif(fw, dict(samples())[INTERNET])
    outside = dict(samples())[INTERNET]
    checked = 0
    for vip, side in vips_inside():
        for proto, port in (("icmp", 0), ("tcp", 443)):
            packet = Packet(wan, INTERNET, vip, proto, 40000, port)
            wanted = M.permits(outside, side, proto, port)
            assert nft.passes("forward", packet) == wanted, packet
            # pf cannot tell a VIP it holds from one it forwards: for its groups' VIPs, pings only (its GUI)
            assert pf.passes(packet) == (wanted and (vip not in own(fw) or proto == "icmp")), packet
            checked += wanted
    assert checked, "the reference permits pings from the internet to its public VIP"
