"""Quorum and spread of the clustered services, read from the design: the point of three sites is that losing
one, or cutting one MAN link, loses nothing.

A quorum service (etcd, Galera, RabbitMQ's quorum queues) needs a majority of its members together: no site may
hold a majority (its loss stops the service), and no single MAN cut may split the sites so that no side holds
one (both sides stop). A replicated service (Kubernetes API servers, DNS servers, an HA group on a stretched
network, DNS failover targets) needs members on more than one site. Ceph MONs have their own rules
(CEPH-MON-*), with the same arithmetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from trisite.model import Design, Index
from trisite.model.source import PathKey
from trisite.model.types import split_endpoint
from trisite.verify.findings import Finding
from trisite.verify.topology import Topology


@dataclass(frozen=True)
class Cluster:
    subject: str  # how findings name it: kubernetes[core].etcd
    path: PathKey  # the design field listing its members
    members: tuple[str, ...]  # hosts, VMs or addresses' owners
    quorum: bool  # True: a majority must be together; False: any one member serves


def clusters(design: Design) -> Iterator[Cluster]:
    for i, k in enumerate(design.kubernetes):
        yield Cluster(f"kubernetes[{k.name}].etcd", ("kubernetes", i, "etcd"), tuple(k.etcd), True)
        yield Cluster(
            f"kubernetes[{k.name}].control_plane",
            ("kubernetes", i, "control_plane"),
            tuple(k.control_plane),
            False,
        )
    for i, r in enumerate(design.openstack):
        # Kolla runs MariaDB Galera and RabbitMQ (quorum queues) on the controllers.
        for what in ("galera", "rabbitmq"):
            yield Cluster(
                f"openstack[{r.name}].{what}", ("openstack", i, "controllers"), tuple(r.controllers), True
            )
    for i, zone in enumerate(design.dns):
        yield Cluster(f"dns[{zone.name}].servers", ("dns", i, "servers"), tuple(zone.servers), False)


def check(design: Design, topology: Topology) -> list[Finding]:
    ix = topology.ix
    sites = [s.name for s in design.sites]
    if len(sites) < 2:
        return []
    cuts = _partitions(design, ix, sites)
    found: list[Finding] = []
    for cluster in clusters(design):
        per_site = Counter(ix.site_of(m) for m in cluster.members)
        if None in per_site:
            continue  # a floating member: the twin's sweeps judge where it runs
        if cluster.quorum:
            found += _quorum(cluster, per_site, sites, cuts)
        elif len(per_site) == 1 and len(cluster.members) > 1:
            found.append(_one_site(cluster, str(next(iter(per_site)))))
    found += _stretched_ha_groups(design, ix)
    found += _dns_failover_targets(design, ix)
    return found


def _target_members(design: Design, ix: Index) -> dict[str, tuple[str, ...]]:
    """Address -> the hosts that answer on it: its owner, an HA group's members, a region's controllers."""
    found: dict[str, tuple[str, ...]] = {
        str(a.ip): (name,) for name, device in ix.hosts.items() for a in ix.addresses(device)
    }
    for group in design.ha_groups:
        found |= {str(v): tuple(m.device for m in group.members) for v in group.vips}
    found |= {str(r.external_vip): tuple(r.controllers) for r in design.openstack}
    return found


def _dns_failover_targets(design: Design, ix: Index) -> list[Finding]:
    """A failover record is there to survive a site: its targets must not all be answered from one."""
    members = _target_members(design, ix)
    found = []
    for i, zone in enumerate(design.dns):
        for j, record in enumerate(zone.records):
            if record.failover is None:
                continue
            subject = f"dns[{zone.name}].records[{record.name}]"
            path: PathKey = ("dns", i, "records", j, "failover", "targets")
            targets = [str(t) for t in record.failover.targets]
            unknown = [t for t in targets if t not in members]
            if unknown:
                found.append(
                    Finding(
                        "DNS-TARGET-UNKNOWN",
                        "warning",
                        subject,
                        f"{', '.join(unknown)}: no address of the design, so verify takes it as always up",
                        "point the record at addresses of the design (a VIP, a region's API, a host)",
                        path,
                    )
                )
                continue
            hosts = tuple(h for t in targets for h in members[t])
            sites = {ix.site_of(h) for h in hosts}
            if len(sites) == 1 and None not in sites and len(design.sites) > 1:
                found.append(_one_site(Cluster(subject, path, hosts, False), str(next(iter(sites)))))
    return found


def _layout(per_site: Counter[str | None], sites: list[str]) -> str:
    return "/".join(str(per_site[s]) for s in sites)


def _quorum(
    cluster: Cluster, per_site: Counter[str | None], sites: list[str], cuts: list[tuple[str, list[set[str]]]]
) -> list[Finding]:
    n = len(cluster.members)
    majority = n // 2 + 1
    layout = _layout(per_site, sites)
    found = []
    if n % 2 == 0:
        found.append(
            Finding(
                "QUORUM-EVEN",
                "warning",
                cluster.subject,
                f"{n} members tolerate no more failures than {n - 1}: the even one adds a vote, not a spare",
                "use an odd number of members (3 or 5)",
                cluster.path,
            )
        )
    heavy = sorted(s for s, count in per_site.items() if s and n - count < majority)
    if heavy:
        found.append(
            Finding(
                "QUORUM-SPREAD",
                "critical",
                cluster.subject,
                f"members {layout} over {'/'.join(sites)}: losing {heavy[0]} leaves {n - per_site[heavy[0]]} of {n}, "
                f"short of the majority of {majority}",
                "spread the members so that no site holds a majority (1/1/1, or 2/2/1 for five)",
                cluster.path,
            )
        )
    for link, sides in cuts:
        if all(sum(per_site[s] for s in side) < majority for side in sides):
            split = " | ".join(
                f"{'+'.join(sorted(side))}: {sum(per_site[s] for s in side)}" for side in sides
            )
            found.append(
                Finding(
                    "QUORUM-PARTITION",
                    "critical",
                    cluster.subject,
                    f"cutting {link} splits the {n} members {split}: no side keeps a majority, both stop",
                    "add a member on a third site, or a second MAN path so that one cut splits nothing",
                    cluster.path,
                )
            )
    return found


def _one_site(cluster: Cluster, site: str) -> Finding:
    return Finding(
        "SPREAD-ONE-SITE",
        "critical",
        cluster.subject,
        f"all {len(cluster.members)} members are on {site}: losing {site} loses the service",
        "put members on at least two sites",
        cluster.path,
    )


def _stretched_ha_groups(design: Design, ix: Index) -> list[Finding]:
    """A VIP on a network stretched over sites is meant to survive a site: its members must span them."""
    found = []
    for i, group in enumerate(design.ha_groups):
        network = ix.networks.get(group.network)
        member_sites = {ix.site_of(m.device) for m in group.members}
        if network is None or len(network.sites) < 2 or None in member_sites or len(group.members) < 2:
            continue
        if len(member_sites) == 1:
            devices = tuple(m.device for m in group.members)
            cluster = Cluster(f"ha_groups[{group.name}]", ("ha_groups", i, "members"), devices, False)
            found.append(_one_site(cluster, str(next(iter(member_sites)))))
    return found


def _partitions(design: Design, ix: Index, sites: list[str]) -> list[tuple[str, list[set[str]]]]:
    """Each single MAN cut that splits the sites, with the groups of sites on each side."""
    graph: Any = nx.MultiGraph()
    graph.add_nodes_from(sites)
    links = []
    for man in design.man_links:
        a, b = (ix.site_of(split_endpoint(end)[0]) for end in (man.a, man.b))
        if a and b and a != b:
            graph.add_edge(a, b, key=man.name)
            links.append((man.name, a, b))
    whole = nx.number_connected_components(graph)
    found = []
    for name, a, b in links:
        cut = graph.copy()
        cut.remove_edge(a, b, key=name)
        if nx.number_connected_components(cut) > whole:
            found.append((f"man:{name}", [set(part) for part in nx.connected_components(cut)]))
    return found
