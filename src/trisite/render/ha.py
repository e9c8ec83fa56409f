"""Virtual addresses: keepalived for VRRP groups, ucarp for CARP groups (what Linux firewalls run, and how the
lab emulates OPNsense's CARP; OPNsense itself takes the API payloads of render/opnsense.py)."""

from __future__ import annotations

from trisite.model import Design, Index
from trisite.model.interfaces import interfaces, on_network
from trisite.model.network import HaGroup
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.engine import header, template
from trisite.render.ha_scripts import KEEPALIVED_NOTIFY, VIP_DOWN, VIP_UP, script

NOTIFY = "/etc/trisite/keepalived/notify"


def _advert(group: HaGroup) -> str:
    seconds = group.advert_interval_ms / 1000
    return f"{seconds:g}"


def _keepalived(ix: Index, device: str, site: str, groups: list[HaGroup]) -> list[Artifact]:
    instances = []
    for g in groups:
        iface = on_network(ix, device, g.network)
        assert iface is not None  # the model checks every member has an address on the group's network
        member = next(m for m in g.members if m.device == device)
        plen = ix.networks[g.network].prefix.prefixlen
        # Every other interface of the member is tracked: one down puts the instance in FAULT, which gives
        # the addresses up, so the peer takes the gateway instead of this node black-holing it. A stateful
        # pair moves all its groups together, as OPNsense's CARP demotion does.
        tracked = sorted({i.name for i in interfaces(ix, device)} - {iface.name})
        instances.append(
            {
                "name": g.name,
                "interface": iface.name,
                "vid": g.vid,
                "priority": member.priority,
                "advert": _advert(g),
                "preempt": g.preempt,
                "vips": [f"{v}/{plen}" for v in g.vips],
                "track": tracked,
            }
        )
    content = template(
        "keepalived.conf.j2",
        header=header("keepalived"),
        hostname=device,
        instances=instances,
        notify=NOTIFY,
    )
    return [
        Artifact(
            f"{site}/{device}/keepalived/notify",
            script(KEEPALIVED_NOTIFY, header("keepalived")),
            "keepalived",
            device,
            site,
            Apply("file", NOTIFY, "0755"),
        ),
        Artifact(
            f"{site}/{device}/keepalived/keepalived.conf",
            content,
            "keepalived",
            device,
            site,
            Apply("file", "/etc/keepalived/keepalived.conf", "0640", "systemctl reload keepalived"),
        ),
    ]


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
            xparam=f"{ix.networks[group.network].prefix.prefixlen},{group.name}",
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
            found += _keepalived(ix, device, site, vrrp)
        for g in carp:
            found += _ucarp(ix, device, site, g)
        if carp:
            for name, text in (("vip-up", VIP_UP), ("vip-down", VIP_DOWN)):
                found.append(
                    Artifact(
                        f"{site}/{device}/ucarp/{name}",
                        script(text, header("ucarp")),
                        "ucarp",
                        device,
                        site,
                        Apply("file", f"/etc/trisite/ucarp/{name}", "0755"),
                    )
                )
    return found
