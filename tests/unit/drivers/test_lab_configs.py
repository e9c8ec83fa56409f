"""What the lab's services are told, from the reference design's rendered artifacts: the members and addresses
the tools' inputs name, the overlay's timers, and configurations the daemons' own checkers accept."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.unit.render.test_checkers import tool
from trisite.drivers import lab_configs
from trisite.drivers.lab_overlay import DEFAULTS, LAB
from trisite.model import load_design
from trisite.render import render


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    return {a.path: a.content for a in render(design)}


def unit(files: dict[str, str], prefix: str) -> dict[str, str]:
    return {p: t for p, t in files.items() if p.startswith(prefix)}


def test_etcd_members_and_timers(files: dict[str, str]) -> None:
    kubespray = unit(files, "platform/kubespray/core/")
    members = lab_configs.etcd_members(kubespray)
    assert members == [("k8s-cp1", "198.18.50.11"), ("k8s-cp2", "198.18.50.12"), ("k8s-cp3", "198.18.50.13")]
    fast = lab_configs.etcd_args(kubespray, "k8s-cp2", members, "/d", LAB)
    assert {"--heartbeat-interval=50", "--election-timeout=500", "--pre-vote"} <= set(fast)
    assert "--listen-metrics-urls=http://198.18.50.12:2381,http://127.0.0.1:2381" in fast
    slow = lab_configs.etcd_args(kubespray, "k8s-cp2", members, "/d", DEFAULTS)
    assert "--pre-vote" not in slow
    assert "--election-timeout=1000" in slow


def test_region_and_kubernetes_vips(files: dict[str, str]) -> None:
    region = lab_configs.region_vip("region-b", unit(files, "platform/kayobe/region-b/"))
    assert region.vrid == 52
    assert region.frontends == (("198.18.40.200", 5000), ("198.51.100.21", 443))
    assert [m for m, _ in region.members] == ["rb-ctl1", "rb-ctl2", "rb-ctl3"]
    k8s = lab_configs.kubernetes_vip("core", unit(files, "platform/kubespray/core/"))
    assert k8s.frontends == (("198.18.50.10", 6443),)
    assert dict(k8s.members)["k8s-cp3"] == "198.18.50.13"


def test_haproxy_and_keepalived_accept_their_configurations(
    files: dict[str, str], tmp_path: Path, scratch_netns: str
) -> None:
    group = lab_configs.region_vip("region-a", unit(files, "platform/kayobe/region-a/"))
    interfaces = {
        "198.18.40.11": ("eth0.400", 24),
        "198.18.40.100": ("eth0.400", 24),
        "198.51.100.20": ("eth0.100", 25),
    }
    keepalived = lab_configs.keepalived_cfg(group, "ra-ctl1", interfaces, LAB)
    assert "advert_int 0.1" in keepalived
    assert "nopreempt" in keepalived
    assert "nopreempt" not in lab_configs.keepalived_cfg(group, "ra-ctl1", interfaces, DEFAULTS)
    assert "198.51.100.20/25 dev eth0.100" in keepalived
    (tmp_path / "keepalived.conf").write_text(keepalived, encoding="utf-8")
    for i, ifname in enumerate(("eth0.400", "eth0.100")):  # keepalived -t wants the interfaces to exist
        add = ["ip", "-n", scratch_netns, "link", "add", ifname, "type", "veth", "peer", "name", f"peer{i}"]
        subprocess.run(add, check=True, capture_output=True)
    (tmp_path / "haproxy.cfg").write_text(lab_configs.haproxy_cfg(group, LAB), encoding="utf-8")
    checks = [
        [
            "ip",
            "netns",
            "exec",
            scratch_netns,
            tool("keepalived"),
            "-t",
            "-f",
            str(tmp_path / "keepalived.conf"),
        ],
        [tool("haproxy"), "-c", "-f", str(tmp_path / "haproxy.cfg")],
    ]
    for args in checks:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=30)
        assert done.returncode == 0, done.stderr + done.stdout


def test_keepalived_needs_the_members_interface(files: dict[str, str]) -> None:
    group = lab_configs.region_vip("region-a", unit(files, "platform/kayobe/region-a/"))
    with pytest.raises(lab_configs.DriverError, match=r"no interface holds 198\.18\.40\.11"):
        lab_configs.keepalived_cfg(group, "ra-ctl1", {}, LAB)


def test_pdns_overlay_and_failover_records(files: dict[str, str]) -> None:
    dropin = files["dc1/dc1-ops1/powerdns/pdns.d/trisite.conf"]
    conf = lab_configs.pdns_conf([dropin], "/lab/root/dc1-ops1", "/lab/run", LAB).splitlines()
    assert "bind-config=/lab/root/dc1-ops1/etc/powerdns/named.conf" in conf
    assert [line for line in conf if line.startswith("lua-health-checks-interval")] == [
        "lua-health-checks-interval=1"
    ]
    assert "cache-ttl=0" in conf
    zone = files["dc1/dc1-ops1/powerdns/zones/example.net.zone"]
    assert lab_configs.failover_records(zone) == [("www.example.net.", ["198.51.100.20", "198.51.100.21"])]


def test_the_health_agent_runs_at_the_overlay_s_interval_with_each_device_s_own_state(
    files: dict[str, str],
) -> None:
    rendered = files["dc1/dc1-ops1/dns-health/dns-health.json"]
    lab = json.loads(lab_configs.health_config(rendered, "/lab/run/dc1-ops1/pdns/health", LAB))
    assert lab["state_dir"] == "/lab/run/dc1-ops1/pdns/health"
    assert [r["interval_s"] for r in lab["records"]] == [0.1]
    kept = json.loads(lab_configs.health_config(rendered, "/x", DEFAULTS))
    assert [r["interval_s"] for r in kept["records"]] == [5]  # the design's, as rendered
    zone = lab_configs.health_state_dir(files["dc1/dc1-ops1/powerdns/zones/example.net.zone"], "/lab/h")
    assert "io.open('/lab/h/www.example.net-A')" in zone.replace('" "', " ")
    assert "/run/trisite-dns-health" not in zone
