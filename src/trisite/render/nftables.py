"""nftables rulesets generated from the flow matrix: default deny, stateful, drops logged.

Endpoints become named sets of prefixes (zones, groups) or inline addresses (networks, hosts); the internet
is "not one of our prefixes". Bootstrap flows go in a separate file that fills the `bootstrap` chain, which the
last deployment step flushes.
"""

from __future__ import annotations

from collections.abc import Sequence

from trisite.model import Design, Index
from trisite.model.devices import Firewall
from trisite.model.flows import FlowMatrix, Prefix
from trisite.model.interfaces import interfaces
from trisite.model.network import Flow
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, template

L4 = {
    "icmp": "icmp",
    "icmpv6": "ipv6-icmp",
    "esp": "esp",
    "ah": "ah",
    "gre": "gre",
    "vrrp": "112",
    "carp": "112",
    "ospf": "89",
}


def endpoint_set_name(name: str) -> str:
    return "ep_" + name.replace("-", "_")


def _match(side: str, name: str, elements: list[Prefix] | None, family: int) -> str:
    proto = "ip" if family == 4 else "ip6"
    addr = "saddr" if side == "source" else "daddr"
    if elements is None:
        return f"{proto} {addr} != @internal_v{family}"
    return f"{proto} {addr} @{endpoint_set_name(name)}_v{family}"


def _ports(flow: Flow) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in flow.ports)


def _l4(flow: Flow) -> str:
    if flow.protocol in ("tcp", "udp"):
        return f"{flow.protocol} dport {{ {_ports(flow)} }}"
    if flow.protocol == "any":
        return ""
    return f"meta l4proto {L4[flow.protocol]}"


def rules(matrix: FlowMatrix, flows: Sequence[Flow]) -> list[str]:
    found = []
    for flow in flows:
        src, dst = matrix.elements(flow.source), matrix.elements(flow.destination)
        for family in (4, 6):
            if (flow.protocol == "icmp" and family == 6) or (flow.protocol == "icmpv6" and family == 4):
                continue
            if not _has(src, family, matrix) or not _has(dst, family, matrix):
                continue
            parts = [
                _match("source", flow.source, src, family),
                _match("destination", flow.destination, dst, family),
                _l4(flow),
                "ct state new",
            ]
            log = f' log prefix "trisite {flow.name}: "' if flow.log else ""
            found.append(" ".join(p for p in parts if p) + f'{log} counter accept comment "{flow.name}"')
    return found


def _has(elements: list[Prefix] | None, family: int, matrix: FlowMatrix) -> bool:
    if elements is None:
        return any(p.version == family for p in matrix.internal) or family == 4
    return any(p.version == family for p in elements)


def sets(matrix: FlowMatrix, flows: Sequence[Flow], zones: bool = False) -> list[dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for family in (4, 6):
        internal = [str(p) for p in matrix.internal if p.version == family]
        if internal or family == 4:
            found[f"internal_v{family}"] = {
                "name": f"internal_v{family}",
                "type": f"ipv{family}_addr",
                "elements": internal or ["0.0.0.0/32"],
            }
        zone_names = matrix.inside_zones if zones else []
        for name in [*zone_names, *(n for flow in flows for n in (flow.source, flow.destination))]:
            elements = matrix.elements(name)
            if elements and any(p.version == family for p in elements):
                set_name = f"{endpoint_set_name(name)}_v{family}"
                found[set_name] = {
                    "name": set_name,
                    "type": f"ipv{family}_addr",
                    "elements": [str(p) for p in elements if p.version == family],
                }
    return sorted(found.values(), key=lambda s: str(s["name"]))


def zone_rules(matrix: FlowMatrix) -> list[str]:
    """A zone is one trust domain, also across sites: traffic inside it passes, statelessly, since a reply may
    come back through the other firewall of a pair (verify's flow check assumes the same)."""
    found = []
    for zone in matrix.inside_zones:
        elements = matrix.elements(zone) or []
        for family in (4, 6):
            if any(p.version == family for p in elements):
                proto = "ip" if family == 4 else "ip6"
                name = f"@{endpoint_set_name(zone)}_v{family}"
                found.append(
                    f'{proto} saddr {name} {proto} daddr {name} counter accept comment "inside zone {zone}"'
                )
    return found


def replied_statelessly(matrix: FlowMatrix, flows: Sequence[Flow]) -> list[Flow]:
    """The inbound TCP and UDP flows whose replies must pass without state: those from outside, when lines land
    at several sites. A request may enter through one site's firewall (its line is down) and its reply leave
    through another (the server's gateway): neither holds the whole connection, so conntrack calls the reply
    invalid. The lab's TCP probes found it."""
    if len({u.site for u in matrix.design.uplinks}) < 2:
        return []
    return [f for f in flows if matrix.elements(f.source) is None and f.protocol in ("tcp", "udp")]


def reply_rules(matrix: FlowMatrix, flows: Sequence[Flow]) -> list[str]:
    """Replies of those flows: from the flow's destination and ports, and for TCP never a bare SYN."""
    found = []
    errors: dict[str, None] = {}  # ICMP errors of those flows (port unreachable, path MTU), once per endpoint
    for flow in replied_statelessly(matrix, flows):
        destination = matrix.elements(flow.destination) or []
        for family in (4, 6):
            if not any(p.version == family for p in destination):
                continue
            proto = "ip" if family == 4 else "ip6"
            l4 = f"{flow.protocol} sport {{ {_ports(flow)} }}"
            if flow.protocol == "tcp":
                l4 += " tcp flags & (syn | ack) != syn"
            source = f"{proto} saddr @{endpoint_set_name(flow.destination)}_v{family}"
            found.append(
                f"{source} {proto} daddr != @internal_v{family} {l4} counter accept "
                f'comment "replies of {flow.name}"'
            )
            icmp = (
                "icmp type destination-unreachable"
                if family == 4
                else "icmpv6 type { destination-unreachable, packet-too-big }"
            )
            errors[
                f"{source} {proto} daddr != @internal_v{family} {icmp} counter accept "
                f'comment "errors of flows to {flow.destination}"'
            ] = None
    return found + list(errors)


def _input_rules(design: Design, ix: Index, fw: Firewall) -> list[str]:
    """What the firewall itself must answer: ICMP, routing and HA protocols, its operators' BGP."""
    ifaces = interfaces(ix, fw.name)
    found = ['meta l4proto { icmp, ipv6-icmp } accept comment "ping and path MTU discovery"']
    for up in design.uplinks:
        if fw.name in up.firewalls:
            found.append(
                f'ip saddr {up.bgp.peer_address} tcp dport 179 accept comment "BGP from {up.operator}"'
            )
            if up.bgp.bfd:
                found.append(
                    f'ip saddr {up.bgp.peer_address} udp dport {{ 3784, 3785 }} accept comment "BFD from {up.operator}"'
                )
    transit = sorted(i.name for i in ifaces if i.network in design.routing.transit_networks)
    if transit:
        names = ", ".join(f'"{n}"' for n in transit)
        found.append(f'iifname {{ {names} }} meta l4proto 89 accept comment "OSPF between sites"')
        found.append(f'iifname {{ {names} }} udp dport {{ 3784, 3785 }} accept comment "BFD between sites"')
    groups = [g for g in design.ha_groups if any(m.device == fw.name for m in g.members)]
    if groups:
        found.append('meta l4proto 112 accept comment "VRRP and CARP advertisements"')
    return found


def render(design: Design, ix: Index) -> list[Artifact]:
    matrix = FlowMatrix(design)
    found = []
    for fw in design.firewalls:
        site = ix.site_of(fw.name) or fw.site
        content = template(
            "nftables.nft.j2",
            header=header("nftables"),
            hostname=fw.name,
            sets=sets(matrix, [*design.flows, *design.bootstrap.flows], zones=True),
            zone_rules=zone_rules(matrix) + reply_rules(matrix, design.flows),
            input_rules=_input_rules(design, ix, fw),
            forward_rules=rules(matrix, design.flows),
        )
        found.append(
            Artifact(
                f"{site}/{fw.name}/nftables/nftables.nft",
                content,
                "nftables",
                fw.name,
                site,
                Apply("file", "/etc/nftables.conf", "0640", "nft -f /etc/nftables.conf"),
            )
        )
        boot = (
            "\n".join(
                [
                    f"# {header('nftables, bootstrap')}",
                    "# Removed at the end of the deployment:",
                    "#   nft flush chain inet trisite bootstrap",
                    *(f"add rule inet trisite bootstrap {r}" for r in rules(matrix, design.bootstrap.flows)),
                ]
            )
            + "\n"
        )
        found.append(
            Artifact(
                f"{site}/{fw.name}/nftables/bootstrap.nft",
                boot,
                "nftables",
                fw.name,
                site,
                Apply(
                    "file",
                    "/etc/nftables.d/trisite-bootstrap.nft",
                    "0640",
                    "nft -f /etc/nftables.d/trisite-bootstrap.nft",
                ),
            )
        )
    return found
