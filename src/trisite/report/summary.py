"""Per-site and per-layer summaries of a design, as rows any front end can print."""

from __future__ import annotations

from collections import Counter

from trisite.model import Design, Index
from trisite.model.types import format_speed
from trisite.report.table import Table


def _count_by_site(ix: Index, names: list[str]) -> Counter[str]:
    return Counter(ix.site_of(n) or "floating" for n in names)


def site_table(design: Design) -> Table:
    ix = Index.of(design)
    rows = []
    for site in design.sites:
        s = site.name
        uplinks = [u for u in design.uplinks if u.site == s]
        lines = (
            ", ".join(
                f"{u.operator} {format_speed(u.speed)}" + (" BGP+BFD" if u.bgp.bfd else " BGP")
                for u in uplinks
            )
            or "none"
        )
        physical = sum(f.site == s and f.kind == "physical" for f in design.firewalls)
        virtual = sum(ix.site_of(f.name) == s and f.kind == "virtual" for f in design.firewalls)
        rows.append(
            (
                s,
                f"{len(site.racks)}/{len(site.power_feeds)}",
                f"{physical}+{virtual}v",
                str(sum(w.site == s for w in design.switches)),
                str(sum(v.site == s for v in design.servers)),
                str(sum(ix.site_of(v.name) == s for v in design.vms)),
                lines,
                str(sum(any(a.site == s for a in p.announce) for p in design.public_prefixes)),
            )
        )
    return Table(
        "Sites",
        ("site", "racks/feeds", "firewalls", "switches", "servers", "VMs", "internet", "prefixes"),
        tuple(rows),
    )


def layer_table(design: Design) -> Table:
    ix = Index.of(design)
    rows: list[tuple[str, str, str]] = []
    man = ", ".join(f"{m.name} {format_speed(m.speed)}" for m in design.man_links) or "none"
    rows.append(
        (
            "network",
            f"{len(design.networks)} networks, {len(design.zones)} zones, {len(design.flows)} flows",
            f"MAN: {man}; inter-site routing {design.routing.protocol}",
        )
    )
    ha = Counter(g.protocol for g in design.ha_groups)
    rows.append(
        (
            "HA groups",
            ", ".join(f"{n} {p.upper()}" for p, n in sorted(ha.items())) or "none",
            ", ".join(g.name for g in design.ha_groups),
        )
    )
    for c in design.ceph:
        mons = _count_by_site(ix, c.mons)
        rows.append(
            (
                "storage",
                f"Ceph {c.name} {c.version or design.versions.ceph or '?'}",
                f"MONs {'/'.join(str(mons[s.name]) for s in design.sites)}, {len(c.osd_hosts)} OSD hosts, "
                f"{len(c.pools)} pools",
            )
        )
    for o in design.ovirt:
        hosts = sum(len(cl.hosts) for cl in o.clusters)
        rows.append(
            (
                "virtualization",
                f"oVirt {o.name} {o.version or design.versions.ovirt or '?'}",
                f"{len(o.clusters)} clusters, {hosts} hosts, engine on {len(o.engine.hosts)} hosts, "
                f"{len(design.vms)} VMs",
            )
        )
    for r in design.openstack:
        keystone = f"Keystone from {r.keystone_from}" if r.keystone_from else "own Keystone"
        rows.append(
            (
                "cloud",
                f"OpenStack {r.name} {r.release or design.versions.openstack or '?'}",
                f"{len(r.controllers)} controllers, {len(r.computes)} computes, {keystone}",
            )
        )
    for k in design.kubernetes:
        rows.append(
            (
                "containers",
                f"Kubernetes {k.name} {k.version or design.versions.kubernetes or '?'}",
                f"{len(k.control_plane)} control plane, {len(k.workers)} workers, {len(k.etcd)} etcd",
            )
        )
    rows.append(
        (
            "operations",
            f"{len(design.vpn)} VPN links, {len(design.dns)} DNS zones",
            f"{len(design.backups)} backup jobs, monitoring "
            f"{'on ' + ', '.join(design.monitoring.prometheus) if design.monitoring else 'none'}",
        )
    )
    temporary = len(design.bootstrap.flows) + len(design.bootstrap.routes) + len(design.bootstrap.accounts)
    rows.append(("bootstrap", f"{len(design.stations)} stations", f"{temporary} temporary resources"))
    return Table("Layers", ("layer", "what", "details"), tuple(rows))
