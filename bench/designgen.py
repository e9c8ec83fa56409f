"""Generate valid three-site designs of any size, for the bench scripts (not used by trisite itself)."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

SITES = ("dc1", "dc2", "dc3")
PORTS_PER_SWITCH = 44  # swp1-44 for servers; swp45-47 firewalls and hand-off; swp48-52 MAN and ISL


def _ip(base: str, offset: int) -> str:
    return str(IPv4Address(base) + offset)


def _site(n: int, site: str, count: int, first_server: int) -> dict[str, Any]:
    """One site: a firewall pair, enough switch pairs for `count` servers, the servers and cables."""
    mgmt, oob = f"198.18.{16 * n}.0", f"198.19.{16 * n}.0"
    pairs = max(1, -(-count // PORTS_PER_SWITCH))
    switches = [
        {
            "name": f"{site}-sw{p}{side}",
            "site": site,
            "rack": f"r{p}",
            "power_feeds": ["a", "b"],
            "ports": {"swp1-44": "25G", "swp45-48": "10G", "swp49-50": "10G", "swp51-52": "100G"},
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
            "addresses": [
                {"network": f"{site}-mgmt", "ip": _ip(mgmt, 1 + i), "nic": "eth1"},
                {"network": f"{site}-oob", "ip": _ip(oob, 1 + i), "nic": "eth1"},
            ],
        }
        for i in (1, 2)
    ]
    servers, cables = [], []
    for k in range(count):
        name = f"{site}-srv{first_server + k:05d}"
        pair, port = divmod(k, PORTS_PER_SWITCH)
        role = "ceph" if k < 6 else ("ovirt" if k % 3 else "openstack")
        servers.append(
            {
                "name": name,
                "site": site,
                "rack": f"r{pair}",
                "power_feeds": ["a", "b"],
                "roles": [role],
                "bmc": {"address": _ip(oob, 16 + k), "network": f"{site}-oob", "credentials": "bmc"},
                "nics": [{"name": "eno1", "speed": "25G"}, {"name": "eno2", "speed": "25G"}],
                "disks": [
                    {"name": "sda", "size_gb": 480, "media": "ssd", "use": "os"},
                    {"name": "nvme0n1", "size_gb": 3840, "media": "nvme", "use": "osd"},
                ],
                "addresses": [{"network": f"{site}-mgmt", "ip": _ip(mgmt, 16 + k), "nic": "eno1"}],
            }
        )
        for side, nic in (("a", "eno1"), ("b", "eno2")):
            cables.append({"a": f"{name}:{nic}", "b": f"{site}-sw{pair}{side}:swp{port + 1}", "speed": "25G"})
    for i, side in ((1, "a"), (2, "b")):
        cables.append({"a": f"{site}-fw{i}:eth0", "b": f"{site}-sw0{side}:swp45", "speed": "10G"})
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
    per_site = max(6, servers // len(SITES))
    parts = [_site(n + 1, site, per_site, n * per_site) for n, site in enumerate(SITES)]
    design: dict[str, Any] = {
        "platform": {"name": f"gen-{servers}", "domain": "example.net", "asn": 65010},
        "secrets": {"bmc": {"env": "TRISITE_BMC_PASSWORD"}},
        "sites": [p["site"] for p in parts],
        "zones": [{"name": "mgmt"}, {"name": "oob"}],
    }
    for key in ("networks", "firewalls", "switches", "servers", "cables", "ha_groups"):
        design[key] = [item for p in parts for item in p[key]]
    design["man_links"] = [
        {
            "name": f"man-{a}{b}",
            "a": f"dc{a}-sw0a:swp{48 + b}",
            "b": f"dc{b}-sw0b:swp{48 + a}",
            "speed": "10G",
        }
        for a, b in ((1, 2), (1, 3), (2, 3))
    ]
    ceph_hosts = [s["name"] for s in design["servers"] if "ceph" in s["roles"]]
    design["ceph"] = [
        {
            "name": "main",
            "mons": ceph_hosts[::6][:3],
            "mgrs": ceph_hosts[:2],
            "osd_hosts": ceph_hosts,
            "public_network": "dc1-mgmt",
            "pools": [{"name": "rbd", "failure_domain": "datacenter"}],
        }
    ]
    return design
