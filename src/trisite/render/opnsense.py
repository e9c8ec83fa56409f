"""The same policy for OPNsense firewalls, as REST API calls: aliases for the flow endpoints, CARP virtual
addresses, filter rules (os-firewall automation rules), BGP neighbours with BFD and OSPF (os-frr), then the
apply calls. The filter rules are render/policy.py's, the same as the nftables rendering's. Interface names are the
design's; the driver maps them to OPNsense identifiers (lan, optN) read from the firewall.

Not expressed yet: os-frr route maps for the AS-path prepends (site preference, standby member), which need
the UUIDs of the prefix lists created before them; FRR's configuration (render/frr.py) carries them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from trisite.model import Design, Index
from trisite.model.devices import Firewall
from trisite.model.flows import FlowMatrix
from trisite.model.interfaces import interfaces, on_network
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.engine import to_json
from trisite.render.frr import standby
from trisite.render.nftables import endpoint_set_name
from trisite.render.policy import Endpoint, Policy, Ports, Rule, policy

BOOTSTRAP = "trisite bootstrap "  # the description prefix the last deployment step deletes rules by
PROTOCOLS = {
    "tcp": "TCP",
    "udp": "UDP",
    "icmp": "ICMP",
    "icmpv6": "IPV6-ICMP",
    "esp": "ESP",
    "ah": "AH",
    "gre": "GRE",
    "vrrp": "CARP",
    "carp": "CARP",
    "ospf": "OSPF",
    "any": "any",
}


def alias_name(text: str) -> str:
    """An OPNsense alias name (letters, digits, underscores; at most 32), stable and distinct per text."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    if len(name) <= 32:
        return name
    return f"{name[:23]}_{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"method": method, "path": path, **({"body": body} if body is not None else {})}


def _alias(name: str, kind: str, content: list[str], description: str) -> dict[str, Any]:
    body = {
        "enabled": "1",
        "name": name,
        "type": kind,
        "content": "\n".join(content),
        "description": description,
    }
    return call("POST", "/api/firewall/alias/addItem", {"alias": body})


def _aliases(matrix: FlowMatrix, p: Policy) -> list[dict[str, Any]]:
    calls = {
        "internal": _alias("internal", "network", [str(p) for p in matrix.internal], "every prefix of ours")
    }
    for rule in [*p.rules, *p.bootstrap]:
        for e in (rule.source, rule.destination, rule.spares, p.guarded if rule.spares else None):
            if e is not None and e.prefixes is not None:
                name = alias_name(endpoint_set_name(e.name))
                calls[name] = _alias(name, "network", [str(p) for p in e.prefixes], f"endpoint {e.name}")
        for ports in (rule.dports, rule.sports):
            if ports:
                name = _ports_alias(ports)
                calls[name] = _alias(
                    name, "port", [str(a) if a == b else f"{a}:{b}" for a, b in ports], "ports"
                )
    return [*calls.values(), call("POST", "/api/firewall/alias/reconfigure", {})]


def _ports_alias(ports: Ports) -> str:
    return alias_name("ports_" + "_".join(str(a) if a == b else f"{a}_{b}" for a, b in ports))


def _side(rule: Rule, side: str) -> dict[str, str]:
    e: Endpoint = getattr(rule, side)
    found = {f"{side}_net": "internal" if e.prefixes is None else alias_name(endpoint_set_name(e.name)),
             f"{side}_not": "1" if e.prefixes is None else "0"}  # fmt: skip
    ports = rule.dports if side == "destination" else rule.sports
    return {**found, f"{side}_port": _ports_alias(ports)} if ports else found


def filter_rule(rule: Rule, sequence: int, every: str, prefix: str = "") -> dict[str, Any]:
    """One pf rule: `in` on the rule's interfaces (all of the firewall's for flows), first match (quick)."""
    body: dict[str, Any] = {
        "enabled": "1",
        "sequence": str(sequence),
        "action": "pass",
        "quick": "1",
        "interface": ",".join(rule.interfaces) or every,
        "direction": "in",
        "ipprotocol": "inet",
        "protocol": PROTOCOLS[rule.protocol],
        "log": "1" if rule.log else "0",
        **_side(rule, "source"),
        **_side(rule, "destination"),
        "description": f"{prefix}{rule.chain}: {rule.comment}"[:255],
    }
    if rule.protocol == "icmp":  # pf matches any ICMP type otherwise: an echo reply would open a state too
        body["icmptype"] = "echorep" if rule.reply else "echoreq"
    if rule.reply:  # no state: the reply of a request another firewall saw; TCP only with ACK set (flags A/A)
        body["statetype"] = "none"
        if rule.protocol == "tcp":
            body |= {"tcpflags1": "ack", "tcpflags2": "ack"}
    return body


def _block(spared: Endpoint, way: str, sequence: int, every: str) -> dict[str, Any]:
    name = alias_name(endpoint_set_name(spared.name))
    nets = (
        {"source_net": "any", "destination_net": name}
        if way == "to"
        else {"source_net": name, "destination_net": "any"}
    )
    return call("POST", "/api/firewall/filter/addRule", {"rule": {
        "enabled": "1", "sequence": str(sequence), "action": "block", "quick": "1", "interface": every,
        "direction": "in", "ipprotocol": "inet", "protocol": "any", "log": "0", "source_not": "0",
        "destination_not": "0", **nets, "description": f"forward: nothing else {way} the firewalls"}})  # fmt: skip


def _ordered(p: Policy) -> list[Rule | str]:
    """pf has one rule list for what nft splits into input and forward, and no "to this zone but not to these
    addresses": the rules free to reach the firewalls' addresses come first, then a block of everything else
    from them, the rules that only must not come from them, a block of everything else to them, the rest.
    (A rule whose source names firewalls and whose destination must spare them comes last, so the first block
    stops it: the reference has none, and the policy test would say so.)"""

    def group(test: Callable[[Rule], bool]) -> list[Rule]:
        chosen = [r for r in p.rules if test(r)]
        return [*[r for r in chosen if r.reply], *[r for r in chosen if not r.reply]]

    free = group(lambda r: not r.spared)
    from_only = group(lambda r: r.spared == ("source",))
    rest = group(lambda r: bool(r.spared) and r.spared != ("source",))
    blocked: list[Rule | str] = [*free, "from", *from_only, "to", *rest]
    return blocked if from_only or rest else list(free)


def _rules(ix: Index, p: Policy) -> list[dict[str, Any]]:
    every = ",".join(sorted({i.name for i in interfaces(ix, p.firewall)}))
    spares = any(r.spares for r in p.rules)
    calls = []
    for n, r in enumerate(_ordered(p)):
        if isinstance(r, Rule):
            calls.append(
                call("POST", "/api/firewall/filter/addRule", {"rule": filter_rule(r, 100 + n, every)})
            )
        elif spares:
            calls.append(_block(p.guarded, r, 100 + n, every))
    calls += [call("POST", "/api/firewall/filter/addRule",
                   {"rule": filter_rule(r, 50 + n, every, prefix=BOOTSTRAP)}) for n, r in enumerate(p.bootstrap)]  # fmt: skip
    return [*calls, call("POST", "/api/firewall/filter/apply", {})]


def _vlans(ix: Index, fw: Firewall) -> list[dict[str, Any]]:
    """The VLAN devices the firewall's tagged interfaces need (os: Interfaces: Other Types: VLAN), named
    vlan0.PARENT.TAG as OPNsense's naming rule allows; assigning them (lan, optN) stays a step on the firewall
    for OPNsense versions before the assignment API."""
    parents = sorted({i.parent for i in interfaces(ix, fw.name)})
    calls = [
        call("POST", "/api/interfaces/vlan_settings/addItem", {"vlan": {
            "if": i.parent, "tag": str(i.vlan), "pcp": "0", "proto": "",
            "vlanif": f"vlan0.{parents.index(i.parent) + 1}.{i.vlan}", "descr": i.network}})
        for i in interfaces(ix, fw.name) if i.vlan is not None
    ]  # fmt: skip
    return [*calls, call("POST", "/api/interfaces/vlan_settings/reconfigure", {})] if calls else []


def _carp(design: Design, ix: Index, fw: Firewall) -> list[dict[str, Any]]:
    calls = []
    for g in design.ha_groups:
        member = next((m for m in g.members if m.device == fw.name), None)
        iface = on_network(ix, fw.name, g.network)
        if member is None or iface is None or g.protocol != "carp":
            continue
        for n, vip in enumerate(g.vips):
            calls.append(
                call(
                    "POST",
                    "/api/interfaces/vip_settings/addItem",
                    {
                        "vip": {
                            "mode": "carp",
                            "interface": iface.name,
                            "subnet": str(vip),
                            "subnet_bits": str(ix.networks[g.network].prefix.prefixlen),
                            "vhid": str(g.vid + n),
                            "advbase": str(g.advert_interval_ms // 1000),
                            "advskew": str(max(0, min(254, 255 - member.priority))),
                            "password": secret_ref(g.password) if g.password else g.name,
                            "descr": g.name,
                        }
                    },
                )
            )
    return [*calls, call("POST", "/api/interfaces/vip_settings/reconfigure", {})] if calls else []


def _routing(design: Design, ix: Index, fw: Firewall) -> list[dict[str, Any]]:
    uplinks = [u for u in design.uplinks if fw.name in u.firewalls]
    calls: list[dict[str, Any]] = [call("POST", "/api/quagga/general/set", {"general": {"enabled": "1"}})]
    site = ix.site_of(fw.name) or fw.site
    announced = sorted(
        str(p.prefix) for p in design.public_prefixes if any(a.site == site for a in p.announce)
    )
    if any(u.bgp.bfd for u in uplinks) or design.routing.ospf.bfd:  # os-frr starts bfdd only when enabled
        calls.append(call("POST", "/api/quagga/bfd/set", {"bfd": {"enabled": "1"}}))
    if uplinks:
        calls.append(
            call(
                "POST",
                "/api/quagga/bgp/set",
                {
                    "bgp": {
                        "enabled": "1",
                        "asnumber": str(uplinks[0].local_asn or design.platform.asn),
                        "networks": ",".join(announced),
                    }
                },
            )
        )
        for up in uplinks:
            asn = next(o.asn for o in design.operators if o.name == up.operator)
            calls.append(
                call(
                    "POST",
                    "/api/quagga/bgp/addNeighbor",
                    {
                        "neighbor": {
                            "enabled": "1",
                            "address": str(up.bgp.peer_address),
                            "remoteas": str(asn),
                            "description": up.name,
                            "keepalive": str(up.bgp.keepalive_s),
                            "holddown": str(up.bgp.hold_time_s),
                            "connecttimer": str(up.bgp.connect_retry_s),
                            "bfd": "1" if up.bgp.bfd else "0",
                            **({"password": secret_ref(up.bgp.password)} if up.bgp.password else {}),
                        }
                    },
                )
            )
            if up.bgp.bfd:
                calls.append(
                    call(
                        "POST",
                        "/api/quagga/bfd/addNeighbor",
                        {
                            "neighbor": {
                                "enabled": "1",
                                "address": str(up.bgp.peer_address),
                                "description": up.name,
                            }
                        },
                    )
                )
    calls += _ospf(design, ix, fw, originate=bool(uplinks))
    return [*calls, call("POST", "/api/quagga/service/reconfigure", {})]


def _ospf(design: Design, ix: Index, fw: Firewall, *, originate: bool) -> list[dict[str, Any]]:
    """OSPF on the MAN transit networks; the firewall's other networks are passive stubs of the area (costlier
    on the standby member), not redistributed: FRR computes external routes one second after each SPF."""
    ifaces = interfaces(ix, fw.name)
    transit = [i for i in ifaces if i.network in design.routing.transit_networks]
    if not transit:
        return []
    ospf = design.routing.ospf
    stubs = sorted({i.name for i in ifaces} - {i.name for i in transit})
    cost = (
        "15" if any(standby(design, u, fw.name) for u in design.uplinks if fw.name in u.firewalls) else "10"
    )
    settings = {"enabled": "1", "originate": "1" if originate else "0", "passiveinterfaces": ",".join(stubs)}
    calls = [call("POST", "/api/quagga/ospfsettings/set", {"ospf": settings})]
    for i in transit:
        timers = {"hellointerval": str(ospf.hello_s), "deadinterval": str(ospf.dead_s)}
        bfd = {"bfd": "1" if ospf.bfd else "0"}
        calls.append(_ospf_interface(i.name, ospf.area, timers | bfd))
    calls += [_ospf_interface(name, ospf.area, {"cost": cost}) for name in stubs]
    return calls


def _ospf_interface(name: str, area: str, extra: dict[str, str]) -> dict[str, Any]:
    body = {"enabled": "1", "interfacename": name, "area": area} | extra
    return call("POST", "/api/quagga/ospfsettings/addInterface", {"interface": body})


def render(design: Design, ix: Index) -> list[Artifact]:
    matrix = FlowMatrix(design)
    found = []
    for fw in design.firewalls:
        if fw.platform != "opnsense":
            continue
        p = policy(design, ix, fw)
        calls = [
            *_vlans(ix, fw),
            *_aliases(matrix, p),
            *_carp(design, ix, fw),
            *_rules(ix, p),
            *_routing(design, ix, fw),
        ]
        secrets = sorted(
            {
                g.password
                for g in design.ha_groups
                if g.password and any(m.device == fw.name for m in g.members)
            }
            | {u.bgp.password for u in design.uplinks if u.bgp.password and fw.name in u.firewalls}
        )
        doc = {"firewall": fw.name, "calls": calls}
        site = ix.site_of(fw.name) or fw.site
        found.append(
            Artifact(
                f"{site}/{fw.name}/opnsense/api.json",
                to_json(doc),
                "opnsense",
                fw.name,
                site,
                Apply("api", "OPNsense REST API, in order"),
                tuple(secrets),
            )
        )
    return found
