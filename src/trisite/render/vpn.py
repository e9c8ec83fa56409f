"""VPN links: WireGuard for administrators' access, strongSwan (swanctl, IKEv2) for links between our sites
(the backup path when the MAN is cut) or to a remote gateway. Keys stay secrets: placeholders only."""

from __future__ import annotations

from ipaddress import ip_address

from trisite.errors import RenderError
from trisite.model import Design, Index
from trisite.model.interfaces import on_network
from trisite.model.operations import VpnLink
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.engine import header, template

WIREGUARD_PORT = 51820
UPDOWN = "/etc/trisite/strongswan/xfrm-updown"
XFRM_UPDOWN = """#!/bin/sh
# {header}
# strongSwan's updown for route-based links: the XFRM interface of the CHILD_SA's interface ID, and a route
# to each remote network through it at metric 1000, so that the MAN's routes (OSPF, metric 20) win while
# they exist and the tunnel carries the traffic once they are withdrawn. `proto kernel`: zebra leaves such
# routes alone; any other it takes in as a kernel route of distance 0, which beats OSPF's, and then it
# never installs OSPF's route at all.
set -eu
dev="xfrm$PLUTO_IF_ID_OUT"
case "$PLUTO_VERB" in
    up-client*)
        ip link show "$dev" >/dev/null 2>&1 || ip link add "$dev" type xfrm if_id "$PLUTO_IF_ID_OUT"
        ip link set "$dev" up
        ip route replace "$PLUTO_PEER_CLIENT" dev "$dev" metric 1000 proto kernel
        ;;
    down-client*)
        ip route del "$PLUTO_PEER_CLIENT" dev "$dev" metric 1000 proto kernel 2>/dev/null || true
        ;;
esac
"""


def _ends(design: Design, name: str) -> tuple[list[str], str]:
    """Devices terminating a link end, and the address the other end talks to (an HA group's VIP)."""
    group = next((g for g in design.ha_groups if g.name == name), None)
    if group is not None:
        return [m.device for m in group.members], str(group.vips[0])
    fw = next(f for f in design.firewalls if f.name == name)
    return [fw.name], str(fw.addresses[0].ip)


def _prefixes(design: Design, ix: Index, names: list[str], sites: set[str] | None) -> list[str]:
    found = set()
    for name in names:
        kind = ix.kinds.get(name)
        nets = [n for n in design.networks if (kind == "zone" and n.zone == name) or n.name == name]
        if kind == "group":
            nets = [
                n
                for n in design.networks
                if n.name in next(g.members for g in design.groups if g.name == name)
            ]
        found |= {str(n.prefix) for n in nets if sites is None or set(n.sites) & sites}
    return sorted(found)


def _wireguard_end(design: Design, ix: Index, link: VpnLink, device: str) -> tuple[str, str, str]:
    """A firewall's tunnel address, private-key secret, and the address its clients connect to.

    Each member of an HA pair has its own key and address: clients connect to a member's own WAN address,
    never to the group's VIP, which moves to a firewall holding another key. A /32 tunnel address gives
    no connected route for the whole pool on both members; wg-quick routes each client's /32 (its
    AllowedIPs) to the member it is connected to."""
    devices, public = _ends(design, link.terminates_on)
    end = next((e for e in link.endpoints if e.device == device), None)
    group = next((g for g in design.ha_groups if g.name == link.terminates_on), None)
    if end is None and len(devices) > 1:
        raise RenderError(
            f"vpn[{link.name}]: {device} needs its own tunnel address and key under endpoints "
            f"(the members of {link.terminates_on} must not share them)"
        )
    if group is not None:
        own = on_network(ix, device, group.network)
        public = str(own.address.ip) if own else public
    if end is None:
        assert link.client_network is not None
        return str(next(ix.networks[link.client_network].prefix.hosts())), link.key, public
    return str(end.address), end.key, public


def _wireguard(design: Design, ix: Index, link: VpnLink) -> list[Artifact]:
    devices, _ = _ends(design, link.terminates_on)
    found = []
    for d in devices:
        address, key, public = _wireguard_end(design, ix, link, d)
        text = "\n".join(
            [
                f"# {header('WireGuard')}",
                f"# {link.name}: administrators reach {', '.join(link.allowed)}",
                f"# Clients connect to {public}:{WIREGUARD_PORT} with this firewall's public key; their peers",
                "# (one per administrator, AllowedIPs = the client's /32) are added by the access-management",
                "# process, not by the design.",
                "[Interface]",
                f"Address = {address}/{32 if ip_address(address).version == 4 else 128}",
                f"ListenPort = {WIREGUARD_PORT}",
                f"PrivateKey = {secret_ref(key)}",
                "",
            ]
        )
        found.append(
            Artifact(
                f"{ix.site_of(d)}/{d}/wireguard/wg-{link.name}.conf",
                text,
                "vpn",
                d,
                ix.site_of(d),
                Apply(
                    "file",
                    f"/etc/wireguard/wg-{link.name}.conf",
                    "0600",
                    f"systemctl restart wg-quick@wg-{link.name}",
                ),
                (key,),
            )
        )
    return found


def _swanctl(design: Design, ix: Index, link: VpnLink) -> list[Artifact]:
    local_devices, local_addr = _ends(design, link.terminates_on)
    if link.peer is not None:
        remote_devices, remote_addr = _ends(design, link.peer)
        sides = [
            (local_devices, local_addr, link.terminates_on, remote_addr, link.peer, remote_devices),
            (remote_devices, remote_addr, link.peer, local_addr, link.terminates_on, local_devices),
        ]
    else:
        assert link.remote is not None
        sides = [
            (local_devices, local_addr, link.terminates_on, str(link.remote.address), link.remote.name, [])
        ]
    found = []
    if_id = 1 + [v.name for v in design.vpn if v.technology == "ipsec"].index(link.name)
    for n, (devices, here, here_id, there, there_id, there_devices) in enumerate(sides):
        here_sites = {ix.site_of(d) or "" for d in devices}
        there_sites = {ix.site_of(d) or "" for d in there_devices}
        # Networks stretched to both ends travel over the MAN at layer 2, never through the tunnel.
        both = set(_prefixes(design, ix, link.allowed, here_sites)) & set(
            _prefixes(design, ix, link.allowed, there_sites)
        )
        local_ts = [p for p in _prefixes(design, ix, link.allowed, here_sites) if p not in both]
        remote_ts = (
            [p for p in _prefixes(design, ix, link.allowed, there_sites) if p not in both]
            if there_devices
            else [str(p) for p in link.remote.prefixes]
            if link.remote
            else []
        )

        text = template(
            "swanctl.conf.j2",
            header=header("strongSwan swanctl"),
            link=link.name,
            local_addr=here,
            remote_addr=there,
            local_id=here_id,
            remote_id=there_id,
            local_ts=local_ts,
            remote_ts=remote_ts,
            secret=secret_ref(link.key),
            if_id=if_id,
            updown=UPDOWN,
            initiator=n == 0,  # one side starts the tunnel; both starting makes duplicate SAs
        )
        for d in devices:
            site = ix.site_of(d)
            found.append(
                Artifact(
                    f"{site}/{d}/strongswan/{link.name}.conf",
                    text,
                    "vpn",
                    d,
                    site,
                    Apply("file", f"/etc/swanctl/conf.d/{link.name}.conf", "0600", "swanctl --load-all"),
                    (link.key,),
                )
            )
    return found


def _updown(artifacts: list[Artifact]) -> list[Artifact]:
    hosts = sorted({(a.device, a.site) for a in artifacts if "/strongswan/" in a.path})
    return [
        Artifact(
            f"{site}/{device}/strongswan/xfrm-updown",
            XFRM_UPDOWN.format(header=header("strongSwan updown")),
            "vpn",
            device,
            site,
            Apply("file", UPDOWN, "0755"),
        )
        for device, site in hosts
    ]


def render(design: Design, ix: Index) -> list[Artifact]:
    found: list[Artifact] = []
    for link in design.vpn:
        if (link.kind, link.technology) == ("admin", "wireguard"):
            found += _wireguard(design, ix, link)
        elif (link.kind, link.technology) == ("site-to-site", "ipsec"):
            found += _swanctl(design, ix, link)
        else:
            raise RenderError(
                f"vpn[{link.name}]: {link.kind} over {link.technology} is not rendered yet "
                "(use wireguard for admin access, ipsec between sites)"
            )
    return found + _updown(found)
