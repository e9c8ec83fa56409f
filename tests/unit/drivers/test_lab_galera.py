"""A region's Galera as the lab configures it from the rendered Kolla/Kayobe files: the controllers and their
internal addresses, the overlay's evs timers, and a my.cnf MariaDB's own option reader accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.unit.render.test_checkers import tool
from trisite.drivers import lab_configs, lab_galera
from trisite.drivers.lab_overlay import DEFAULTS, LAB
from trisite.model import load_design
from trisite.render import render


@pytest.fixture(scope="module")
def region_a() -> dict[str, str]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    return {a.path: a.content for a in render(design) if a.path.startswith("platform/kayobe/region-a/")}


def test_a_node_per_controller_in_one_cluster(region_a: dict[str, str], tmp_path: Path) -> None:
    assert lab_galera.enabled(region_a)  # Kolla's enable_mariadb
    group = lab_configs.region_vip("region-a", region_a)
    nodes = lab_galera.nodes(group, str(tmp_path))
    assert [(n.device, n.address) for n in nodes] == [
        ("ra-ctl1", "198.18.40.11"),
        ("ra-ctl2", "198.18.40.12"),
        ("ra-ctl3", "198.18.40.13"),
    ]
    cnf = lab_galera.cnf(group, nodes[1], LAB)
    assert "wsrep_cluster_address=gcomm://198.18.40.11,198.18.40.12,198.18.40.13" in cnf
    assert "wsrep_cluster_name=region-a" in cnf
    assert "wsrep_node_address=198.18.40.12" in cnf
    assert f"socket={tmp_path}/ra-ctl2/galera/mysqld.sock" in cnf
    (tmp_path / "my.cnf").write_text(cnf, encoding="utf-8")
    read = [tool("my_print_defaults"), f"--defaults-file={tmp_path / 'my.cnf'}", "mysqld"]
    done = subprocess.run(read, capture_output=True, text=True, check=False, timeout=30)
    options = done.stdout.splitlines()
    assert "--wsrep_sst_method=rsync" in options, done.stderr
    assert "--bind-address=198.18.40.12" in options


def test_the_overlay_sets_the_evs_timers_galera_accepts() -> None:
    fast = lab_galera.provider_options("198.18.40.11", LAB)
    assert "evs.suspect_timeout=PT1S" in fast
    assert "evs.inactive_timeout=PT2S" in fast
    assert "evs.keepalive_period=PT0.3S" in fast  # galera refuses one of a third of suspect_timeout or more
    assert "gmcast.listen_addr=tcp://198.18.40.11:4567" in fast
    slow = lab_galera.provider_options("198.18.40.11", DEFAULTS)
    assert "evs.suspect_timeout=PT5S" in slow
    assert "evs.inactive_timeout=PT15S" in slow


def test_only_the_first_start_of_the_first_node_bootstraps(tmp_path: Path) -> None:
    argv = lab_galera.daemon_args(lab_galera.Node("ra-ctl1", "198.18.40.11", str(tmp_path)))
    assert argv[:2] == ["sh", "-c"]
    echoed = ["sh", "-c", argv[2].replace("exec mariadbd", "echo")]  # what the loop would start

    def started() -> str:
        return subprocess.run(echoed, capture_output=True, text=True, check=True).stdout

    assert "--wsrep-new-cluster" not in started()  # no bootstrap file: join
    (tmp_path / "bootstrap").touch()
    assert "--wsrep-new-cluster" in started()
    assert "--wsrep-new-cluster" not in started()  # the supervisor's restart after a crash rejoins
    assert "--user=mysql" in started()


def test_a_node_is_healthy_only_primary_synced_ready_in_a_full_cluster() -> None:
    seen = {
        "wsrep_cluster_size": "3",
        "wsrep_cluster_status": "Primary",
        "wsrep_local_state_comment": "Synced",
        "wsrep_ready": "ON",
    }
    assert lab_galera.synced(seen, 3)
    assert not lab_galera.synced(seen, 2)
    assert not lab_galera.synced({**seen, "wsrep_cluster_status": "non-Primary"}, 3)
    assert not lab_galera.synced({**seen, "wsrep_local_state_comment": "Joining"}, 3)
    assert not lab_galera.synced({**seen, "wsrep_ready": "OFF"}, 3)
    assert not lab_galera.synced({}, 3)
    assert lab_galera.summary(seen) == "3 Primary Synced ON"
    assert lab_galera.summary({}) == "down"


def test_a_region_without_mariadb_gets_no_galera() -> None:
    assert not lab_galera.enabled({"x/etc/kayobe/kolla/globals.yml": "enable_mariadb: false\n"})


def test_the_system_tables_are_installed_without_galera_in_the_nodes_own_tmpdir(tmp_path: Path) -> None:
    node = lab_galera.Node("ra-ctl1", "198.18.40.11", str(tmp_path))
    cnf = lab_galera.install_cnf(node)
    assert "wsrep_on=OFF" in cnf
    assert f"tmpdir={tmp_path}" in cnf
    assert f"--defaults-file={tmp_path}/install.cnf" == lab_galera.install_args(node)[1]
    assert "--user=mysql" in lab_galera.install_args(node)
