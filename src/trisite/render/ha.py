"""Virtual addresses: keepalived for VRRP groups, ucarp for CARP groups (what Linux firewalls run, and how the
lab emulates OPNsense's CARP; OPNsense itself takes the API payloads of render/opnsense.py)."""

from __future__ import annotations

from trisite.model import Design, Index
from trisite.model.interfaces import on_network
from trisite.model.network import HaGroup
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.engine import header, template

VIP_UP = """#!/bin/sh
# {header}
# ucarp calls: vip-up INTERFACE VIRTUAL-ADDRESS PREFIX-LENGTH (the --xparam)
exec ip address add "$2/$3" dev "$1"
"""
VIP_DOWN = """#!/bin/sh
# {header}
# ucarp calls: vip-down INTERFACE VIRTUAL-ADDRESS PREFIX-LENGTH (the --xparam)
ip address del "$2/$3" dev "$1" 2>/dev/null || true
"""


def _advert(group: HaGroup) -> str:
    seconds = group.advert_interval_ms / 1000
    return f"{seconds:g}"


def _keepalived(ix: Index, device: str, site: str, groups: list[HaGroup]) -> Artifact:
    instances = []
    for g in groups:
        iface = on_network(ix, device, g.network)
        assert iface is not None  # the model checks every member has an address on the group's network
        member = next(m for m in g.members if m.device == device)
        plen = ix.networks[g.network].prefix.prefixlen
        instances.append(
            {
                "name": g.name,
                "interface": iface.name,
                "vid": g.vid,
                "priority": member.priority,
                "advert": _advert(g),
                "preempt": g.preempt,
                "vips": [f"{v}/{plen}" for v in g.vips],
            }
        )
    content = template(
        "keepalived.conf.j2", header=header("keepalived"), hostname=device, instances=instances
    )
    return Artifact(
        f"{site}/{device}/keepalived/keepalived.conf",
        content,
        "keepalived",
        device,
        site,
        Apply("file", "/etc/keepalived/keepalived.conf", "0640", "systemctl reload keepalived"),
    )


def _ucarp(ix: Index, device: str, site: str, group: HaGroup) -> list[Artifact]:
    iface = on_network(ix, device, group.network)
    assert iface is not None
    member = next(m for m in group.members if m.device == device)
    passfile = f"/etc/trisite/ucarp/{group.name}.pass"
    found = []
    for n, vip in enumerate(group.vips):
        unit = f"ucarp-{group.name}" + (f"-{n}" if n else "")
        content = template(
            "ucarp.service.j2",
            header=header("ucarp"),
            group=group.name,
            vid=group.vid + n,
            hostname=device,
            interface=iface.name,
            srcip=str(iface.address.ip),
            passfile=passfile,
            vip=str(vip),
            advbase=group.advert_interval_ms // 1000,
            advskew=max(0, min(254, 255 - member.priority)),
            preempt=group.preempt,
            prefixlen=ix.networks[group.network].prefix.prefixlen,
        )
        found.append(
            Artifact(
                f"{site}/{device}/ucarp/{unit}.service",
                content,
                "ucarp",
                device,
                site,
                Apply(
                    "file",
                    f"/etc/systemd/system/{unit}.service",
                    "0644",
                    f"systemctl daemon-reload && systemctl restart {unit}",
                ),
            )
        )
    secret = group.password
    found.append(
        Artifact(
            f"{site}/{device}/ucarp/{group.name}.pass",
            (secret_ref(secret) if secret else group.name) + "\n",
            "ucarp",
            device,
            site,
            Apply("file", passfile, "0600"),
            (secret,) if secret else (),
        )
    )
    return found


def render(design: Design, ix: Index) -> list[Artifact]:
    found: list[Artifact] = []
    members: dict[str, list[HaGroup]] = {}
    for g in design.ha_groups:
        for m in g.members:
            members.setdefault(m.device, []).append(g)
    for device, groups in sorted(members.items()):
        site = ix.site_of(device) or str(getattr(ix.hosts[device], "site", "platform"))
        vrrp = [g for g in groups if g.protocol == "vrrp"]
        carp = [g for g in groups if g.protocol == "carp"]
        if vrrp:
            found.append(_keepalived(ix, device, site, vrrp))
        for g in carp:
            found += _ucarp(ix, device, site, g)
        if carp:
            for name, text in (("vip-up", VIP_UP), ("vip-down", VIP_DOWN)):
                found.append(
                    Artifact(
                        f"{site}/{device}/ucarp/{name}",
                        text.format(header=header("ucarp")),
                        "ucarp",
                        device,
                        site,
                        Apply("file", f"/etc/trisite/ucarp/{name}", "0755"),
                    )
                )
    return found
