"""Cross-reference checks of routing, HA groups, flows and VPN."""

from __future__ import annotations

from collections.abc import Sequence

from trisite.model.components import enumerate_components
from trisite.model.crossref import ENDPOINT_KINDS, HOST_KINDS, Checks
from trisite.model.network import Flow
from trisite.model.source import PathKey


def check_uplinks(c: Checks) -> None:
    operators = {o.name for o in c.d.operators}
    for i, up in enumerate(c.d.uplinks):
        path: PathKey = ("uplinks", i)
        c.site((*path, "site"), up.site)
        c.in_set((*path, "operator"), up.operator, operators, "operator")
        c.secret((*path, "bgp", "password"), up.bgp.password)
        if not c.ip_in((*path, "bgp", "peer_address"), up.bgp.peer_address, up.network, (*path, "network")):
            continue
        c.own_ip((*path, "bgp", "peer_address"), up.bgp.peer_address)
        for j, name in enumerate(up.firewalls):
            fpath: PathKey = (*path, "firewalls", j)
            if not c.ref(fpath, name, ("firewall",), "firewall"):
                continue
            fw = c.ix.hosts[name]
            if c.ix.site_of(name) != up.site:
                c.r.add(fpath, f"firewall {name} is not at site {up.site}")
            elif not any(a.network == up.network for a in c.ix.addresses(fw)):
                c.r.add(
                    fpath,
                    f"firewall {name} has no address on {up.network}",
                    "give it one to hold the BGP session",
                )
    for i, pp in enumerate(c.d.public_prefixes):
        c.r.unique(
            ((("public_prefixes", i, "announce", j, "site"), a.site) for j, a in enumerate(pp.announce)),
            "announcing site",
        )
        for j, ann in enumerate(pp.announce):
            c.site(("public_prefixes", i, "announce", j, "site"), ann.site)
    for i, net in enumerate(c.d.routing.transit_networks):
        c.ref(("routing", "transit_networks", i), net, ("network",), "network")


def check_ha_groups(c: Checks) -> None:
    """VHIDs/VRIDs share one space per segment: CARP and VRRP both use IP protocol 112 and the
    00:00:5e:00:01:XX virtual MACs, and Kolla's keepalived takes one more on the API network."""
    ids: dict[tuple[str, int], PathKey] = {}
    for i, grp in enumerate(c.d.ha_groups):
        path: PathKey = ("ha_groups", i)
        c.secret((*path, "password"), grp.password)
        for j, vip in enumerate(grp.vips):
            if c.ip_in((*path, "vips", j), vip, grp.network, (*path, "network")):
                c.own_ip((*path, "vips", j), vip)
        _claim_vid(c, ids, (*path, "vid"), grp.network, grp.vid)
        for j, member in enumerate(grp.members):
            mpath: PathKey = (*path, "members", j, "device")
            if not c.ref(mpath, member.device, HOST_KINDS, "host"):
                continue
            if not any(a.network == grp.network for a in c.ix.addresses(c.ix.hosts[member.device])):
                c.r.add(
                    mpath,
                    f"{member.device} has no address on {grp.network}",
                    "a member needs its own address on the group's network",
                )
    for i, region in enumerate(c.d.openstack):
        _claim_vid(
            c,
            ids,
            ("openstack", i, "keepalived_router_id"),
            region.internal_network,
            region.keepalived_router_id,
        )


def _claim_vid(c: Checks, ids: dict[tuple[str, int], PathKey], path: PathKey, network: str, vid: int) -> None:
    key = (network, vid)
    if key in ids:
        c.r.add(
            path,
            f"VHID/VRID {vid} is already used on network {network}",
            f"first at line {c.r.line_of(ids[key])}; each group needs its own id on a segment",
        )
    else:
        ids[key] = path


def _check_flows(c: Checks, section: PathKey, flows: Sequence[Flow]) -> None:
    for i, flow in enumerate(flows):
        c.ref((*section, i, "source"), flow.source, ENDPOINT_KINDS, "zone, network, group or host")
        c.ref((*section, i, "destination"), flow.destination, ENDPOINT_KINDS, "zone, network, group or host")


def check_flows(c: Checks) -> None:
    _check_flows(c, ("flows",), c.d.flows)
    _check_flows(c, ("bootstrap", "flows"), c.d.bootstrap.flows)
    c.r.unique(
        ((("bootstrap", "flows", i, "name"), f.name) for i, f in enumerate(c.d.bootstrap.flows)), "flow"
    )
    for i, grp in enumerate(c.d.groups):
        for j, member in enumerate(grp.members):
            c.ref(("groups", i, "members", j), member, ("network", *HOST_KINDS), "network or host")


def check_vpn(c: Checks) -> None:
    groups = {g.name for g in c.d.ha_groups}
    for i, link in enumerate(c.d.vpn):
        path: PathKey = ("vpn", i)
        if link.terminates_on not in groups:
            c.ref((*path, "terminates_on"), link.terminates_on, ("firewall",), "HA group or firewall")
        if link.peer is not None:
            c.in_set((*path, "peer"), link.peer, groups, "HA group")
            if link.peer == link.terminates_on:
                c.r.add((*path, "peer"), "a link cannot end where it starts")
        if link.client_network is not None:
            c.ref((*path, "client_network"), link.client_network, ("network",), "network")
        for j, name in enumerate(link.allowed):
            c.ref((*path, "allowed", j), name, ("zone", "network", "group"), "zone, network or group")
        c.secret((*path, "key"), link.key)
        for j, end in enumerate(link.endpoints):
            c.ref((*path, "endpoints", j, "device"), end.device, ("firewall",), "firewall")
            c.secret((*path, "endpoints", j, "key"), end.key)
            if link.client_network is not None:
                network_path = (*path, "client_network")
                c.ip_in((*path, "endpoints", j, "address"), end.address, link.client_network, network_path)


def check_risks(c: Checks) -> None:
    """A shared risk lists things that fail: component ids of the design, each once, none a risk itself."""
    known = {comp.id for comp in enumerate_components(c.d) if comp.kind != "risk"}
    for i, risk in enumerate(c.d.risks):
        seen: set[str] = set()
        for j, member in enumerate(risk.members):
            path: PathKey = ("risks", i, "members", j)
            if member in seen:
                c.r.add(path, f"'{member}' is listed twice")
            elif member.startswith(("risk:", "carrier:", "asn:")):
                c.r.add(path, f"'{member}' is a shared risk: list its members instead")
            else:
                c.in_set(path, member, known, "component", " (ids like man:NAME, site:NAME, feed:SITE/FEED)")
            seen.add(member)
