"""Ceph with cephadm: a host spec per host (labels and CRUSH location), an OSD spec per host (its disks),
the MON, MGR and MDS services placed by label, an initial ceph.conf, the pools with their CRUSH rules and
filesystems (pools.sh), and the consumers' users (clients.sh).

The scripts are run again on every deployment: each creates only what is missing (looked up first, so that a
real error is never mistaken for "already there") and sets everything else to the design's value; `set -eu`
stops at the first command that fails."""

from __future__ import annotations

from typing import Any

from trisite.model import Design, Index
from trisite.model.devices import Server
from trisite.model.interfaces import on_network
from trisite.model.services import CephCluster, CephPool
from trisite.model.timers import CEPH_MON_ELECTION_S
from trisite.render.artifact import Apply, Artifact
from trisite.render.ceph_clients import consumers
from trisite.render.engine import header, to_yaml

RULES = {
    "datacenter": "replicated_datacenter",
    "rack": "replicated_rack",
    "host": "replicated_host",
    "osd": "replicated_osd",
}


METADATA_PG_NUM = 16  # a filesystem's metadata is small; the autoscaler grows it when needed


def filesystems(cluster: CephCluster) -> list[tuple[str, str, CephPool]]:
    """A CephFS per pool with application cephfs, named after it: (name, metadata pool, data pool). Its
    metadata pool (Ceph's own naming, as `ceph fs volume create` does) takes the data pool's placement."""
    return [(p.name, f"cephfs.{p.name}.meta", p) for p in cluster.pools if p.application == "cephfs"]


def mds_hosts(cluster: CephCluster) -> list[str]:
    return (cluster.mdss or cluster.mons) if filesystems(cluster) else []


def _labels(cluster: CephCluster, host: str) -> list[str]:
    found = ["osd"] if host in cluster.osd_hosts else []
    found += ["mon"] if host in cluster.mons else []
    found += ["mgr", "_admin"] if host in cluster.mgrs else []
    found += ["mds"] if host in mds_hosts(cluster) else []
    return sorted(found)


def _location(server: Server) -> dict[str, str]:
    """The host's initial CRUSH location, under the `default` root the pools' rules take from (without the
    root, cephadm would place the datacenter bucket at the top, outside every rule). cephadm makes the host's
    own bucket; these are its ancestors."""
    return {"root": "default", "datacenter": server.site, "rack": f"{server.site}-{server.rack}"}


def _host_docs(ix: Index, cluster: CephCluster, server: Server) -> str:
    iface = on_network(ix, server.name, cluster.public_network)
    docs: list[dict[str, Any]] = [
        {
            "service_type": "host",
            "hostname": server.name,
            "addr": str(iface.address.ip) if iface else server.name,
            "labels": _labels(cluster, server.name),
            "location": _location(server),
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
    # One MDS per labelled host and filesystem: one active, the others standing by to take over.
    mds = [
        {
            "service_type": "mds",
            "service_id": name,
            "placement": {"label": "mds", "count": len(mds_hosts(cluster))},
        }
        for name, _, _ in filesystems(cluster)
    ]
    return f"# {header('cephadm services')}\n" + "---\n".join(to_yaml(d) for d in [mon, mgr, *mds])


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
        # Clients patched for CVE-2021-20288 only: Ceph 16 allows the insecure reclaim (and warns, never
        # reaching HEALTH_OK) until this is set.
        "auth_allow_insecure_global_id_reclaim = false",
    ]
    # Ceph's own default needs no line (and keeps the files of designs that leave it alone unchanged).
    if timers.mon_election_timeout_s != CEPH_MON_ELECTION_S:
        lines.append(f"mon_election_timeout = {timers.mon_election_timeout_s:g}")
    lines.append("")
    return "\n".join(lines)


# Each listing is read once, into a variable: a failing `ceph` then stops the script (set -e), where a pipe
# into grep would hide its failure behind grep's status.
LOOKUPS = [
    "rules=$(ceph osd crush rule ls)",
    "pools=$(ceph osd pool ls)",
    "filesystems=$(ceph fs ls)",
    "# has NAME LISTING: NAME is a whole line of LISTING.",
    'has() { printf \'%s\\n\' "$2" | grep -qxF -- "$1"; }',
    '# has_fs NAME: `ceph fs ls` lists a filesystem NAME (its lines read "name: NAME, metadata pool: ...").',
    'has_fs() { printf \'%s\\n\' "$filesystems" | grep -qF -- "name: $1,"; }',
]


def _pool_lines(pool: CephPool, name: str, pg: int, application: str | None) -> list[str]:
    rule = RULES[pool.failure_domain]
    lines = [
        f'has {name} "$pools" || ceph osd pool create {name} {pg} {pg} replicated {rule}',
        f"ceph osd pool set {name} crush_rule {rule}",
        f"ceph osd pool set {name} size {pool.size}",
        f"ceph osd pool set {name} min_size {pool.min_size}",
    ]
    if application is not None:
        lines.append(f"ceph osd pool application enable {name} {application} --yes-i-really-mean-it")
    if application == "rbd":
        lines.append(f"rbd pool init {name}")
    return lines


def _pools(cluster: CephCluster) -> str:
    lines = ["#!/bin/sh", f"# {header('Ceph pools, CRUSH rules and filesystems')}", "set -eu", *LOOKUPS]
    for domain in sorted({p.failure_domain for p in cluster.pools}):
        rule = RULES[domain]
        lines.append(f'has {rule} "$rules" || ceph osd crush rule create-replicated {rule} default {domain}')
    for p in cluster.pools:
        # A filesystem's pools get their application from `ceph fs new`, which tags them with its name.
        application = None if p.application == "cephfs" else p.application
        lines += _pool_lines(p, p.name, p.pg_num or 32, application)
    for name, metadata, data in filesystems(cluster):
        lines += _pool_lines(data, metadata, METADATA_PG_NUM, None)
        lines.append(f"has_fs {name} || ceph fs new {name} {metadata} {data.name}")
    # The mgr's Prometheus endpoint (:9283) that the ceph scrape job and the Ceph alerts read; enabling an
    # enabled module changes nothing.
    lines.append("ceph mgr module enable prometheus")
    if cluster.stretch is not None:
        lines += [
            "osdmap=$(ceph osd dump --format json)",
            "case $osdmap in *'\"stretch_mode_enabled\":true'*) ;; "
            f"*) ceph mon enable_stretch_mode {cluster.mons[0]} stretch_rule datacenter ;; esac",
        ]
    return "\n".join(lines) + "\n"


CLIENT_FUNCTION = [
    "# client NAME CAPS...: a missing user is created with CAPS, an existing one gets CAPS (`ceph auth caps`",
    "# replaces them all, so caps that differ from the design's are brought back to it). `ceph auth get`",
    "# exits 2 (ENOENT) for a missing user; any other failure stops the script. Keys never reach the output.",
    "client() {",
    "    name=$1",
    "    shift",
    "    status=0",
    '    ceph auth get "$name" >/dev/null 2>&1 || status=$?',
    "    case $status in",
    '        0) ceph auth caps "$name" "$@" ;;',
    '        2) ceph auth get-or-create "$name" "$@" >/dev/null ;;',
    '        *) echo "ceph auth get $name failed (exit $status)" >&2; exit "$status" ;;',
    "    esac",
    "}",
]


def _clients(design: Design, cluster: CephCluster) -> str:
    lines = ["#!/bin/sh", f"# {header('Ceph users of the consumers, least privilege')}", "set -eu"]
    lines += CLIENT_FUNCTION
    for user, caps in sorted(consumers(design, cluster).items()):
        grants = " ".join(f"{daemon} '{', '.join(caps[daemon])}'" for daemon in sorted(caps))
        lines.append(f"client client.{user} {grants}")
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
            Artifact(
                f"{base}/clients.sh",
                _clients(design, cluster),
                "cephadm",
                "",
                None,
                Apply("script", "sh clients.sh", "0755"),
            ),
        ]
        for host in sorted({*cluster.mons, *cluster.mgrs, *cluster.osd_hosts, *mds_hosts(cluster)}):
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
