"""Generate valid three-site designs of any size, for the bench scripts and scale tests.

Each site has a firewall pair, switch pairs of 44 server ports, and servers bonded to both switches of their
pair. Services span the servers: Ceph (6 OSD hosts a site, a MON each), an oVirt cluster per site, an
OpenStack region whose controllers are HA VMs and whose computes are the remaining servers, monitoring.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

SITES = ("dc1", "dc2", "dc3")
PORTS_PER_SWITCH = 44  # swp1-44 for servers; swp45-48 firewalls; swp49-50 MAN; swp51-52 inter-switch
CORE = "198.19.128.0"  # a network stretched over the three sites (Ceph, oVirt, OpenStack)
SERVER_PORTS = {"swp1-44": "25G", "swp45-48": "10G", "swp49-50": "10G", "swp51-52": "100G"}


def _ip(base: str, offset: int) -> str:
    return str(IPv4Address(base) + offset)


def _role(k: int, count: int) -> str:
    if k < 6:
        return "ceph"
    if k == count - 1:
        return "monitoring"
    return "ovirt" if k % 3 else "openstack"


def _server(n: int, site: str, k: int, count: int, first: int) -> dict[str, Any]:
    mgmt, oob = f"198.18.{16 * n}.0", f"198.19.{16 * n}.0"
    return {
        "name": f"{site}-srv{first + k:05d}",
        "site": site,
        "rack": f"r{k // PORTS_PER_SWITCH}",
        "power_feeds": ["a", "b"],
        "roles": [_role(k, count)],
        "bmc": {"address": _ip(oob, 16 + k), "network": f"{site}-oob", "credentials": "bmc"},
        "nics": [{"name": "eno1", "speed": "25G"}, {"name": "eno2", "speed": "25G"}],
        "bonds": [{"name": "bond0", "members": ["eno1", "eno2"]}],
        "disks": [
            {"name": "sda", "size_gb": 480, "media": "ssd", "use": "os"},
            {"name": "nvme0n1", "size_gb": 3840, "media": "nvme", "use": "osd"},
        ],
        "addresses": [
            {"network": f"{site}-mgmt", "ip": _ip(mgmt, 16 + k), "nic": "bond0"},
            {"network": "core", "ip": _ip(CORE, 4096 * n + 16 + k), "nic": "bond0"},
        ],
    }


def _site(n: int, site: str, count: int, first: int) -> dict[str, Any]:
    mgmt, oob = f"198.18.{16 * n}.0", f"198.19.{16 * n}.0"
    pairs = max(1, -(-count // PORTS_PER_SWITCH))
    switches = [
        {
            "name": f"{site}-sw{p}{side}",
            "site": site,
            "rack": f"r{p}",
            "power_feeds": ["a", "b"],
            "ports": dict(SERVER_PORTS),
        }
        for p in range(pairs)
        for side in "ab"
    ]
    firewalls = [
        {
            "name": f"{site}-fw{i}",
            "site": site,
            "platform": "linux",
            "rack": "r0",
            "power_feeds": ["a", "b"],
            "nics": [{"name": "eth0", "speed": "10G"}, {"name": "eth1", "speed": "10G"}],
            "bonds": [{"name": "lan", "members": ["eth0", "eth1"]}],
            "addresses": [
                {"network": f"{site}-mgmt", "ip": _ip(mgmt, 1 + i), "nic": "lan"},
                {"network": f"{site}-oob", "ip": _ip(oob, 1 + i), "nic": "lan"},
                {"network": "core", "ip": _ip(CORE, 4096 * n + 1 + i), "nic": "lan"},
            ],
        }
        for i in (1, 2)
    ]
    servers = [_server(n, site, k, count, first) for k in range(count)]
    cables = [
        {
            "a": f"{s['name']}:{nic}",
            "b": f"{site}-sw{k // PORTS_PER_SWITCH}{side}:swp{k % PORTS_PER_SWITCH + 1}",
            "speed": "25G",
        }
        for k, s in enumerate(servers)
        for side, nic in (("a", "eno1"), ("b", "eno2"))
    ]
    for i in (1, 2):
        for side, nic in (("a", "eth0"), ("b", "eth1")):
            cables.append({"a": f"{site}-fw{i}:{nic}", "b": f"{site}-sw0{side}:swp{44 + i}", "speed": "10G"})
    for p in range(pairs):  # each pair is joined, and pairs hang off the first pair
        cables.append({"a": f"{site}-sw{p}a:swp51", "b": f"{site}-sw{p}b:swp51", "speed": "100G"})
        if p:
            cables.append(
                {
                    "a": f"{site}-sw{p}a:swp52",
                    "b": f"{site}-sw0a:swp{46 + p}" if p < 3 else f"{site}-sw{p - 1}b:swp52",
                    "speed": "100G",
                }
            )
    return {
        "site": {
            "name": site,
            "power_feeds": [{"name": "a"}, {"name": "b"}],
            "racks": [{"name": f"r{r}", "power_feeds": ["a", "b"]} for r in range(pairs + 1)],
        },
        "networks": [
            {"name": f"{site}-mgmt", "prefix": f"{mgmt}/20", "zone": "mgmt", "sites": [site]},
            {"name": f"{site}-oob", "prefix": f"{oob}/20", "zone": "oob", "sites": [site]},
        ],
        "firewalls": firewalls,
        "switches": switches,
        "servers": servers,
        "cables": cables,
        "ha_groups": [
            {
                "name": f"{site}-mgmt-gw",
                "protocol": "vrrp",
                "vid": 2,
                "network": f"{site}-mgmt",
                "vips": [_ip(mgmt, 10)],
                "advert_interval_ms": 100,
                "members": [{"device": f"{site}-fw1", "priority": 200}, {"device": f"{site}-fw2"}],
            }
        ],
    }


def generate(servers: int) -> dict[str, Any]:
    """A valid design of about `servers` servers spread evenly over three sites."""
    per_site = max(12, servers // len(SITES))
    parts = [_site(n + 1, site, per_site, n * per_site) for n, site in enumerate(SITES)]
    design: dict[str, Any] = {
        "platform": {"name": f"gen-{servers}", "domain": "example.net", "asn": 65010},
        "versions": {"os": "rocky-9"},  # one OS Kayobe deploys, for the OpenStack region's hosts
        "secrets": {"bmc": {"env": "TRISITE_BMC_PASSWORD"}},
        "sites": [p["site"] for p in parts],
        "zones": [{"name": "mgmt"}, {"name": "oob"}, {"name": "backbone"}],
    }
    for key in ("networks", "firewalls", "switches", "servers", "cables", "ha_groups"):
        design[key] = [item for p in parts for item in p[key]]
    design["networks"].append(
        {"name": "core", "prefix": f"{CORE}/17", "zone": "backbone", "sites": list(SITES)}
    )
    design["man_links"] = [
        {
            "name": f"man-{a}{b}",
            "a": f"dc{a}-sw0a:swp{48 + b - 1}",
            "b": f"dc{b}-sw0b:swp{48 + a - 1}",
            "speed": "10G",
        }
        for a, b in ((1, 2), (1, 3), (2, 3))
    ]
    # One conduit carries two of the three MAN links out of dc1: the shared-risk sweep has one to fail.
    design["risks"] = [{"name": "conduit-dc1", "kind": "conduit", "members": ["man:man-12", "man:man-13"]}]
    _services(design)
    return design


def _with_role(design: dict[str, Any], role: str, site: str | None = None) -> list[str]:
    return [s["name"] for s in design["servers"] if role in s["roles"] and site in (None, s["site"])]


def _services(design: dict[str, Any]) -> None:
    ceph = _with_role(design, "ceph")
    design["ceph"] = [
        {
            "name": "main",
            "mons": ceph[::6][:3],
            "mgrs": ceph[:2],
            "osd_hosts": ceph,
            "public_network": "core",
            "pools": [{"name": "rbd", "failure_domain": "datacenter"}],
        }
    ]
    clusters = [{"name": f"{s}-virt", "hosts": _with_role(design, "ovirt", s)} for s in SITES]
    design["ovirt"] = [
        {
            "name": "virt",
            "engine": {
                "hosts": [c["hosts"][0] for c in clusters],
                "fqdn": "engine.example.net",
                "address": _ip(CORE, 10),
                "network": "core",
                "storage_domain": "vmstore",
            },
            "clusters": clusters,
            "storage_domains": [
                {"name": "vmstore", "type": "managed-block-ceph", "ceph_cluster": "main", "pool": "rbd"}
            ],
        }
    ]
    design["vms"] = [
        {
            "name": f"ctl{i + 1}",
            "cluster": c["name"],
            "preferred_host": c["hosts"][0],
            "storage_domain": "vmstore",
            "roles": ["openstack"],
            "os": "rocky-9",
            "addresses": [{"network": "core", "ip": _ip(CORE, 20 + i)}],
        }
        for i, c in enumerate(clusters)
    ]
    for server in design["servers"]:
        if "openstack" in server["roles"]:
            server["os"] = "rocky-9"  # a system Kayobe and Kolla deploy on (model/kolla.py)
    design["openstack"] = [
        {
            "name": "region",
            "controllers": [v["name"] for v in design["vms"]],
            "computes": _with_role(design, "openstack"),
            "internal_network": "core",
            "external_network": "core",
            "internal_vip": _ip(CORE, 30),
            "external_vip": _ip(CORE, 31),
            "keepalived_router_id": 51,
        }
    ]
    monitoring = _with_role(design, "monitoring")
    design["monitoring"] = {"prometheus": monitoring[:2], "alertmanager": monitoring}
