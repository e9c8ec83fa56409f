"""FRR for every firewall: eBGP to the operators (BFD, our prefixes out, only what we accept in, AS-path
prepends for the site preference), OSPF between sites over the MAN transit networks, static defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Interface

from trisite.model import Design, Index
from trisite.model.devices import Firewall
from trisite.model.interfaces import Iface, interfaces
from trisite.model.site import Uplink
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.engine import header, template


@dataclass(frozen=True)
class Entry:
    seq: int
    action: str
    prefix: str = ""
    suffix: str = ""
    match: str = ""
    prepend: str = ""


@dataclass(frozen=True)
class Named:
    name: str
    entries: list[Entry] = field(default_factory=list)


def _tag(name: str) -> str:
    return name.upper().replace(".", "-")


def standby(design: Design, uplink: Uplink, firewall: str) -> bool:
    """A firewall that is not the CARP/VRRP master on the line's network announces one prepend more, so that
    the operator sends traffic to the master: the pair does not sync connection state, and a reply through
    the other member would be dropped as unknown by the stateful filter."""
    groups = [
        g
        for g in design.ha_groups
        if g.network == uplink.network and any(m.device == firewall for m in g.members)
    ]
    if not groups:
        return firewall != sorted(uplink.firewalls)[0]
    master = max(groups[0].members, key=lambda m: (m.priority, m.device)).device
    return firewall != master


def _policies(
    design: Design, uplink: Uplink, site: str, extra_prepend: int = 0
) -> tuple[list[Named], list[Named]]:
    """Prefix lists and route maps of one line: announce ours (with this site's prepends), accept per `receive`."""
    ours = [p for p in design.public_prefixes if any(a.site == site for a in p.announce)]
    asn = uplink.local_asn or design.platform.asn
    prefix_lists = [Named(f"OURS-{_tag(p.name)}", [Entry(5, "permit", str(p.prefix))]) for p in ours]
    every_ours = Named(
        "ALL-OURS",
        [Entry(5 * (i + 1), "permit", str(p.prefix), " le 32") for i, p in enumerate(design.public_prefixes)],
    )
    accept = Named(f"ACCEPT-{_tag(uplink.name)}")
    if uplink.bgp.receive == "default":
        accept.entries.append(Entry(5, "permit", "0.0.0.0/0"))
    else:
        accept.entries.append(Entry(5, "permit", "0.0.0.0/0", " le 24"))
    prefix_lists += [every_ours, accept]
    out = Named(f"{_tag(uplink.name)}-OUT")
    for i, p in enumerate(ours):
        prepend = next(a.prepend for a in p.announce if a.site == site) + extra_prepend
        out.entries.append(
            Entry(
                10 * (i + 1), "permit", match=f"OURS-{_tag(p.name)}", prepend=" ".join([str(asn)] * prepend)
            )
        )
    inbound = Named(
        f"{_tag(uplink.name)}-IN",
        [Entry(10, "deny", match="ALL-OURS"), Entry(20, "permit", match=accept.name)],
    )
    return prefix_lists, [inbound, out]


def _default_metric(design: Design, firewall: str, site: str, uplinks: list[Uplink]) -> int:
    """The default route a site's firewall originates into OSPF costs more where the internet prefers it less
    (the site's AS-path prepends), and more again on the standby member: every site then leaves through the
    same firewall the internet comes in by, which a stateful filter without state sync needs."""
    prepends = [a.prepend for p in design.public_prefixes for a in p.announce if a.site == site]
    standby_member = any(standby(design, up, firewall) for up in uplinks)
    return 10 + 10 * min(prepends, default=0) + (5 if standby_member else 0)


def _router_id(ifaces: list[Iface]) -> str:
    v4 = sorted(str(i.address.ip) for i in ifaces if isinstance(i.address, IPv4Interface))
    return v4[0] if v4 else "0.0.0.1"


def _static_default(design: Design, fw: Firewall, ifaces: list[Iface]) -> list[dict[str, str]]:
    """A firewall with neither BGP nor OSPF reaches the rest through the gateway of one of its networks."""
    own = {str(ip) for g in design.ha_groups if any(m.device == fw.name for m in g.members) for ip in g.vips}
    for iface in ifaces:
        gateway = next((n.gateway for n in design.networks if n.name == iface.network), None)
        if gateway is not None and str(gateway) not in own and str(gateway) != str(iface.address.ip):
            return [{"prefix": "0.0.0.0/0", "via": str(gateway)}]
    return []


def render_firewall(design: Design, ix: Index, fw: Firewall) -> Artifact:
    ifaces = interfaces(ix, fw.name)
    site = ix.site_of(fw.name) or fw.site
    uplinks = [u for u in design.uplinks if fw.name in u.firewalls]
    prefix_lists: dict[str, Named] = {}
    route_maps: list[Named] = []
    neighbors = []
    profiles = {}
    secrets = []
    for up in uplinks:
        pls, rms = _policies(design, up, site, 1 if standby(design, up, fw.name) else 0)

        prefix_lists |= {p.name: p for p in pls}
        route_maps += rms
        operator = next(o for o in design.operators if o.name == up.operator)
        bfd = None
        if up.bgp.bfd:
            bfd = f"uplink-{up.bgp.bfd.interval_ms}x{up.bgp.bfd.multiplier}"
            profiles[bfd] = {
                "name": bfd,
                "interval": up.bgp.bfd.interval_ms,
                "multiplier": up.bgp.bfd.multiplier,
            }
        if up.bgp.password:
            secrets.append(up.bgp.password)
        neighbors.append(
            {
                "address": str(up.bgp.peer_address),
                "remote_as": operator.asn,
                "description": f"{operator.name} {up.name}",
                "keepalive": up.bgp.keepalive_s,
                "hold": up.bgp.hold_time_s,
                "connect_retry": up.bgp.connect_retry_s,
                "password": secret_ref(up.bgp.password) if up.bgp.password else "",
                "bfd": bfd,
                "route_map_in": f"{_tag(up.name)}-IN",
                "route_map_out": f"{_tag(up.name)}-OUT",
            }
        )
    transit = [i for i in ifaces if i.network in design.routing.transit_networks]
    stubs = sorted({i.name for i in ifaces} - {i.name for i in transit}) if transit else []
    routing = design.routing
    if transit and routing.ospf.bfd:
        profiles["transit"] = {
            "name": "transit",
            "interval": routing.bfd_interval_ms,
            "multiplier": routing.bfd_multiplier,
        }
    announced = sorted(
        {str(p.prefix) for p in design.public_prefixes if any(a.site == site for a in p.announce)}
    )
    bgp = None
    if neighbors:
        bgp = {
            "asn": uplinks[0].local_asn or design.platform.asn,
            "neighbors": neighbors,
            "networks": announced,
        }
    statics = [{"prefix": p, "via": "blackhole"} for p in announced] if bgp else []
    if not bgp and not transit:
        statics = _static_default(design, fw, ifaces)
    content = template(
        "frr.conf.j2",
        default_metric=_default_metric(design, fw.name, site, uplinks),
        stub_cost=15 if any(standby(design, up, fw.name) for up in uplinks) else 10,
        header=header("FRR"),
        hostname=fw.name,
        router_id=_router_id(ifaces),
        bgp=bgp,
        prefix_lists=sorted(prefix_lists.values(), key=lambda p: p.name),
        route_maps=route_maps,
        ospf_interfaces=transit,
        stub_interfaces=stubs,
        static_routes=statics,
        bfd_profiles=sorted(profiles.values(), key=lambda p: p["name"]),
        ospf={
            "area": routing.ospf.area,
            "hello": routing.ospf.hello_s,
            "dead": routing.ospf.dead_s,
            "bfd": routing.ospf.bfd,
        },
    )
    return Artifact(
        f"{site}/{fw.name}/frr/frr.conf",
        content,
        "frr",
        fw.name,
        site,
        Apply("file", "/etc/frr/frr.conf", "0640", "/usr/lib/frr/frr-reload"),
        tuple(sorted(set(secrets))),
    )


def render(design: Design, ix: Index) -> list[Artifact]:
    return [render_firewall(design, ix, fw) for fw in design.firewalls]
