"""Ceph with cephadm: a host spec per host (labels and CRUSH location), an OSD spec per host (its disks),
the MON and MGR services placed by label, an initial ceph.conf, and the pools with their CRUSH rules."""

from __future__ import annotations

from typing import Any

from trisite.model import Design, Index
from trisite.model.devices import Server
from trisite.model.interfaces import on_network
from trisite.model.services import CephCluster
from trisite.model.timers import CEPH_MON_ELECTION_S
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, to_yaml

RULES = {
    "datacenter": "replicated_datacenter",
    "rack": "replicated_rack",
    "host": "replicated_host",
    "osd": "replicated_osd",
}


def _labels(cluster: CephCluster, host: str) -> list[str]:
    found = ["osd"] if host in cluster.osd_hosts else []
    found += ["mon"] if host in cluster.mons else []
    found += ["mgr", "_admin"] if host in cluster.mgrs else []
    return sorted(found)


def _host_docs(ix: Index, cluster: CephCluster, server: Server) -> str:
    iface = on_network(ix, server.name, cluster.public_network)
    docs: list[dict[str, Any]] = [
        {
            "service_type": "host",
            "hostname": server.name,
            "addr": str(iface.address.ip) if iface else server.name,
            "labels": _labels(cluster, server.name),
            "location": {"datacenter": server.site, "rack": f"{server.site}-{server.rack}"},
        }
    ]
    disks = [f"/dev/{d.name}" for d in server.disks if d.use == "osd"]
    if server.name in cluster.osd_hosts and disks:
        docs.append(
            {
                "service_type": "osd",
                "service_id": server.name,
                "placement": {"hosts": [server.name]},
                "spec": {"data_devices": {"paths": disks}},
            }
        )
    return "".join(
        ("---\n" if i else f"# {header('cephadm host')}\n") + to_yaml(d) for i, d in enumerate(docs)
    )


def _services(ix: Index, cluster: CephCluster) -> str:
    mon: dict[str, Any] = {"service_type": "mon", "placement": {"label": "mon", "count": len(cluster.mons)}}
    if cluster.stretch is not None:
        mon["spec"] = {"crush_locations": {m: [f"datacenter={ix.site_of(m)}"] for m in cluster.mons}}
    mgr = {"service_type": "mgr", "placement": {"label": "mgr", "count": len(cluster.mgrs)}}
    return f"# {header('cephadm services')}\n" + to_yaml(mon) + "---\n" + to_yaml(mgr)


def _conf(ix: Index, cluster: CephCluster) -> str:
    lines = [
        f"# {header('ceph.conf for cephadm bootstrap --config')}",
        "[global]",
        f"public_network = {ix.networks[cluster.public_network].prefix}",
    ]
    if cluster.cluster_network:
        lines.append(f"cluster_network = {ix.networks[cluster.cluster_network].prefix}")
    timers = cluster.timers
    lines += [
        f"mon_osd_down_out_interval = {timers.down_out_interval_s}",
        f"osd_heartbeat_grace = {timers.heartbeat_grace_s}",
    ]
    # Ceph's own default needs no line (and keeps the files of designs that leave it alone unchanged).
    if timers.mon_election_timeout_s != CEPH_MON_ELECTION_S:
        lines.append(f"mon_election_timeout = {timers.mon_election_timeout_s:g}")
    lines.append("")
    return "\n".join(lines)


def _pools(cluster: CephCluster) -> str:
    lines = ["#!/bin/sh", f"# {header('Ceph pools and CRUSH rules')}", "set -eu"]
    for domain in sorted({p.failure_domain for p in cluster.pools}):
        lines.append(f"ceph osd crush rule create-replicated {RULES[domain]} default {domain} || true")
    for p in cluster.pools:
        pg = p.pg_num or 32
        lines += [
            f"ceph osd pool create {p.name} {pg} {pg} replicated {RULES[p.failure_domain]} || true",
            f"ceph osd pool set {p.name} crush_rule {RULES[p.failure_domain]}",
            f"ceph osd pool set {p.name} size {p.size}",
            f"ceph osd pool set {p.name} min_size {p.min_size}",
            f"ceph osd pool application enable {p.name} {p.application} --yes-i-really-mean-it",
        ]
        if p.application == "rbd":
            lines.append(f"rbd pool init {p.name}")
    if cluster.stretch is not None:
        lines.append(f"ceph mon enable_stretch_mode {cluster.mons[0]} stretch_rule datacenter")
    return "\n".join(lines) + "\n"


def render(design: Design, ix: Index) -> list[Artifact]:
    found = []
    for cluster in design.ceph:
        base = f"platform/ceph/{cluster.name}"
        found += [
            Artifact(
                f"{base}/services.yaml",
                _services(ix, cluster),
                "cephadm",
                "",
                None,
                Apply("script", "ceph orch apply -i services.yaml"),
            ),
            Artifact(
                f"{base}/ceph.conf",
                _conf(ix, cluster),
                "cephadm",
                "",
                None,
                Apply("script", "cephadm bootstrap --config ceph.conf"),
            ),
            Artifact(
                f"{base}/pools.sh",
                _pools(cluster),
                "cephadm",
                "",
                None,
                Apply("script", "sh pools.sh", "0755"),
            ),
        ]
        for host in sorted({*cluster.mons, *cluster.mgrs, *cluster.osd_hosts}):
            server = ix.hosts[host]
            assert isinstance(server, Server)
            found.append(
                Artifact(
                    f"{server.site}/{host}/cephadm/{cluster.name}.yaml",
                    _host_docs(ix, cluster, server),
                    "cephadm",
                    host,
                    server.site,
                    Apply("script", f"ceph orch apply -i {cluster.name}.yaml"),
                )
            )
    return found
