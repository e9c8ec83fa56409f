"""Cross-reference checks of the physical and network layers: every name resolves, nothing is used twice."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence

from trisite.model.design import Design
from trisite.model.devices import Firewall, Server, Station, Switch, Vm, VmSpec
from trisite.model.index import Index
from trisite.model.network import Address
from trisite.model.report import ProblemReport
from trisite.model.source import PathKey
from trisite.model.types import IPAddress, IPNetwork, expand_port_names, split_endpoint

HOST_KINDS = ("firewall", "switch", "server", "vm", "station")
ENDPOINT_KINDS = ("zone", "network", "group", *HOST_KINDS)


def suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


class Checks:
    """Shared helpers: each returns True when the reference is sound, after reporting otherwise."""

    def __init__(self, design: Design, report: ProblemReport) -> None:
        self.d = design
        self.ix = Index.of(design)
        self.r = report
        self.ips: dict[IPAddress, PathKey] = {}

    def ref(self, path: PathKey, name: str, kinds: Sequence[str], what: str) -> bool:
        kind = self.ix.kinds.get(name)
        if kind in kinds:
            return True
        if self.ix.also.get(name, set()) & set(kinds):
            return False  # a duplicated name, already reported by check_names
        if kind is None:
            pool = [n for n, k in self.ix.kinds.items() if k in kinds]
            self.r.add(
                path, f"unknown {what} '{name}'", suggest(name, pool) or f"declare it under {kinds[0]}s"
            )
        else:
            self.r.add(path, f"'{name}' is a {kind}, not a {what}")
        return False

    def in_set(self, path: PathKey, name: str, known: Iterable[str], what: str, where: str = "") -> bool:
        pool = set(known)
        if name in pool:
            return True
        self.r.add(path, f"unknown {what} '{name}'{where}", suggest(name, pool))
        return False

    def site(self, path: PathKey, name: str) -> bool:
        return self.in_set(path, name, self.ix.sites, "site")

    def place(self, path: PathKey, site: str, rack: str | None, feeds: list[str]) -> None:
        if not self.site((*path, "site"), site):
            return
        if rack is not None:
            self.in_set((*path, "rack"), rack, self.ix.racks[site], "rack", f" in site {site}")
        for i, feed in enumerate(feeds):
            self.in_set(
                (*path, "power_feeds", i), feed, self.ix.feeds[site], "power feed", f" in site {site}"
            )

    def secret(self, path: PathKey, name: str | None) -> None:
        if name is not None:
            self.in_set(path, name, self.d.secrets, "secret")

    def ip_in(self, path: PathKey, ip: IPAddress, network: str, network_path: PathKey) -> bool:
        """The IP belongs to the network's prefix (reported when not; unknown networks reported too)."""
        if not self.ref(network_path, network, ("network",), "network"):
            return False
        net = self.ix.networks[network]
        if ip.version != net.prefix.version or ip not in net.prefix:
            self.r.add(path, f"{ip} is outside network {network} ({net.prefix})")
            return False
        return True

    def own_ip(self, path: PathKey, ip: IPAddress) -> None:
        """An address held by one thing only."""
        if ip in self.ips:
            self.r.add(path, f"address {ip} is already used", f"first at line {self.r.line_of(self.ips[ip])}")
        else:
            self.ips[ip] = path


def check_names(c: Checks) -> None:
    d = c.d
    seen: dict[str, PathKey] = {}
    groups: list[tuple[str, Sequence[object]]] = [
        ("sites", d.sites),
        ("zones", d.zones),
        ("networks", d.networks),
        ("groups", d.groups),
        ("firewalls", d.firewalls),
        ("switches", d.switches),
        ("servers", d.servers),
        ("vms", d.vms),
        ("stations", d.stations),
    ]
    for section, items in groups:
        for i, item in enumerate(items):
            name = getattr(item, "name")  # noqa: B009 - every listed model has a name
            if name in seen:
                c.r.add(
                    (section, i, "name"),
                    f"name '{name}' is already used",
                    f"first at line {c.r.line_of(seen[name])}; names of sites, zones, networks, "
                    "groups and hosts share one namespace",
                )
            else:
                seen[name] = (section, i, "name")
    for section in (
        "operators",
        "uplinks",
        "public_prefixes",
        "man_links",
        "ha_groups",
        "flows",
        "ceph",
        "ovirt",
        "openstack",
        "kubernetes",
        "vpn",
        "dns",
        "backups",
        "risks",
    ):
        items = getattr(d, section)
        c.r.unique((((section, i, "name"), x.name) for i, x in enumerate(items)), section.rstrip("s"))
    for i, site in enumerate(d.sites):
        c.r.unique(((("sites", i, "racks", j, "name"), r.name) for j, r in enumerate(site.racks)), "rack")
        c.r.unique(
            ((("sites", i, "power_feeds", j, "name"), f.name) for j, f in enumerate(site.power_feeds)),
            "power feed",
        )
        for j, rack in enumerate(site.racks):
            for k, feed in enumerate(rack.power_feeds):
                c.in_set(
                    ("sites", i, "racks", j, "power_feeds", k), feed, c.ix.feeds[site.name], "power feed"
                )


def check_networks(c: Checks) -> None:
    zones = {z.name for z in c.d.zones}
    for i, net in enumerate(c.d.networks):
        path: PathKey = ("networks", i)
        c.in_set((*path, "zone"), net.zone, zones, "zone")
        for j, site in enumerate(net.sites):
            c.site((*path, "sites", j), site)
        if net.gateway is not None and (
            net.gateway.version != net.prefix.version or net.gateway not in net.prefix
        ):
            c.r.add((*path, "gateway"), f"gateway {net.gateway} is outside {net.prefix}")
        for j, other in enumerate(net.overlaps):
            c.ref((*path, "overlaps", j), other, ("network",), "network")
    _check_overlaps(c)


def _prefixes(c: Checks) -> list[tuple[IPNetwork, str, PathKey]]:
    found: list[tuple[IPNetwork, str, PathKey]] = [
        (n.prefix, n.name, ("networks", i, "prefix")) for i, n in enumerate(c.d.networks)
    ]
    for i, k in enumerate(c.d.kubernetes):
        found.append((k.pod_cidr, f"{k.name} pods", ("kubernetes", i, "pod_cidr")))
        found.append((k.service_cidr, f"{k.name} services", ("kubernetes", i, "service_cidr")))
    return found


def _check_overlaps(c: Checks) -> None:
    """Sorted sweep: a prefix that starts before the widest open one ends overlaps it."""
    declared = {(n.name, o) for n in c.d.networks for o in n.overlaps}
    for version in (4, 6):
        items = sorted(
            (p for p in _prefixes(c) if p[0].version == version),
            key=lambda p: (int(p[0].network_address), -p[0].prefixlen),
        )
        widest: tuple[IPNetwork, str, PathKey] | None = None
        for item in items:
            prefix, name, path = item
            if widest is not None and int(prefix.network_address) <= int(widest[0].broadcast_address):
                if (name, widest[1]) not in declared and (widest[1], name) not in declared:
                    c.r.add(
                        path,
                        f"{prefix} ({name}) overlaps {widest[0]} ({widest[1]})",
                        f"change one, or list '{widest[1]}' under overlaps",
                    )
                if int(prefix.broadcast_address) <= int(widest[0].broadcast_address):
                    continue
            widest = item
    for i, p in enumerate(c.d.public_prefixes):
        for j, q in enumerate(c.d.public_prefixes[:i]):
            if p.prefix.version == q.prefix.version and p.prefix.overlaps(q.prefix):
                c.r.add(
                    ("public_prefixes", i, "prefix"),
                    f"{p.prefix} overlaps public prefix {q.name}",
                    f"line {c.r.line_of(('public_prefixes', j, 'prefix'))}",
                )


def _host_addresses(c: Checks, section: str, hosts: Sequence[Firewall | Switch | Server | Vm]) -> None:
    for i, host in enumerate(hosts):
        ports = c.ix.interfaces(host) if not isinstance(host, Switch) else c.ix.ports(host)
        site = c.ix.site_of(host.name)
        for j, addr in enumerate(host.addresses):
            _address(c, (section, i, "addresses", j), addr, ports, site if not isinstance(host, Vm) else None)


def _address(c: Checks, path: PathKey, addr: Address, ports: Mapping[str, object], site: str | None) -> None:
    c.own_ip((*path, "ip"), addr.ip)
    if c.ip_in((*path, "ip"), addr.ip, addr.network, (*path, "network")):
        net = c.ix.networks[addr.network]
        if site in c.ix.sites and site not in net.sites:
            c.r.add(
                (*path, "network"),
                f"network {addr.network} does not reach site {site}",
                f"add {site} to its sites or pick a network of {site}",
            )
    if addr.nic is not None and ports and addr.nic not in ports:
        c.r.add((*path, "nic"), f"no NIC or bond '{addr.nic}' on this device", suggest(addr.nic, ports))


def check_addresses(c: Checks) -> None:
    d = c.d
    _host_addresses(c, "firewalls", d.firewalls)
    _host_addresses(c, "switches", d.switches)
    _host_addresses(c, "servers", d.servers)
    _host_addresses(c, "vms", d.vms)
    for i, st in enumerate(d.stations):
        c.place(("stations", i), st.site, None, [])
        _address(c, ("stations", i, "address"), Address(network=st.network, ip=st.address), {}, st.site)
    for i, server in enumerate(d.servers):
        path: PathKey = ("servers", i, "bmc")
        c.own_ip((*path, "address"), server.bmc.address)
        c.ip_in((*path, "address"), server.bmc.address, server.bmc.network, (*path, "network"))
        c.secret((*path, "credentials"), server.bmc.credentials)


def check_devices(c: Checks) -> None:
    d = c.d
    for i, fw in enumerate(d.firewalls):
        c.place(("firewalls", i), fw.site, fw.rack, fw.power_feeds)
        if fw.vm is not None:
            _vm_placement(c, ("firewalls", i, "vm"), fw.vm)
        c.r.unique(((("firewalls", i, "nics", j, "name"), n.name) for j, n in enumerate(fw.nics)), "NIC")
        _check_bonds(c, ("firewalls", i), fw)
    for i, sw in enumerate(d.switches):
        c.place(("switches", i), sw.site, sw.rack, sw.power_feeds)
        seen: set[str] = set()
        for spec in sw.ports:
            names = set(expand_port_names(spec))
            if names & seen:
                c.r.add(
                    ("switches", i, "ports", spec),
                    f"ports {spec} overlap ports listed before",
                    f"{', '.join(sorted(names & seen)[:3])} listed twice",
                )
            seen |= names
    for i, server in enumerate(d.servers):
        c.place(("servers", i), server.site, server.rack, server.power_feeds)
        c.r.unique(((("servers", i, "nics", j, "name"), n.name) for j, n in enumerate(server.nics)), "NIC")
        _check_bonds(c, ("servers", i), server)
        c.r.unique(((("servers", i, "disks", j, "name"), k.name) for j, k in enumerate(server.disks)), "disk")
    for i, vm in enumerate(d.vms):
        _vm_placement(c, ("vms", i), vm)


def _check_bonds(c: Checks, path: PathKey, host: Server | Firewall) -> None:
    nics = {n.name for n in host.nics}
    used: dict[str, str] = {}
    for j, bond in enumerate(host.bonds):
        if bond.name in nics:
            c.r.add((*path, "bonds", j, "name"), f"bond '{bond.name}' has the name of a NIC")
        for k, member in enumerate(bond.members):
            mpath: PathKey = (*path, "bonds", j, "members", k)
            if member not in nics:
                c.r.add(mpath, f"no NIC '{member}' on this device", suggest(member, nics))
            elif member in used:
                c.r.add(mpath, f"NIC {member} is already in bond {used[member]}")
            used.setdefault(member, bond.name)


def _vm_placement(c: Checks, path: PathKey, vm: VmSpec) -> None:
    c.in_set((*path, "storage_domain"), vm.storage_domain, c.ix.storage_domains, "storage domain")
    cluster, preferred = vm.cluster, vm.preferred_host
    if not c.in_set((*path, "cluster"), cluster, c.ix.ovirt_clusters, "oVirt cluster"):
        return
    if preferred is not None and preferred not in c.ix.ovirt_clusters[cluster]:
        c.r.add(
            (*path, "preferred_host"),
            f"'{preferred}' is not a host of oVirt cluster {cluster}",
            suggest(preferred, c.ix.ovirt_clusters[cluster]),
        )


def check_cabling(c: Checks) -> None:
    used: dict[str, PathKey] = {}
    for i, cable in enumerate(c.d.cables):
        sites = [_endpoint(c, ("cables", i, end), ep, used) for end, ep in (("a", cable.a), ("b", cable.b))]
        if None not in sites and sites[0] != sites[1]:
            c.r.add(
                ("cables", i),
                f"cable joins sites {sites[0]} and {sites[1]}",
                "links between sites are man_links",
            )
    for i, up in enumerate(c.d.uplinks):
        if up.handoff is not None:
            site = _endpoint(c, ("uplinks", i, "handoff"), up.handoff, used)
            if site is not None and site != up.site:
                c.r.add(("uplinks", i, "handoff"), f"hand-off port is at site {site}, the line at {up.site}")
    for i, link in enumerate(c.d.man_links):
        sites = [_endpoint(c, ("man_links", i, end), ep, used) for end, ep in (("a", link.a), ("b", link.b))]
        if None not in sites and sites[0] == sites[1]:
            c.r.add(
                ("man_links", i), f"MAN link has both ends in site {sites[0]}", "use cables inside a site"
            )


def _endpoint(c: Checks, path: PathKey, endpoint: str, used: dict[str, PathKey]) -> str | None:
    device, port = split_endpoint(endpoint)
    host = c.ix.hosts.get(device)
    if host is None or isinstance(host, Vm | Station):
        c.r.add(
            path,
            f"unknown cabled device '{device}'",
            suggest(device, [n for n, h in c.ix.hosts.items() if not isinstance(h, Vm | Station)]),
        )
        return None
    ports = c.ix.ports(host)
    if port not in ports:
        c.r.add(
            path,
            f"no port '{port}' on {device}",
            suggest(port, ports) or f"ports: {', '.join(sorted(ports)[:6])}",
        )
        return None
    if endpoint in used:
        c.r.add(path, f"port {endpoint} is already cabled", f"first at line {c.r.line_of(used[endpoint])}")
        return None
    used[endpoint] = path
    site = c.ix.site_of(device)
    return site if site in c.ix.sites else None  # an unknown site is reported on the device
