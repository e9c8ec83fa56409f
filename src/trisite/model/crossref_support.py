"""What the renderers support: a design that validates renders.

Each combination the model can express but `render` has no configuration for is refused here, at load time,
with the file and line of the field, instead of as a RenderError after `validate` said the design was valid.
"""

from __future__ import annotations

from trisite.model import dns_values
from trisite.model.crossref import Checks
from trisite.model.kolla import KOLLA_HOSTS
from trisite.model.source import PathKey

# (kind, technology) of the VPN links render has a configuration for.
RENDERED_VPN = {("admin", "wireguard"): "WireGuard", ("site-to-site", "ipsec"): "strongSwan"}
RENDERED_BACKUP_TOOLS = ("restic",)
RENDERED_BACKUP_SOURCES = ("files", "ceph-rbd", "database", "etcd")


def check_supported(c: Checks) -> None:
    _openstack_host_os(c)
    _dns_records(c)
    _wireguard_ends(c)
    for i, link in enumerate(c.d.vpn):
        if (link.kind, link.technology) not in RENDERED_VPN:
            c.r.add(
                ("vpn", i, "technology"),
                f"{link.kind} links over {link.technology} are not rendered",
                "use wireguard for admin access and ipsec between sites",
            )
    for i, job in enumerate(c.d.backups):
        if job.tool not in RENDERED_BACKUP_TOOLS:
            c.r.add(("backups", i, "tool"), f"{job.tool} jobs are not rendered", "use restic")
        if job.source.kind not in RENDERED_BACKUP_SOURCES:
            c.r.add(
                ("backups", i, "source", "kind"),
                f"{job.source.kind} backups are not rendered",
                "back the VMs' disks up with a ceph-rbd job on their pool",
            )


def _openstack_host_os(c: Checks) -> None:
    """Kayobe deploys one host OS per region: every controller, compute and network node runs it."""
    for i, region in enumerate(c.d.openstack):
        systems: dict[str, list[str]] = {}
        for host in dict.fromkeys([*region.controllers, *region.computes, *region.network_nodes]):
            device = c.ix.hosts.get(host)
            systems.setdefault(getattr(device, "os", None) or c.d.versions.os, []).append(host)
        unsupported = sorted(set(systems) - set(KOLLA_HOSTS))
        if unsupported:
            os = unsupported[0]
            c.r.add(
                _os_path(c, systems[os][0]),
                f"openstack[{region.name}] runs on {systems[os][0]}, whose OS {os} Kayobe does not deploy",
                f"use one of {', '.join(KOLLA_HOSTS)}",
            )
        elif len(systems) > 1:
            c.r.add(
                ("openstack", i),
                f"openstack[{region.name}]: its hosts run {', '.join(sorted(systems))}; Kayobe needs one OS",
                "give the region's hosts the same os",
            )


def _os_path(c: Checks, host: str) -> PathKey:
    """The `os` field that decides a host's OS: its own, else `versions.os`."""
    for section in ("servers", "vms"):
        for i, device in enumerate(getattr(c.d, section)):
            if device.name == host and device.os:
                return (section, i, "os")
    return ("versions", "os")


def _dns_records(c: Checks) -> None:
    """Names and values a zone file can hold (the renderer escapes text, it does not repair values)."""
    for i, zone in enumerate(c.d.dns):
        for j, record in enumerate(zone.records):
            path: PathKey = ("dns", i, "records", j)
            problem = dns_values.owner_problem(zone.name, record.name)
            if problem:
                c.r.add((*path, "name"), problem)
            for k, value in enumerate(record.values):
                problem = dns_values.value_problem(record.type, value)
                if problem:
                    c.r.add((*path, "values", k), f"{record.type} record: {problem}")
            check = record.failover.check if record.failover else None
            if (
                check is not None
                and check.type != "tcp"
                and (problem := dns_values.path_problem(check.path or "/"))
            ):
                c.r.add((*path, "failover", "check", "path"), problem)


def _wireguard_ends(c: Checks) -> None:
    """An admin link on an HA pair: each member its own tunnel address and key (they must not share them)."""
    groups = {g.name: g for g in c.d.ha_groups}
    for i, link in enumerate(c.d.vpn):
        group = groups.get(link.terminates_on)
        if link.technology != "wireguard" or group is None or len(group.members) < 2:
            continue
        missing = sorted({m.device for m in group.members} - {e.device for e in link.endpoints})
        if missing:
            c.r.add(
                ("vpn", i, "endpoints") if link.endpoints else ("vpn", i),
                f"{', '.join(missing)} of {group.name} need their own tunnel address and key under endpoints",
                "add {device, address, key} for each member: the members of a pair share neither",
            )
