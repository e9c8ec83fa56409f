"""nftables rulesets: render/policy.py's rules for each firewall, written as nft. Default deny, stateful; drops
logged.

Endpoints become named sets; the internet is "not one of our prefixes". Stateless replies (asymmetric paths,
see render/policy.py) come before `ct state invalid drop`, since that is what conntrack calls a reply it never
saw the request of. Bootstrap rules go in a separate file that fills the `bootstrap` chain, which the last
deployment step flushes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from trisite.model import Design, Index
from trisite.model.flows import FlowMatrix, Prefix
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, template
from trisite.render.policy import Endpoint, Ports, Rule, policy

L4 = {"icmp": "icmp", "icmpv6": "ipv6-icmp", "esp": "esp", "ah": "ah", "gre": "gre", "vrrp": "112", "carp": "112",
      "ospf": "89"}  # fmt: skip


def endpoint_set_name(name: str) -> str:
    return "ep_" + name.replace("-", "_").replace(".", "_")


def _family(prefixes: Iterable[Prefix], family: int) -> list[Prefix]:
    return [p for p in prefixes if p.version == family]


def _match(side: str, endpoint: Endpoint, family: int) -> str:
    proto = "ip" if family == 4 else "ip6"
    addr = "saddr" if side == "source" else "daddr"
    if endpoint.prefixes is None:
        return f"{proto} {addr} != @internal_v{family}"
    return f"{proto} {addr} @{endpoint_set_name(endpoint.name)}_v{family}"


def _ports(ports: Ports) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ports)


def _l4(rule: Rule) -> str:
    if rule.protocol in ("tcp", "udp"):
        parts = [rule.protocol]
        parts += [f"dport {{ {_ports(rule.dports)} }}"] if rule.dports else []
        parts += [f"sport {{ {_ports(rule.sports)} }}"] if rule.sports else []
        guard = " tcp flags & ack == ack" if rule.reply and rule.protocol == "tcp" else ""
        return " ".join(parts) + guard
    if rule.protocol == "icmp" and rule.reply:
        return "icmp type echo-reply"
    return "" if rule.protocol == "any" else f"meta l4proto {L4[rule.protocol]}"


def _spared(rule: Rule, family: int) -> str:
    if rule.spares is None or not _family(rule.spares.prefixes or (), family):
        return ""
    proto, name = "ip" if family == 4 else "ip6", endpoint_set_name(rule.spares.name)
    addr = {"source": "saddr", "destination": "daddr"}
    return " ".join(f"{proto} {addr[side]} != @{name}_v{family}" for side in rule.spared)


def _families(rule: Rule) -> list[int]:
    def has(e: Endpoint, family: int) -> bool:
        return e.prefixes is None or bool(_family(e.prefixes, family))

    wanted = [f for f in (4, 6) if has(rule.source, f) and has(rule.destination, f)]
    skipped = {("icmp", 6), ("icmpv6", 4)}
    return [f for f in wanted if (rule.protocol, f) not in skipped]


def nft_rules(rules: Sequence[Rule]) -> list[str]:
    found: dict[str, None] = {}
    for rule in rules:
        for family in _families(rule):
            iif = ", ".join(f'"{n}"' for n in rule.interfaces)
            parts = [
                f"iifname {{ {iif} }}" if iif else "",
                _match("source", rule.source, family),
                _match("destination", rule.destination, family),
                _spared(rule, family),
                _l4(rule),
                "" if rule.reply else "ct state new",
                f'log prefix "trisite {rule.comment}: "' if rule.log else "",
                f'counter accept comment "{rule.comment}"',
            ]
            found[" ".join(p for p in parts if p)] = None
    return list(found)


def sets(matrix: FlowMatrix, rules: Sequence[Rule]) -> list[dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for family in (4, 6):
        internal = [str(p) for p in _family(matrix.internal, family)]
        if internal or family == 4:
            found[f"internal_v{family}"] = {"name": f"internal_v{family}", "type": f"ipv{family}_addr",
                                            "elements": internal or ["0.0.0.0/32"]}  # fmt: skip
        for e in (e for r in rules for e in (r.source, r.destination, r.spares) if e and e.prefixes):
            elements = [str(p) for p in _family(e.prefixes or (), family)]
            if elements:
                name = f"{endpoint_set_name(e.name)}_v{family}"
                found[name] = {"name": name, "type": f"ipv{family}_addr", "elements": elements}
    return sorted(found.values(), key=lambda s: str(s["name"]))


def render(design: Design, ix: Index) -> list[Artifact]:
    matrix = FlowMatrix(design)
    found = []
    for fw in design.firewalls:
        site = ix.site_of(fw.name) or fw.site
        p = policy(design, ix, fw)
        forward = p.chain("forward")
        content = template(
            "nftables.nft.j2",
            header=header("nftables"),
            hostname=fw.name,
            sets=sets(matrix, [*p.rules, *p.bootstrap]),
            reply_rules=nft_rules([r for r in forward if r.reply]),
            input_rules=nft_rules(p.chain("input")),
            forward_rules=nft_rules([r for r in forward if not r.reply]),
        )
        found.append(Artifact(f"{site}/{fw.name}/nftables/nftables.nft", content, "nftables", fw.name, site,
                              Apply("file", "/etc/nftables.conf", "0640", "nft -f /etc/nftables.conf")))  # fmt: skip
        boot = [
            f"# {header('nftables, bootstrap')}",
            "# Removed at the end of the deployment:",
            "#   nft flush chain inet trisite bootstrap",
            *(f"add rule inet trisite bootstrap {r}" for r in nft_rules(p.bootstrap)),
        ]
        found.append(Artifact(f"{site}/{fw.name}/nftables/bootstrap.nft", "\n".join(boot) + "\n", "nftables",
                              fw.name, site, Apply("file", "/etc/nftables.d/trisite-bootstrap.nft", "0640",
                                                   "nft -f /etc/nftables.d/trisite-bootstrap.nft")))  # fmt: skip
    return found
