"""Switch configuration: a VLAN-aware Linux bridge (ifupdown2, what the lab runs) for every switch, and
Cumulus Linux NVUE for `os: cumulus` switches, with LLDP on.

Why NVUE rather than SONiC's config_db.json: NVUE names ports swpN like the design, and its YAML carries
the whole intent (speeds, MTU, access and trunk VLANs, LLDP) without the hardware lane maps SONiC needs per SKU.
"""

from __future__ import annotations

from typing import Any

from trisite.model import Design, Index
from trisite.model.devices import Switch
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, to_yaml
from trisite.render.switchports import PortPlan, plan, plugged_ports

JUMBO = 9216


def _ifupdown2(ports: list[PortPlan]) -> str:
    used = [p for p in ports if p.peer]
    vids = sorted({v for p in used for v in (*p.tagged, *((p.untagged,) if p.untagged else ()))})
    lines = [f"# {header('ifupdown2')}", "auto lo", "iface lo inet loopback", ""]
    for p in used:
        lines += [
            f"# {p.name}: {p.peer} ({', '.join(p.networks) or 'no network'})",
            f"auto {p.name}",
            f"iface {p.name}",
            f"    mtu {JUMBO}",
            f"    link-speed {p.speed}",
        ]
        if p.tagged:
            lines.append(f"    bridge-vids {' '.join(str(v) for v in p.tagged)}")
        if p.untagged:
            lines.append(f"    bridge-pvid {p.untagged}")
        lines.append("")
    lines += [
        "auto bridge",
        "iface bridge",
        "    bridge-vlan-aware yes",
        f"    bridge-ports {' '.join(p.name for p in used)}",
        f"    bridge-vids {' '.join(str(v) for v in vids)}",
        "    # RSTP: the MAN triangle and the inter-switch links make loops by design",
        "    bridge-stp yes",
        "",
    ]
    return "\n".join(lines)


def _nvue(switch: Switch, ports: list[PortPlan]) -> str:
    interfaces: dict[str, Any] = {}
    for p in ports:
        if not p.peer:
            continue
        domain: dict[str, Any] = {}
        if p.untagged:
            domain["access"] = p.untagged
        if p.tagged:
            domain["vlan"] = [str(v) for v in p.tagged]
        interfaces[p.name] = {
            "type": "swp",
            "description": p.peer[:64],
            "link": {"speed": f"{p.speed // 1000}G" if p.speed >= 1000 else f"{p.speed}M", "mtu": JUMBO},
            "bridge": {"domain": {"br_default": domain}},
        }
    vlans = sorted({v for p in ports if p.peer for v in (*p.tagged, *((p.untagged,) if p.untagged else ()))})
    document = [
        {
            "set": {
                "system": {"hostname": switch.name},
                "interface": interfaces,
                "bridge": {
                    "domain": {
                        "br_default": {"vlan": {str(v): {} for v in vlans}, "stp": {"state": {"up": {}}}}
                    }
                },
                "service": {"lldp": {}} if switch.lldp else {},
            }
        }
    ]
    return to_yaml(
        document, header("Cumulus Linux NVUE, apply with: nv config replace FILE && nv config apply")
    )


def _lldpd(switch: Switch) -> str:
    return "\n".join(
        [
            f"# {header('lldpd')}",
            f"configure system hostname {switch.name}",
            f'configure system description "{switch.model or switch.role} at {switch.site}/{switch.rack}"',
            "configure lldp tx-interval 10",
            "",
        ]
    )


def render(design: Design, ix: Index) -> list[Artifact]:
    found = []
    plugged = plugged_ports(design)
    for sw in design.switches:
        ports = plan(design, ix, sw, plugged)
        base = f"{sw.site}/{sw.name}"
        found.append(
            Artifact(
                f"{base}/ifupdown2/interfaces",
                _ifupdown2(ports),
                "switch",
                sw.name,
                sw.site,
                Apply("file", "/etc/network/interfaces", "0644", "ifreload -a"),
            )
        )
        if sw.lldp:
            found.append(
                Artifact(
                    f"{base}/lldpd/trisite.conf",
                    _lldpd(sw),
                    "switch",
                    sw.name,
                    sw.site,
                    Apply("file", "/etc/lldpd.d/trisite.conf", "0644", "systemctl restart lldpd"),
                )
            )
        if sw.os == "cumulus":
            found.append(
                Artifact(
                    f"{base}/nvue/startup.yaml",
                    _nvue(sw, ports),
                    "switch",
                    sw.name,
                    sw.site,
                    Apply("file", "/etc/nvue.d/startup.yaml", "0644", "nv config apply --assume-yes"),
                )
            )
    return found
