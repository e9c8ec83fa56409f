"""What the lab's Ceph daemons are told, read from cephadm's rendered artifacts (the cluster's ceph.conf, each
host's spec with its labels, CRUSH location and OSD service, the service specs' placements, pools.sh) with the
lab overlay (drivers/lab_overlay.py, CephOverlay) on top.

Pure functions: artifacts' text in, configurations out; drivers/lab_ceph.py starts the daemons.
"""

from __future__ import annotations

import configparser
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from trisite.drivers.lab_overlay import CephOverlay
from trisite.errors import DriverError

Files = Mapping[str, str]
MON_PORTS = (3300, 6789)  # msgr2, msgr1


@dataclass(frozen=True)
class CephHost:
    name: str
    address: str  # on the public network (the host spec's addr)
    labels: tuple[str, ...]
    location: tuple[tuple[str, str], ...]  # CRUSH buckets, (type, name), root first
    osd_devices: int  # data devices of its OSD service (0: no OSD there)


def _documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


BUCKET_ORDER = ("root", "region", "datacenter", "room", "row", "pod", "pdu", "rack", "chassis")


def hosts(files: Files) -> list[CephHost]:
    """The hosts of cephadm's host specs (one file per host: its `host` document and its `osd` service)."""
    found = []
    for path, text in sorted(files.items()):
        docs = _documents(text) if path.endswith((".yaml", ".yml")) and "/cephadm/" in path else []
        host = next((d for d in docs if d.get("service_type") == "host"), None)
        if host is None:
            continue
        osd = [d for d in docs if d.get("service_type") == "osd"]
        devices = sum(len(((d.get("spec") or {}).get("data_devices") or {}).get("paths") or []) for d in osd)
        location = host.get("location") or {}
        ordered = tuple((k, str(location[k])) for k in BUCKET_ORDER if k in location)
        found.append(
            CephHost(
                str(host["hostname"]), str(host["addr"]), tuple(host.get("labels") or ()), ordered, devices
            )
        )
    if not found:
        raise DriverError("cephadm: no host spec among the files")
    return found


def placements(services_yaml: str) -> dict[str, tuple[str, int]]:
    """Each service type's placement (label, count) from the rendered service specs."""
    found = {}
    for doc in _documents(services_yaml):
        placement = doc.get("placement") or {}
        found[str(doc["service_type"])] = (str(placement.get("label", "")), int(placement.get("count", 1)))
    return found


def service_id(services_yaml: str, service_type: str) -> str:
    ids = [
        str(d.get("service_id", ""))
        for d in _documents(services_yaml)
        if d.get("service_type") == service_type
    ]
    return ids[0] if ids else ""


def placed(all_hosts: Sequence[CephHost], label: str, count: int) -> list[str]:
    """The hosts a label placement picks: those with the label, in name order, up to `count`."""
    return sorted(h.name for h in all_hosts if label in h.labels)[:count]


def crush_location(host: CephHost) -> str:
    """`crush location` of the OSDs on a host: the spec's buckets and the host itself."""
    return " ".join([*(f"{k}={v}" for k, v in host.location), f"host={host.name}"])


def fsid(cluster: str) -> str:
    """The cluster's id, the same on every run for a cluster name (cephadm makes a random one at bootstrap)."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{cluster}.ceph.trisite"))


def monmap_args(mons: Sequence[tuple[str, str]]) -> list[str]:
    """monmaptool's arguments for the initial monitors (name, public address): both messenger versions."""
    args = []
    for name, address in mons:
        v2, v1 = MON_PORTS
        args += ["--addv", name, f"[v2:{address}:{v2},v1:{address}:{v1}]"]
    return args


def ceph_conf(
    rendered: str, cluster_fsid: str, mons: Sequence[tuple[str, str]], root: str, ov: CephOverlay
) -> str:
    """The daemons' and clients' ceph.conf: the rendered [global] section, the monitors, the lab's paths (every
    daemon's files under `root`, by its $name) and the overlay's settings last (they win)."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.read_string(rendered)
    settings = dict(parser["global"]) if parser.has_section("global") else {}
    settings |= {
        "fsid": cluster_fsid,
        "mon_initial_members": ", ".join(n for n, _ in mons),
        "mon_host": ",".join(f"[v2:{a}:{MON_PORTS[0]},v1:{a}:{MON_PORTS[1]}]" for _, a in mons),
        "run_dir": root,
        "admin_socket": f"{root}/$name.asok",
        "log_file": f"{root}/$name.log",
        "mon_cluster_log_file": f"{root}/cluster.log",
        "mon_data": f"{root}/$name",
        "osd_data": f"{root}/$name",
        "mgr_data": f"{root}/$name",
        "mds_data": f"{root}/$name",
        "crash_dir": f"{root}/crash",
        "keyring": f"{root}/keyring",
        "pid_file": "",
    }
    settings |= ov.settings()
    lines = ["[global]", *(f"{k.replace(' ', '_')} = {v}" for k, v in sorted(settings.items()))]
    # The `ceph` CLIs run at once (pools.sh, health) would share client.admin's socket and log: none for them.
    lines += ["", "[client]", "admin_socket =", "log_file ="]
    return "\n".join(lines) + "\n"


POOL_CREATE = re.compile(r"(ceph osd pool create \S+) (\d+) (\d+)")


def scaled_pools(script: str, divisor: int) -> str:
    """pools.sh with each pool's pg_num (and pgp_num) divided by the overlay's divisor, rounded down to a power of
    two (at least 1): the design's PGs are sized for its OSDs, the lab runs a few in memory."""

    def scaled(match: re.Match[str]) -> str:
        pgs = max(1, int(match.group(2)) // divisor)
        pgs = 1 << (pgs.bit_length() - 1)
        return f"{match.group(1)} {pgs} {pgs}"

    return POOL_CREATE.sub(scaled, script)
