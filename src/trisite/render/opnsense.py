"""The same policy for OPNsense firewalls, as REST API calls: aliases for the flow endpoints, CARP virtual
addresses, filter rules (os-firewall automation rules), BGP neighbours with BFD and OSPF (os-frr), then the
apply calls. Interface names are the design's; the deploy stage maps them to OPNsense identifiers (lan, optN).

Not expressed yet: os-frr route maps for the AS-path prepends (site preference, standby member), which need
the UUIDs of the prefix lists created before them; FRR's configuration (render/frr.py) carries them."""

from __future__ import annotations

from typing import Any

from trisite.model import Design, Index
from trisite.model.devices import Firewall
from trisite.model.flows import FlowMatrix
from trisite.model.interfaces import interfaces, on_network
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.engine import to_json
from trisite.render.nftables import endpoint_set_name, replied_statelessly

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


def _ports_alias(flow: str) -> str:
    return "ports_" + flow.replace("-", "_")


def call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"method": method, "path": path, **({"body": body} if body is not None else {})}


def _aliases(matrix: FlowMatrix, design: Design) -> tuple[list[dict[str, Any]], dict[str, str]]:
    calls, names = [], {}
    internal = "\n".join(str(p) for p in matrix.internal)
    calls.append(
        call(
            "POST",
            "/api/firewall/alias/addItem",
            {
                "alias": {
                    "enabled": "1",
                    "name": "internal",
                    "type": "network",
                    "content": internal,
                    "description": "every prefix of ours",
                }
            },
        )
    )
    for flow in design.flows:
        for endpoint in (flow.source, flow.destination):
            elements = matrix.elements(endpoint)
            if elements is None or endpoint in names:
                continue
            names[endpoint] = endpoint_set_name(endpoint)
            calls.append(
                call(
                    "POST",
                    "/api/firewall/alias/addItem",
                    {
                        "alias": {
                            "enabled": "1",
                            "name": names[endpoint],
                            "type": "network",
                            "content": "\n".join(str(p) for p in elements),
                            "description": f"flow endpoint {endpoint}",
                        }
                    },
                )
            )
        if flow.ports:
            calls.append(
                call(
                    "POST",
                    "/api/firewall/alias/addItem",
                    {
                        "alias": {
                            "enabled": "1",
                            "name": _ports_alias(flow.name),
                            "type": "port",
                            "content": "\n".join(str(a) if a == b else f"{a}:{b}" for a, b in flow.ports),
                            "description": f"ports of flow {flow.name}",
                        }
                    },
                )
            )
    calls.append(call("POST", "/api/firewall/alias/reconfigure", {}))
    return calls, names


def _rules(design: Design, matrix: FlowMatrix, names: dict[str, str], fw: Firewall) -> list[dict[str, Any]]:
    ifaces = ",".join(sorted({i.name for i in interfaces(matrix.ix, fw.name)}))
    calls = []
    for n, flow in enumerate(design.flows):
        rule: dict[str, Any] = {
            "enabled": "1",
            "sequence": str(100 + n),
            "action": "pass",
            "quick": "1",
            "interface": ifaces,
            "direction": "in",
            "ipprotocol": "inet",
            "protocol": PROTOCOLS[flow.protocol],
            "log": "1" if flow.log else "0",
            "description": f"{flow.name}: {flow.why}"[:255],
        }
        for side in ("source", "destination"):
            endpoint = getattr(flow, side)
            rule[f"{side}_net"] = names.get(endpoint, "internal")
            rule[f"{side}_not"] = "0" if endpoint in names else "1"
        if flow.ports:
            rule["destination_port"] = _ports_alias(flow.name)
        calls.append(call("POST", "/api/firewall/filter/addRule", {"rule": rule}))
    calls += _reply_rules(design, matrix, names, ifaces, 100 + len(design.flows))
    return [*calls, call("POST", "/api/firewall/filter/apply", {})]


def _reply_rules(
    design: Design, matrix: FlowMatrix, names: dict[str, str], ifaces: str, sequence: int
) -> list[dict[str, Any]]:
    """Stateless passes for the replies of inbound flows when lines land at several sites (see
    nftables.reply_rules: a reply may leave by a firewall that never saw the request). The automation API
    sets no TCP-flag guard here, so a bare SYN from the flow's source port would pass too."""
    calls: list[dict[str, Any]] = []
    for flow in replied_statelessly(matrix, design.flows):
        rule = {
            "enabled": "1",
            "sequence": str(sequence + len(calls)),
            "action": "pass",
            "quick": "1",
            "interface": ifaces,
            "direction": "in",
            "ipprotocol": "inet",
            "protocol": PROTOCOLS[flow.protocol],
            "statetype": "none",
            "source_net": names.get(flow.destination, "internal"),
            "source_not": "0",
            "source_port": _ports_alias(flow.name),
            "destination_net": "internal",
            "destination_not": "1",
            "description": f"replies of {flow.name} (asymmetric paths between sites)",
        }
        calls.append(call("POST", "/api/firewall/filter/addRule", {"rule": rule}))
    return calls


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
    transit = [i for i in interfaces(ix, fw.name) if i.network in design.routing.transit_networks]
    if transit:
        ospf = design.routing.ospf
        calls.append(
            call(
                "POST",
                "/api/quagga/ospfsettings/set",
                {"ospf": {"enabled": "1", "originate": "1" if uplinks else "0", "redistribute": "connected"}},
            )
        )
        for i in transit:
            calls.append(
                call(
                    "POST",
                    "/api/quagga/ospfsettings/addInterface",
                    {
                        "interface": {
                            "enabled": "1",
                            "interfacename": i.name,
                            "area": ospf.area,
                            "hellointerval": str(ospf.hello_s),
                            "deadinterval": str(ospf.dead_s),
                            "bfd": "1" if ospf.bfd else "0",
                        }
                    },
                )
            )
    return [*calls, call("POST", "/api/quagga/service/reconfigure", {})]


def render(design: Design, ix: Index) -> list[Artifact]:
    matrix = FlowMatrix(design)
    found = []
    for fw in design.firewalls:
        if fw.platform != "opnsense":
            continue
        aliases, names = _aliases(matrix, design)
        calls = [
            *aliases,
            *_carp(design, ix, fw),
            *_rules(design, matrix, names, fw),
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
