"""What the lab's Ceph is told, from the reference design's rendered cephadm artifacts (the golden files): the
hosts, placements and CRUSH locations of the specs, the ceph.conf with the overlay on top (read back by
Ceph's own ceph-conf), the scaled pools and the health judged from `ceph status`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from trisite.drivers import lab_ceph_config as config
from trisite.drivers.lab_ceph import judged
from trisite.drivers.lab_overlay import CEPH_OVERLAYS

GOLDEN = ROOT / "tests" / "golden" / "three-sites"
CLUSTER = GOLDEN / "platform" / "ceph" / "main"


@pytest.fixture(scope="module")
def host_specs() -> dict[str, str]:
    return {str(p.relative_to(GOLDEN)): p.read_text() for p in sorted(GOLDEN.glob("dc*/*/cephadm/main.yaml"))}


def test_hosts_labels_locations_and_osds(host_specs: dict[str, str]) -> None:
    hosts = {h.name: h for h in config.hosts(host_specs)}
    assert sorted(hosts) == [f"dc{s}-ceph{n}" for s in (1, 2, 3) for n in (1, 2)]
    assert hosts["dc2-ceph1"].address == "198.18.20.21"
    assert (
        config.crush_location(hosts["dc2-ceph1"]) == "root=default datacenter=dc2 rack=dc2-r1 host=dc2-ceph1"
    )
    assert all(h.osd_devices == 4 for h in hosts.values())
    placement = config.placements((CLUSTER / "services.yaml").read_text())
    assert placement == {"mon": ("mon", 3), "mgr": ("mgr", 2), "mds": ("mds", 3)}
    assert config.placed(list(hosts.values()), *placement["mon"]) == ["dc1-ceph1", "dc2-ceph1", "dc3-ceph1"]
    assert config.placed(list(hosts.values()), "mgr", 1) == ["dc1-ceph1"]


def test_a_file_without_a_host_spec_is_refused() -> None:
    with pytest.raises(Exception, match="no host spec"):
        config.hosts({"platform/inventory/hosts.yaml": "all: {}\n"})


@pytest.mark.skipif(shutil.which("ceph-conf") is None, reason="needs Ceph's ceph-conf (ceph-common)")
@pytest.mark.parametrize(("overlay", "grace"), [("lab", "5"), ("defaults", "20")])
def test_ceph_conf_is_read_by_ceph_with_the_overlay_winning(tmp_path: Path, overlay: str, grace: str) -> None:
    mons = [("dc1-ceph1", "198.18.20.11"), ("dc2-ceph1", "198.18.20.21")]
    text = config.ceph_conf(
        (CLUSTER / "ceph.conf").read_text(), config.fsid("main"), mons, str(tmp_path), CEPH_OVERLAYS[overlay]
    )
    conf = tmp_path / "ceph.conf"
    conf.write_text(text)

    def lookup(key: str, name: str = "osd.3") -> str:
        args = ["ceph-conf", "-c", str(conf), "--name", name, "--lookup", key]
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()

    assert lookup("osd_heartbeat_grace") == grace
    assert lookup("cluster_network") == "198.18.21.0/24"
    assert lookup("mon_osd_down_out_interval") == "600"  # the design's, untouched
    assert lookup("osd_data") == f"{tmp_path}/osd.3"
    assert lookup("mon_host").startswith("[v2:198.18.20.11:3300,v1:198.18.20.11:6789]")
    assert lookup("auth_allow_insecure_global_id_reclaim") == "false"
    assert lookup("admin_socket", "client.admin") == ""
    assert lookup("admin_socket", "mon.dc1-ceph1") == f"{tmp_path}/mon.dc1-ceph1.asok"


def test_pools_are_scaled_to_powers_of_two() -> None:
    script = config.scaled_pools((CLUSTER / "pools.sh").read_text(), 16)
    assert "ceph osd pool create ovirt-vms 16 16 replicated replicated_datacenter" in script
    assert "ceph osd pool create cephfs.ovirt-engine.meta 1 1 replicated" in script
    assert "ceph osd pool create vms 8 8 replicated" in script
    assert config.scaled_pools("ceph osd pool create x 96 96", 16) == "ceph osd pool create x 4 4"


def status(health: str, quorum: int, states: dict[str, int]) -> dict[str, object]:
    checks = {} if health == "HEALTH_OK" else {"OSD_DOWN": {"summary": {"message": "1 osds down"}}}
    return {
        "health": {"status": health, "checks": checks},
        "quorum_names": [f"m{i}" for i in range(quorum)],
        "pgmap": {
            "num_pgs": sum(states.values()),
            "pgs_by_state": [{"state_name": s, "count": n} for s, n in states.items()],
        },
    }


def test_health_is_ok_only_with_full_quorum_and_clean_pgs() -> None:
    assert judged(status("HEALTH_OK", 3, {"active+clean": 52}), 3) == (
        True,
        "HEALTH_OK; quorum 3/3; 52/52 PGs active+clean",
    )
    ok, detail = judged(status("HEALTH_WARN", 3, {"active+clean": 40, "active+undersized+degraded": 12}), 3)
    assert not ok
    assert detail == "HEALTH_WARN; OSD_DOWN: 1 osds down; quorum 3/3; 40/52 PGs active+clean"
    assert not judged(status("HEALTH_OK", 2, {"active+clean": 52}), 3)[0]
    assert not judged(status("HEALTH_OK", 3, {}), 3)[0]
