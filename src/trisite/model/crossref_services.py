"""Cross-reference checks of the upper layers: roles placed on existing hosts, storage, clouds, operations."""

from __future__ import annotations

from collections.abc import Sequence

from trisite.model.crossref import Checks, suggest
from trisite.model.devices import Server, Vm
from trisite.model.kolla import KOLLA_HOSTS, KOLLA_POOLS, region_host, region_systems
from trisite.model.services import OpenStackRegion
from trisite.model.source import PathKey


def placed(c: Checks, path: PathKey, names: Sequence[str], role: str, *, vms: bool = False) -> None:
    """Each name is a server (or VM when allowed) that has `role` among its roles, listed once."""
    c.r.unique(((((*path, j), n) for j, n in enumerate(names))), "host")
    for j, name in enumerate(names):
        placed_one(c, (*path, j), name, role, vms=vms)


def placed_one(c: Checks, path: PathKey, name: str, role: str, *, vms: bool = False) -> None:
    kinds = ("server", "vm") if vms else ("server",)
    if not c.ref(path, name, kinds, "server or VM" if vms else "server"):
        return
    host = c.ix.hosts[name]
    assert isinstance(host, Server | Vm)
    if role not in host.roles:
        c.r.add(
            path,
            f"{name} does not have role '{role}' (roles: {', '.join(host.roles) or 'none'})",
            f"add '{role}' to its roles or place this elsewhere",
        )


def check_ceph(c: Checks) -> None:
    for i, cl in enumerate(c.d.ceph):
        path: PathKey = ("ceph", i)
        placed(c, (*path, "mons"), cl.mons, "ceph")
        placed(c, (*path, "mgrs"), cl.mgrs, "ceph")
        placed(c, (*path, "osd_hosts"), cl.osd_hosts, "ceph")
        placed(c, (*path, "mdss"), cl.mdss, "ceph")
        for j, name in enumerate(cl.osd_hosts):
            host = c.ix.hosts.get(name)
            if isinstance(host, Server) and not any(d.use == "osd" for d in host.disks):
                c.r.add((*path, "osd_hosts", j), f"{name} has no disk with use: osd")
        c.ref((*path, "public_network"), cl.public_network, ("network",), "network")
        if cl.cluster_network is not None:
            c.ref((*path, "cluster_network"), cl.cluster_network, ("network",), "network")
        c.r.unique(((((*path, "pools", j, "name")), p.name) for j, p in enumerate(cl.pools)), "pool")
        if cl.stretch is not None:
            c.site((*path, "stretch", "tiebreaker_site"), cl.stretch.tiebreaker_site)


def _ceph_pool(c: Checks, path: PathKey, cluster: str, pool: str) -> None:
    clusters = {cl.name: cl for cl in c.d.ceph}
    if not c.in_set((*path, "ceph_cluster"), cluster, clusters, "Ceph cluster"):
        return
    pools = [p.name for p in clusters[cluster].pools]
    if pool not in pools:
        c.r.add((*path, "pool"), f"no pool '{pool}' in Ceph cluster {cluster}", suggest(pool, pools))


def check_ovirt(c: Checks) -> None:
    cluster_of: dict[str, PathKey] = {}
    for i, ov in enumerate(c.d.ovirt):
        domains = {sd.name for sd in ov.storage_domains}
        c.r.unique(
            ((("ovirt", i, "clusters", j, "name"), cl.name) for j, cl in enumerate(ov.clusters)), "cluster"
        )
        c.r.unique(
            (
                (("ovirt", i, "storage_domains", j, "name"), sd.name)
                for j, sd in enumerate(ov.storage_domains)
            ),
            "storage domain",
        )
        for j, cl in enumerate(ov.clusters):
            placed(c, ("ovirt", i, "clusters", j, "hosts"), cl.hosts, "ovirt")
            for k, host in enumerate(cl.hosts):
                hpath: PathKey = ("ovirt", i, "clusters", j, "hosts", k)
                if host in cluster_of:
                    c.r.add(
                        hpath,
                        f"{host} is already in another oVirt cluster",
                        f"line {c.r.line_of(cluster_of[host])}",
                    )
                cluster_of.setdefault(host, hpath)
        engine: PathKey = ("ovirt", i, "engine")
        for j, host in enumerate(ov.engine.hosts):
            if host not in {h for cl in ov.clusters for h in cl.hosts}:
                c.r.add((*engine, "hosts", j), f"{host} is not a host of this oVirt's clusters")
        if c.ip_in((*engine, "address"), ov.engine.address, ov.engine.network, (*engine, "network")):
            c.own_ip((*engine, "address"), ov.engine.address)
        c.in_set((*engine, "storage_domain"), ov.engine.storage_domain, domains, "storage domain")
        for j, sd in enumerate(ov.storage_domains):
            if sd.ceph_cluster is not None and sd.pool is not None:
                _ceph_pool(c, ("ovirt", i, "storage_domains", j), sd.ceph_cluster, sd.pool)


def _on_network(c: Checks, path: PathKey, hosts: Sequence[str], network: str, why: str) -> None:
    """Each host holds an address on `network` (where a service's VIP or traffic lives)."""
    for j, name in enumerate(hosts):
        host = c.ix.hosts.get(name)
        if host is not None and not any(a.network == network for a in c.ix.addresses(host)):
            c.r.add((*path, j), f"{name} has no address on {network}", why)


def check_openstack(c: Checks) -> None:
    regions = {r.name: r for r in c.d.openstack}
    for i, reg in enumerate(c.d.openstack):
        path: PathKey = ("openstack", i)
        for field in ("controllers", "computes", "network_nodes"):
            placed(c, (*path, field), getattr(reg, field), "openstack", vms=True)
        if (
            reg.keystone_from is not None
            and c.in_set((*path, "keystone_from"), reg.keystone_from, set(regions) - {reg.name}, "region")
            and regions[reg.keystone_from].keystone_from is not None
        ):
            c.r.add(
                (*path, "keystone_from"),
                f"region {reg.keystone_from} itself borrows its Keystone",
                "point at the region that runs Keystone",
            )
        for net, vip in (("internal", reg.internal_vip), ("external", reg.external_vip)):
            if c.ip_in((*path, f"{net}_vip"), vip, getattr(reg, f"{net}_network"), (*path, f"{net}_network")):
                c.own_ip((*path, f"{net}_vip"), vip)
        if reg.ceph_cluster is not None:
            _kolla_pools(c, path, reg.ceph_cluster)
        _kayobe_hosts(c, path, reg)
        for net in (reg.internal_network, reg.external_network):
            if net in c.ix.networks:
                _on_network(
                    c,
                    (*path, "controllers"),
                    reg.controllers,
                    net,
                    "controllers hold the API VIPs: give each an address there",
                )


def _kolla_pools(c: Checks, path: PathKey, cluster: str) -> None:
    clusters = {cl.name: cl for cl in c.d.ceph}
    if not c.in_set((*path, "ceph_cluster"), cluster, clusters, "Ceph cluster"):
        return
    missing = [p for p in KOLLA_POOLS if p not in {pool.name for pool in clusters[cluster].pools}]
    if missing:
        c.r.add(
            (*path, "ceph_cluster"),
            f"Ceph cluster {cluster} has no pool {', '.join(missing)}",
            f"Glance, Cinder and Nova use the pools {', '.join(KOLLA_POOLS)}: declare them",
        )


def _kayobe_hosts(c: Checks, path: PathKey, reg: OpenStackRegion) -> None:
    """The hosts' OS is one Kayobe and Kolla deploy on; Keystone's admin password is known where it is shared."""
    host = region_host(c.d, c.ix, reg)
    systems = region_systems(c.d, c.ix, reg)
    if isinstance(host, str) and len(systems) == 1 and systems <= set(KOLLA_HOSTS):
        c.r.add((*path, "base_distro"), host)  # the hosts' OS itself: crossref_support, at its `os` field
    c.secret((*path, "keystone_admin_password"), reg.keystone_admin_password)
    home = next((r for r in c.d.openstack if r.name == (reg.keystone_from or reg.name)), reg)
    if home is not reg and reg.keystone_admin_password is not None:
        c.r.add(
            (*path, "keystone_admin_password"),
            f"this region uses the Keystone of {home.name}, and its admin password",
            f"set keystone_admin_password on region {home.name} only",
        )
    if home is not reg and home.keystone_admin_password is None:
        c.r.add(
            (*path, "keystone_from"),
            f"region {home.name} has no keystone_admin_password, and this region logs in to its Keystone",
            "name the secret holding it: keystone_admin_password: SECRET",
        )


def check_kubernetes(c: Checks) -> None:
    for i, k in enumerate(c.d.kubernetes):
        path: PathKey = ("kubernetes", i)
        for field in ("control_plane", "workers", "etcd"):
            placed(c, (*path, field), getattr(k, field), "kubernetes", vms=True)
        if c.ip_in((*path, "api_vip"), k.api_vip, k.api_network, (*path, "api_network")):
            c.own_ip((*path, "api_vip"), k.api_vip)
            _on_network(
                c,
                (*path, "control_plane"),
                k.control_plane,
                k.api_network,
                "control-plane nodes hold the API VIP: give each an address there",
            )
        if k.ceph_cluster is not None and k.ceph_pool is not None:
            _ceph_pool(c, path, k.ceph_cluster, k.ceph_pool)


def check_operations(c: Checks) -> None:
    d = c.d
    _check_backups(c)
    for i, zone in enumerate(d.dns):
        placed(c, ("dns", i, "servers"), zone.servers, "dns", vms=True)
    if d.monitoring is not None:
        for field in ("prometheus", "alertmanager", "grafana"):
            placed(c, ("monitoring", field), getattr(d.monitoring, field), "monitoring", vms=True)
        for j, site in enumerate(d.monitoring.blackbox_from):
            c.site(("monitoring", "blackbox_from", j), site)
    for j, name in enumerate(d.bootstrap.stations):
        c.ref(("bootstrap", "stations", j), name, ("station",), "station")
    for j, route in enumerate(d.bootstrap.routes):
        c.ref(("bootstrap", "routes", j, "device"), route.device, ("firewall", "switch", "server"), "device")
    for j, account in enumerate(d.bootstrap.accounts):
        for k, host in enumerate(account.hosts):
            c.ref(
                ("bootstrap", "accounts", j, "hosts", k), host, ("firewall", "switch", "server", "vm"), "host"
            )


def _check_backups(c: Checks) -> None:
    for i, job in enumerate(c.d.backups):
        path: PathKey = ("backups", i)
        c.site((*path, "from_site"), job.from_site)
        if c.site((*path, "to_site"), job.to_site):
            placed_one(c, (*path, "to_host"), job.to_host, "backup", vms=True)
            if job.to_host in c.ix.hosts and c.ix.site_of(job.to_host) not in (job.to_site, None):
                c.r.add((*path, "to_host"), f"{job.to_host} is not at site {job.to_site}")
        for j, host in enumerate(job.source.hosts):
            c.ref((*path, "source", "hosts", j), host, ("server", "vm", "firewall"), "host")
        if job.source.ceph_cluster is not None and job.source.pool is not None:
            _ceph_pool(c, (*path, "source"), job.source.ceph_cluster, job.source.pool)
        c.secret((*path, "repository_key"), job.repository_key)
