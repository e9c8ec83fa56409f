"""Rules read straight from the design: placement of HA peers, Ceph layout, BGP, L2 ids, links, backups."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import networkx as nx

from trisite.model import Design, Index
from trisite.model.devices import Firewall, Server
from trisite.model.services import CephCluster, CephPool
from trisite.model.types import format_speed, split_endpoint
from trisite.verify.findings import Finding, Severity
from trisite.verify.reliability import budget_s, failures_per_year, rates
from trisite.verify.topology import Topology


def check(design: Design, topology: Topology) -> list[Finding]:
    found: list[Finding] = []
    for rule in (
        _bgp_sites,
        _bgp_timers,
        _ha_placement,
        _ceph_mons,
        _ceph_pools,
        _vhid_shared_vlan,
        _speeds,
        _mtus,
        _backups,
        _man_paths,
    ):
        found += rule(design, topology)
    return found


def _bgp_sites(design: Design, _: Topology) -> list[Finding]:
    if len(design.sites) < 2:
        return []
    return [
        Finding(
            "BGP-SINGLE-SITE",
            "critical",
            f"public_prefixes[{p.name}]",
            f"{p.prefix} is announced from {len(p.announce)} site(s); losing "
            f"{p.announce[0].site if p.announce else 'it'} makes it unreachable from the internet",
            "announce it from at least two sites, with prepends for preference",
            ("public_prefixes", i),
        )
        for i, p in enumerate(design.public_prefixes)
        if len({a.site for a in p.announce}) < 2
    ]


def _bgp_timers(design: Design, _: Topology) -> list[Finding]:
    found: list[Finding] = []
    budget = budget_s(design)
    rate = rates(design)
    fw_rate = failures_per_year(rate["firewall"])
    for i, up in enumerate(design.uplinks):
        subject = f"uplinks[{up.name}]"
        if up.bgp.bfd is None:
            found.append(
                Finding(
                    "BGP-NO-BFD",
                    "warning",
                    subject,
                    f"a silent failure is detected only after the {up.bgp.hold_time_s} s hold time",
                    "enable BFD (e.g. 300 ms x 3) and ask the operator for it",
                    ("uplinks", i, "bgp"),
                )
            )
        detect = (up.bgp.bfd.interval_ms * up.bgp.bfd.multiplier / 1000) if up.bgp.bfd else up.bgp.hold_time_s
        events = (
            failures_per_year(rate["uplink"])
            + failures_per_year(rate["operator"])
            + fw_rate * len(up.firewalls)
        )
        yearly = detect * events
        if yearly >= budget / 4:
            severity: Severity = "critical" if yearly >= budget else "warning"
            found.append(
                Finding(
                    "BGP-TIMERS-BUDGET",
                    severity,
                    subject,
                    f"{events:.1f} expected failovers a year x {detect:g} s detection = {yearly:.0f} s, "
                    f"against a budget of {budget:.0f} s a year for {design.platform.availability_target} %",
                    "shorten keepalive/hold (e.g. 3/9 s) or add BFD",
                    ("uplinks", i, "bgp"),
                )
            )
    return found


def _switches_of(topology: Topology, host: str, network: str) -> frozenset[str]:
    return frozenset(a.node for a in topology.attachments(host, network))


def _ha_placement(design: Design, topology: Topology) -> list[Finding]:
    found: list[Finding] = []
    ix = topology.ix
    for i, group in enumerate(design.ha_groups):
        physical = [ix.hosts[m.device] for m in group.members if m.device in topology.power]
        if len(physical) < 2 or len(physical) < len(group.members):
            continue
        subject, path = f"ha_groups[{group.name}]", ("ha_groups", i, "members")
        switches = [_switches_of(topology, h.name, group.network) for h in physical]
        if all(len(s) == 1 for s in switches) and len(set(switches)) == 1:
            found.append(
                Finding(
                    "HA-SHARED-SWITCH",
                    "critical",
                    subject,
                    f"every member reaches {group.network} through {next(iter(switches[0]))}",
                    "cable the members to different switches",
                    path,
                )
            )
        placed = {(getattr(h, "site", ""), getattr(h, "rack", "")) for h in physical}
        if len(placed) == 1:
            found.append(
                Finding(
                    "HA-SHARED-RACK",
                    "warning",
                    subject,
                    f"every member stands in rack {placed.pop()[1]}",
                    "put the members in different racks",
                    path,
                )
            )
        feeds = [frozenset(topology.power[h.name][1]) for h in physical]
        if all(len(f) == 1 for f in feeds) and len(set(feeds)) == 1:
            found.append(
                Finding(
                    "HA-SHARED-FEED",
                    "critical",
                    subject,
                    f"every member is powered by {next(iter(feeds[0]))} alone",
                    "give the members different (or dual) power feeds",
                    path,
                )
            )
    return found


def _ceph_mons(design: Design, topology: Topology) -> list[Finding]:
    found: list[Finding] = []
    for i, cluster in enumerate(design.ceph):
        subject, path = f"ceph[{cluster.name}].mons", ("ceph", i, "mons")
        if len(cluster.mons) % 2 == 0:
            found.append(
                Finding(
                    "CEPH-MON-EVEN",
                    "warning",
                    subject,
                    f"{len(cluster.mons)} MONs tolerate no more failures than {len(cluster.mons) - 1}",
                    "use an odd number of MONs (3 or 5)",
                    path,
                )
            )
        if len(design.sites) < 2 or cluster.stretch is not None:
            continue
        per_site = Counter(topology.ix.site_of(m) for m in cluster.mons)
        layout = "/".join(str(per_site[s.name]) for s in design.sites)
        # A site whose loss leaves fewer MONs than a majority: 2 of 3, but also either site of 2/2.
        heavy = [s for s, n in per_site.items() if s and len(cluster.mons) - n < len(cluster.mons) // 2 + 1]
        if heavy:
            found.append(
                Finding(
                    "CEPH-MON-SPREAD",
                    "critical",
                    subject,
                    f"MONs {layout}: losing {heavy[0]} loses the quorum of {len(cluster.mons)}",
                    "spread MONs so that no site holds a majority (1/1/1 or 2/2/1)",
                    path,
                )
            )
    return found


def _ceph_pools(design: Design, topology: Topology) -> list[Finding]:
    found: list[Finding] = []
    for i, cluster in enumerate(design.ceph):
        sites = {topology.ix.site_of(h) for h in cluster.osd_hosts}
        for j, pool in enumerate(cluster.pools):
            subject, path = f"ceph[{cluster.name}].pools[{pool.name}]", ("ceph", i, "pools", j)
            found += _pool_sizes(topology.ix, cluster, pool, subject, path)
            if len(sites) > 1 and pool.failure_domain != "datacenter" and cluster.stretch is None:
                found.append(
                    Finding(
                        "CEPH-POOL-DOMAIN",
                        "critical",
                        subject,
                        f"failure domain '{pool.failure_domain}' lets several copies land in one "
                        f"datacenter: a site loss can take PGs below min_size {pool.min_size}",
                        "set failure_domain: datacenter (one copy per site)",
                        (*path, "failure_domain"),
                    )
                )
    return found


def _pool_sizes(
    ix: Index, cluster: CephCluster, pool: CephPool, subject: str, path: tuple[str | int, ...]
) -> list[Finding]:
    """What size and min_size mean once CRUSH has placed the copies on the failure domains there are."""
    if cluster.stretch is not None:
        return []  # stretch mode sets its own sizes (4 and 2, 1 on a site loss)
    domains = {d for h in cluster.osd_hosts for d in _crush_domains(ix, h, pool.failure_domain)}
    found = []
    if len(domains) < pool.size:
        inactive = len(domains) < pool.min_size
        found.append(
            Finding(
                "CEPH-POOL-UNDERSIZED",
                "critical" if inactive else "warning",
                subject,
                f"size {pool.size} over {len(domains)} {pool.failure_domain}s holding OSDs: each PG holds "
                f"{len(domains)} copies"
                + (f", fewer than min_size {pool.min_size}: the pool never accepts I/O" if inactive else ""),
                f"add OSD hosts in another {pool.failure_domain}, or lower size to {len(domains)}",
                (*path, "size"),
            )
        )
    if pool.min_size == 1 and pool.size > 1:
        found.append(
            Finding(
                "CEPH-POOL-MIN-SIZE-1",
                "critical",
                subject,
                "min_size 1 acknowledges writes that one copy holds: a failure during recovery loses them",
                "min_size 2 with size 3 (one copy per site)",
                (*path, "min_size"),
            )
        )
    return found


def _crush_domains(ix: Index, host: str, level: str) -> set[str]:
    """The CRUSH buckets of `level` a host's OSDs fall in (one per OSD disk at level osd)."""
    server = ix.hosts[host]
    site, rack = getattr(server, "site", "?"), getattr(server, "rack", "?")
    if level == "osd":
        return {f"{host}/{d.name}" for d in getattr(server, "disks", []) if d.use == "osd"}
    return {{"datacenter": site, "rack": f"{site}/{rack}"}.get(level, host)}


def _vhid_shared_vlan(design: Design, _: Topology) -> list[Finding]:
    """Two networks with one VLAN id at one site are one broadcast domain: their VHIDs/VRIDs meet."""
    segment: dict[tuple[int, str], list[str]] = defaultdict(list)
    for net in design.networks:
        if net.vlan is not None:
            for site in net.sites:
                segment[(net.vlan, site)].append(net.name)
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for i, g in enumerate(design.ha_groups):
        for h in design.ha_groups[:i]:
            if g.vid != h.vid or g.network == h.network or (h.name, g.name) in seen:
                continue
            shared = [k for k, nets in segment.items() if g.network in nets and h.network in nets]
            if shared:
                seen.add((h.name, g.name))
                found.append(
                    Finding(
                        "VHID-COLLISION",
                        "critical",
                        f"ha_groups[{g.name}]",
                        f"VHID/VRID {g.vid} is also used by {h.name}, and {g.network} and {h.network} "
                        f"share VLAN {shared[0][0]} at {shared[0][1]}",
                        "give one group another id",
                        ("ha_groups", i, "vid"),
                    )
                )
    return found


def _port_speed(ix: Index, endpoint: str) -> int | None:
    device, port = split_endpoint(endpoint)
    host = ix.hosts.get(device)
    return ix.ports(host).get(port) if host is not None else None


def _speeds(design: Design, topology: Topology) -> list[Finding]:
    ix = topology.ix
    found: list[Finding] = []
    links = [("cables", i, c.a, c.b, c.speed, f"cable {c.a} - {c.b}") for i, c in enumerate(design.cables)]
    links += [
        ("man_links", i, m.a, m.b, m.speed, f"MAN link {m.name}") for i, m in enumerate(design.man_links)
    ]
    for section, i, a, b, wanted, label in links:
        speeds = [s for s in (_port_speed(ix, a), _port_speed(ix, b)) if s]
        if len(set(speeds)) > 1 or (wanted and speeds and wanted != min(speeds)):
            have = " / ".join(format_speed(s) for s in speeds)
            found.append(
                Finding(
                    "SPEED-MISMATCH",
                    "warning",
                    label,
                    f"ports run at {have}"
                    + (f" but the link should run at {format_speed(wanted)}" if wanted else ""),
                    "match the ports and the expected speed",
                    (section, i),
                )
            )
    for i, up in enumerate(design.uplinks):
        port = _port_speed(ix, up.handoff) if up.handoff else None
        if port is not None and port < up.speed:
            found.append(
                Finding(
                    "SPEED-MISMATCH",
                    "warning",
                    f"uplinks[{up.name}]",
                    f"a {format_speed(up.speed)} line is handed off on a {format_speed(port)} port",
                    "use a port at least as fast as the line",
                    ("uplinks", i, "handoff"),
                )
            )
    return found


def _mtus(design: Design, topology: Topology) -> list[Finding]:
    ix = topology.ix
    mtu = {n.name: n.mtu for n in design.networks}
    found: list[Finding] = []
    for host in (*design.servers, *design.firewalls):
        assert isinstance(host, Server | Firewall)
        nic_mtu = {n.name: n.mtu for n in host.nics}
        for j, address in enumerate(host.addresses):
            small = [n for n in ix.carrier_nics(host, address) if nic_mtu.get(n, 9216) < mtu[address.network]]
            if small:
                section = "servers" if isinstance(host, Server) else "firewalls"
                index = getattr(design, section).index(host)
                found.append(
                    Finding(
                        "MTU-MISMATCH",
                        "critical",
                        f"{host.name}:{small[0]}",
                        f"MTU {nic_mtu[small[0]]} carries {address.network} (MTU {mtu[address.network]})",
                        f"set mtu: {mtu[address.network]} on {', '.join(small)}",
                        (section, index, "addresses", j),
                    )
                )
    for net in design.networks:
        for i, man in enumerate(design.man_links):
            ends = {ix.site_of(split_endpoint(man.a)[0]), ix.site_of(split_endpoint(man.b)[0])}
            if len(net.sites) > 1 and ends <= set(net.sites) and man.mtu < net.mtu:
                found.append(
                    Finding(
                        "MTU-MISMATCH",
                        "critical",
                        f"man_links[{man.name}]",
                        f"MTU {man.mtu} carries {net.name} (MTU {net.mtu}) between sites",
                        f"order the MAN link with MTU {net.mtu} or more",
                        ("man_links", i, "mtu"),
                    )
                )
    return sorted(set(found), key=lambda f: f.subject)


def _backups(design: Design, topology: Topology) -> list[Finding]:
    return [
        Finding(
            "BACKUP-SAME-SITE",
            "critical",
            f"backups[{job.name}]",
            f"backups of {job.from_site} are kept at {job.to_site}: losing the site loses the data and its copy",
            "send the backups to another site",
            ("backups", i, "to_site"),
        )
        for i, job in enumerate(design.backups)
        if job.to_site == job.from_site or topology.ix.site_of(job.to_host) == job.from_site
    ]


def _man_paths(design: Design, topology: Topology) -> list[Finding]:
    """Every single MAN cut must leave the sites connected (the seed's excavator)."""
    sites = {s.name for s in design.sites}
    if len(sites) < 2:
        return []
    graph = _site_links(design, topology, sites)
    joined = nx.is_connected(graph)
    splitting = _single_paths(graph) if joined else {m.name for m in design.man_links}
    found = [
        Finding(
            "MAN-SINGLE-PATH",
            "critical",
            f"man_links[{man.name}]",
            f"cutting {man.name} splits the sites",
            "add a MAN link so that each site has two paths",
            ("man_links", i),
        )
        for i, man in enumerate(design.man_links)
        if man.name in splitting
    ]
    if not joined:
        found.append(
            Finding(
                "MAN-SINGLE-PATH",
                "critical",
                "man_links",
                "the MAN links do not join every site",
                "add MAN links between the sites",
                ("man_links",),
            )
        )
    return found


def _site_links(design: Design, topology: Topology, sites: set[str]) -> Any:
    """The sites joined by MAN links (a multigraph: two links between the same sites are two paths)."""
    graph = nx.MultiGraph()
    graph.add_nodes_from(sorted(sites))
    for man in design.man_links:
        a, b = (topology.ix.site_of(split_endpoint(end)[0]) for end in (man.a, man.b))
        if a and b and a != b:
            graph.add_edge(a, b, key=man.name)
    return graph


def _single_paths(graph: Any) -> set[str]:
    """The links whose cut splits the sites: bridges of the site graph that no parallel link backs up."""
    bridges = {frozenset(edge) for edge in nx.bridges(nx.Graph(graph))}
    return {
        name
        for a, b, name in graph.edges(keys=True)
        if frozenset((a, b)) in bridges and graph.number_of_edges(a, b) == 1
    }
