"""What the lab's services are told, read from the rendered artifacts as the real tools read them (Kubespray's
inventory, Kolla's globals, Kayobe's address allocation, PowerDNS's files) with the lab overlay on top.

Pure functions: artifacts' text in, configurations out; `drivers/lab_services.py` starts the daemons.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from trisite.drivers.lab_overlay import (
    ETCD_CLIENT_PORT,
    ETCD_PEER_PORT,
    K8S_VRID_BASE,
    STAND_IN_PORT,
    Overlay,
)
from trisite.errors import DriverError
from trisite.render.dns_records import STATE_DIR

Files = Mapping[str, str]
KEYSTONE_PORT = 5000  # the stand-in's API on the internal VIP (Keystone's)
EXTERNAL_PORT = 443  # on the external VIP: what the DNS failover records check


@dataclass(frozen=True)
class VipGroup:
    """An API address held by keepalived in front of HAProxy on each member, over a stand-in per member."""

    name: str  # the region or the Kubernetes cluster
    vrid: int
    frontends: tuple[tuple[str, int], ...]  # (VIP, port)
    members: tuple[tuple[str, str], ...]  # (device, its address on the VIP's network)


def _one(files: Files, suffix: str, tool: str) -> str:
    found = [text for path, text in files.items() if path.endswith(suffix)]
    if len(found) != 1:
        raise DriverError(f"{tool}: expected one rendered {suffix}, got {len(found)}")
    return found[0]


def _yaml(text: str) -> dict[str, Any]:
    loaded = yaml.safe_load(text) or {}
    if not isinstance(loaded, dict):
        raise DriverError("a rendered YAML file is not a mapping")
    return loaded


def kolla_globals(files: Files) -> dict[str, Any]:
    """A region's rendered Kolla globals.yml ({} when the files hold none: Kolla's defaults apply)."""
    found = [t for p, t in files.items() if p.endswith("kolla/globals.yml")]
    loaded = yaml.safe_load(found[0]) if found else {}
    return loaded if isinstance(loaded, dict) else {}


def kolla_exporter(files: Files, exporter: str) -> bool:
    """Whether Kolla runs the Prometheus EXPORTER (`enable_prometheus_EXPORTER_exporter`) of the region."""
    found = kolla_globals(files)
    return bool(found.get("enable_prometheus", False)) and bool(
        found.get(f"enable_prometheus_{exporter}_exporter", False)
    )


def etcd_members(files: Files) -> list[tuple[str, str]]:
    """(member, address) of the etcd group of Kubespray's inventory."""
    inventory = _yaml(_one(files, "inventory/hosts.yaml", "kubespray"))["all"]
    hosts = inventory["hosts"]
    names = sorted((inventory["children"].get("etcd") or {}).get("hosts") or {})
    return [(n, str(hosts[n]["ip"])) for n in names]


def etcd_args(
    files: Files, member: str, members: Sequence[tuple[str, str]], data_dir: str, ov: Overlay
) -> list[str]:
    """etcd's command line for one member: Kubespray's metrics URLs, the overlay's timers, plain HTTP."""
    address = dict(members)[member]
    metrics = str(_yaml(_one(files, "group_vars/all/etcd.yml", "kubespray"))["etcd_listen_metrics_urls"])
    cluster = ",".join(f"{n}=http://{ip}:{ETCD_PEER_PORT}" for n, ip in members)
    args = [
        "etcd",
        f"--name={member}",
        f"--data-dir={data_dir}",
        f"--listen-peer-urls=http://{address}:{ETCD_PEER_PORT}",
        f"--initial-advertise-peer-urls=http://{address}:{ETCD_PEER_PORT}",
        f"--listen-client-urls=http://{address}:{ETCD_CLIENT_PORT},http://127.0.0.1:{ETCD_CLIENT_PORT}",
        f"--advertise-client-urls=http://{address}:{ETCD_CLIENT_PORT}",
        f"--listen-metrics-urls={metrics.replace('{{ etcd_address }}', address)}",
        f"--initial-cluster={cluster}",
        "--initial-cluster-state=new",
        "--initial-cluster-token=trisite-lab",
        f"--heartbeat-interval={ov.etcd_heartbeat_ms}",
        f"--election-timeout={ov.etcd_election_ms}",
        "--logger=zap",
        "--log-level=warn",
    ]
    return args + (["--pre-vote"] if ov.etcd_pre_vote else [])


def kubernetes_vip(unit: str, files: Files) -> VipGroup:
    """The Kubernetes API address (Kubespray's loadbalancer_apiserver) over its control plane."""
    inventory = _yaml(_one(files, "inventory/hosts.yaml", "kubespray"))["all"]
    names = sorted((inventory["children"].get("kube_control_plane") or {}).get("hosts") or {})
    api = _yaml(_one(files, "group_vars/k8s_cluster/addons.yml", "kubespray"))["loadbalancer_apiserver"]
    return VipGroup(
        f"k8s-{unit}",
        K8S_VRID_BASE + zlib.crc32(unit.encode()) % 40,
        ((str(api["address"]), int(api["port"])),),
        tuple((n, str(inventory["hosts"][n]["ip"])) for n in names),
    )


def region_vip(unit: str, files: Files) -> VipGroup:
    """A region's API addresses (Kolla's globals) over its controllers (Kayobe's inventory and allocation)."""
    kolla = _yaml(_one(files, "kolla/globals.yml", "kayobe"))
    allocation = _yaml(_one(files, "etc/kayobe/network-allocation.yml", "kayobe"))["internal_ips"]
    hosts = _one(files, "etc/kayobe/inventory/hosts", "kayobe")
    controllers = re.search(r"^\[controllers\]\n((?:[^\[\n].*\n?)*)", hosts, re.MULTILINE)
    names = controllers.group(1).split() if controllers else []
    if not names:
        raise DriverError(f"kayobe {unit}: no [controllers] in the rendered inventory")
    return VipGroup(
        unit,
        int(kolla["keepalived_virtual_router_id"]),
        (
            (str(kolla["kolla_internal_vip_address"]), KEYSTONE_PORT),
            (str(kolla["kolla_external_vip_address"]), EXTERNAL_PORT),
        ),
        tuple((n, str(allocation[n])) for n in names),
    )


def haproxy_cfg(group: VipGroup, ov: Overlay) -> str:
    """HAProxy in front of the group's stand-ins, on each VIP (bound before the VIP is held: nonlocal bind)."""
    lines = [
        "global",
        "  maxconn 512",
        "defaults",
        "  mode http",
        "  timeout connect 1s",
        "  timeout client 10s",
        "  timeout server 10s",
        "  option redispatch",
        "  retries 2",
    ]
    for vip, port in group.frontends:
        lines += [f"frontend api-{vip}-{port}", f"  bind {vip}:{port}", "  default_backend stand-ins"]
    lines += ["backend stand-ins", "  option httpchk GET /health"]
    inter, fall = ov.haproxy_check_inter_ms, ov.haproxy_check_fall
    lines += [
        f"  server {device} {address}:{STAND_IN_PORT} check inter {inter} fall {fall} rise 2"
        for device, address in group.members
    ]
    return "\n".join(lines) + "\n"


def keepalived_cfg(
    group: VipGroup, device: str, interfaces: Mapping[str, tuple[str, int]], ov: Overlay
) -> str:
    """keepalived (VRRPv3) holding the group's VIPs; `interfaces`: VIP -> (the interface on its network,
    prefix length), found in the member's namespace."""
    own = dict(group.members)[device]
    if own not in interfaces:
        raise DriverError(
            f"{device}: no interface holds {own} (is the lab's network deployed?)", device=device
        )
    ifname = interfaces[own][0]
    vips = [f"    {vip}/{interfaces[vip][1]} dev {interfaces[vip][0]}" for vip, _ in group.frontends]
    lines = [
        "global_defs {",
        f"  router_id {device}",
        "  vrrp_version 3",
        "  vrrp_garp_master_delay 0",
        "  vrrp_garp_master_repeat 2",
        "}",
        f"vrrp_instance {group.name} {{",
        "  state BACKUP",
        f"  interface {ifname}",
        f"  virtual_router_id {group.vrid}",
        "  priority 100",
        f"  advert_int {ov.vrrp_advert_s:g}",
        *(["  nopreempt"] if ov.vrrp_nopreempt else []),
        "  virtual_ipaddress {",
        *vips,
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


PDNS_OVERLAID = (
    "daemon",
    "guardian",
    "socket-dir",
    "lua-health-checks-interval",
    "cache-ttl",
    "query-cache-ttl",
)


def pdns_conf(rendered: Sequence[str], root: str, run: str, ov: Overlay) -> str:
    """PowerDNS's configuration: the rendered drop-ins with their paths under the device's lab root, then the
    overlay (foreground, its socket in the lab's run directory, the check interval and caches)."""
    lines = []
    for text in rendered:
        for line in text.splitlines():
            key = line.split("=", 1)[0].strip()
            if line.strip() and not line.startswith("#") and key not in PDNS_OVERLAID:
                lines.append(line.replace("/etc/powerdns/", f"{root}/etc/powerdns/"))
    lines += [
        "daemon=no",
        "guardian=no",
        f"socket-dir={run}",
        "write-pid=no",
        "disable-syslog=yes",
        f"lua-health-checks-interval={ov.pdns_check_interval_s}",
        f"cache-ttl={ov.pdns_cache_ttl_s}",
        f"query-cache-ttl={ov.pdns_cache_ttl_s}",
    ]
    return "\n".join(lines) + "\n"


def health_state_dir(zone: str, state_dir: str) -> str:
    """A rendered zone whose LUA records read the DNS health agent's state files in `state_dir` (each lab
    device's own: the namespaces share one file system)."""
    return zone.replace(f"'{STATE_DIR}/", f"'{state_dir}/")


def health_config(rendered: str, state_dir: str, ov: Overlay) -> str:
    """The DNS health agent's rendered configuration with the lab's state directory and the overlay's interval
    (the rendered one when the overlay keeps it)."""
    document = json.loads(rendered)
    document["state_dir"] = state_dir
    for record in document["records"]:
        if ov.dns_health_interval_s is not None:
            record["interval_s"] = ov.dns_health_interval_s
    return json.dumps(document, indent=2) + "\n"


def failover_records(zone: str) -> list[tuple[str, list[str]]]:
    """(name, the addresses it may answer) of each LUA record of a rendered zone file."""
    origin = re.search(r"^\$ORIGIN\s+(\S+)", zone, re.MULTILINE)
    suffix = origin.group(1) if origin else ""
    found = []
    for line in zone.splitlines():
        words = line.split()
        if len(words) > 4 and "LUA" in words[:4]:
            name = words[0] if words[0].endswith(".") else f"{words[0]}.{suffix}"
            addresses = sorted(set(re.findall(r"'(\d+\.\d+\.\d+\.\d+)'", line)))
            found.append((name, addresses))
    return found


def rooted(path: str, root: str) -> str:
    return str(PurePosixPath(root) / path.lstrip("/"))
