"""Flows a declared service needs that the flow matrix does not allow (the seed's undocumented flows).

Only traffic between zones crosses a firewall; inside a zone nothing is required. The needs listed here are
the services' well-known ports: DNS 53, HTTPS 443 for public APIs, node exporter 9100, the clustered services'
exporters (Ceph MGR 9283, mysqld 9104, RabbitMQ 15692, etcd 2381, Alertmanager 9093), Ceph 3300/6789/6800-7300,
restic over SFTP 22, Redfish 443 and IPMI 623.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from trisite.model import Design
from trisite.model.flows import FlowMatrix, Side
from trisite.verify.findings import Finding

CEPH_PORTS = (3300, 6789, 6800)
# The exporters of the clustered services, on the ports their packages and Kolla use: Prometheus scrapes each on
# its host's first address (as the renderer's target files say), from every Prometheus host.
CEPH_MGR_METRICS, MYSQLD_METRICS, RABBITMQ_METRICS, ETCD_METRICS, ALERTMANAGER = 9283, 9104, 15692, 2381, 9093


@dataclass(frozen=True)
class Need:
    source: Side  # the first of `alternatives`, named in messages
    destination: Side
    protocol: str
    port: int
    why: str
    bootstrap: bool = False
    alternatives: tuple[Side, ...] = ()  # other addresses the source may use (a host on several networks)


def permitted(m: FlowMatrix, need: Need) -> bool:
    return any(
        m.permits(source, need.destination, need.protocol, need.port, bootstrap=need.bootstrap)
        for source in (need.source, *need.alternatives)
    )


def _outside(design: Design) -> Side | None:
    zones = {n.zone for u in design.uplinks for n in design.networks if n.name == u.network}
    return Side(None, None, sorted(zones)[0]) if zones else None


def _first(sides: list[Side], zone_not: str | None = None) -> Side | None:
    return next((s for s in sides if s.zone != zone_not), sides[0] if sides else None)


def needs(design: Design, m: FlowMatrix) -> Iterator[Need]:
    outside = _outside(design)
    public = [p.prefix for p in design.public_prefixes]
    if outside:
        for zone in design.dns:
            for server in zone.servers:
                for side in m.sides(server):
                    if any(
                        side.network == n.name and n.prefix.overlaps(p)
                        for n in design.networks
                        for p in public
                    ):
                        yield Need(outside, side, "udp", 53, f"clients resolve {zone.name} on {server}")
                        yield Need(outside, side, "tcp", 53, f"large answers and transfers of {zone.name}")
        for region in design.openstack:
            vip = Side(None, region.external_network, m.zone_of[region.external_network])
            yield Need(outside, vip, "tcp", 443, f"public API of {region.name}")
    yield from _monitoring_needs(design, m)
    yield from _storage_needs(design, m)
    yield from _backup_needs(design, m)
    yield from _bmc_needs(design, m)


def _exporters(design: Design) -> Iterator[tuple[str, int, str]]:
    """(host, port, what) of each clustered service's exporter."""
    for cluster in design.ceph:
        yield from ((mgr, CEPH_MGR_METRICS, f"Ceph {cluster.name}'s MGR") for mgr in cluster.mgrs)
    for region in design.openstack:
        for host in region.controllers:
            yield host, MYSQLD_METRICS, f"{region.name}'s Galera"
            yield host, RABBITMQ_METRICS, f"{region.name}'s RabbitMQ"
    for k8s in design.kubernetes:
        yield from ((host, ETCD_METRICS, f"{k8s.name}'s etcd") for host in k8s.etcd)
    if design.monitoring is not None:
        yield from ((host, ALERTMANAGER, "the Alertmanager") for host in design.monitoring.alertmanager)


def _monitoring_needs(design: Design, m: FlowMatrix) -> Iterator[Need]:
    if design.monitoring is None:
        return
    for prom in design.monitoring.prometheus:
        source = _first(m.sides(prom))
        if source is None:
            continue
        for host, port, what in _exporters(design):
            target = _first(m.sides(host))
            if target is not None:
                yield Need(source, target, "tcp", port, f"Prometheus scrapes {what} on {host}")
        zones_done: set[str] = set()
        for host in [s.name for s in design.servers] + [v.name for v in design.vms]:
            target = _first(m.sides(host))
            if target and target.zone not in zones_done:
                zones_done.add(target.zone)
                yield Need(
                    source,
                    Side(None, None, target.zone),
                    "tcp",
                    9100,
                    f"Prometheus scrapes node exporters in {target.zone}",
                )


def _storage_needs(design: Design, m: FlowMatrix) -> Iterator[Need]:
    clients: dict[str, set[str]] = {}
    for region in design.openstack:
        if region.ceph_cluster:
            clients.setdefault(region.ceph_cluster, set()).update(region.controllers + region.computes)
    for ovirt in design.ovirt:
        for sd in ovirt.storage_domains:
            if sd.ceph_cluster:
                clients.setdefault(sd.ceph_cluster, set()).update(h for c in ovirt.clusters for h in c.hosts)
    for cluster in design.ceph:
        target = Side(None, cluster.public_network, m.zone_of[cluster.public_network])
        for client in sorted(clients.get(cluster.name, ())):
            sides = m.sides(client)
            if sides and not any(s.network == cluster.public_network for s in sides):
                for port in CEPH_PORTS:
                    yield Need(
                        sides[0],
                        target,
                        "tcp",
                        port,
                        f"{client} uses Ceph {cluster.name}",
                        alternatives=tuple(sides[1:]),
                    )


def _backup_needs(design: Design, m: FlowMatrix) -> Iterator[Need]:
    for job in design.backups:
        target = _first(m.sides(job.to_host))
        for host in job.source.hosts:
            sides = m.sides(host)
            if sides and target:
                yield Need(
                    sides[0],
                    target,
                    "tcp",
                    22,
                    f"backup {job.name} sends to {job.to_host} (restic over SFTP)",
                    alternatives=tuple(sides[1:]),
                )


def _bmc_needs(design: Design, m: FlowMatrix) -> Iterator[Need]:
    for station in design.bootstrap.stations:
        source = _first(m.sides(station))
        zones = {(m.zone_of[s.bmc.network], s.bmc.protocol) for s in design.servers}
        for zone, protocol in sorted(zones):
            if source:
                port, proto = (443, "tcp") if protocol == "redfish" else (623, "udp")
                yield Need(
                    source, Side(None, None, zone), proto, port, f"the deployment drives BMCs in {zone}", True
                )


def check(design: Design) -> list[Finding]:
    m = FlowMatrix(design)
    found: dict[tuple[str, str, str, int], Finding] = {}
    for need in needs(design, m):
        if permitted(m, need):
            continue
        src = need.source.host or need.source.zone
        dst = need.destination.host or need.destination.network or need.destination.zone
        key = (need.source.zone, need.destination.zone, need.protocol, need.port)
        if key in found:
            continue
        section = "bootstrap.flows" if need.bootstrap else "flows"
        found[key] = Finding(
            "FLOW-MISSING",
            "critical" if need.source.host is None else "warning",
            f"{src} -> {dst} {need.protocol}/{need.port}",
            f"{need.why}, but no flow allows {need.source.zone} -> {need.destination.zone} {need.protocol}/{need.port}",
            f"add to {section}: {{name: ..., source: {need.source.zone}, destination: {need.destination.zone}, "
            f"protocol: {need.protocol}, ports: [{need.port}], why: ...}}",
            (section.split(".", maxsplit=1)[0],),
        )
    return list(found.values())
