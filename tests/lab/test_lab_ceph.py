"""Ceph in the lab: deployed by cephadm's steps from the rendered artifacts, healthy (HEALTH_OK, three MONs in
quorum, every PG active+clean), with the pools of pools.sh as designed, and an OSD's loss seen and healed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import deployed_lab, until
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_ceph import ceph_cli
from trisite.model import load_design
from trisite.prove import campaign
from trisite.prove.catalog import campaign_catalog

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-ceph"
POOLS = {"ovirt-vms", "ovirt-engine", "images", "volumes", "vms", "kube", "cephfs.ovirt-engine.meta"}


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDriver]:
    with deployed_lab(tmp_path_factory, LAB, frozenset({"ceph"})) as found:
        yield found


def ceph(driver: LabDriver, *args: str) -> object:
    recorded = driver.services.recorded()["ceph"]["main"]
    assert isinstance(recorded, dict)
    conf = driver.services.run / "ceph" / "main" / "ceph.conf"
    return json.loads(ceph_cli(driver.host, str(recorded["admin"]), conf, [*args, "-f", "json"]))


def ceph_health(driver: LabDriver) -> tuple[bool, str]:
    found = [h for h in driver.health() if h.layer == "ceph"]
    assert [h.name for h in found] == ["main"]
    return found[0].ok, found[0].detail


def test_the_cluster_is_healthy_with_three_mons_in_quorum(driver: LabDriver) -> None:
    assert until(lambda: ceph_health(driver)[0], within=120) is not None, ceph_health(driver)
    status = ceph(driver, "status")
    assert isinstance(status, dict)
    assert status["health"]["status"] == "HEALTH_OK"
    assert sorted(status["quorum_names"]) == ["dc1-ceph1", "dc2-ceph1", "dc3-ceph1"]
    states = {s["state_name"]: s["count"] for s in status["pgmap"]["pgs_by_state"]}
    assert states == {"active+clean": status["pgmap"]["num_pgs"]}
    assert status["osdmap"]["num_up_osds"] == status["osdmap"]["num_osds"] == 6


def test_the_pools_of_pools_sh_replicate_over_datacenters(driver: LabDriver) -> None:
    pools = ceph(driver, "osd", "pool", "ls", "detail")
    rules = ceph(driver, "osd", "crush", "rule", "dump")
    assert isinstance(pools, list) and isinstance(rules, list)
    by_id = {r["rule_id"]: r for r in rules}
    mine = {p["pool_name"]: p for p in pools if p["pool_name"] in POOLS}
    assert set(mine) == POOLS
    for name, pool in mine.items():
        assert (pool["size"], pool["min_size"]) == (3, 2), name
        rule = by_id[pool["crush_rule"]]
        assert rule["rule_name"] == "replicated_datacenter", name
        chosen = [s for s in rule["steps"] if s["op"].startswith("chooseleaf")]
        assert chosen and chosen[0]["type"] == "datacenter", rule


def test_the_clients_of_clients_sh_exist(driver: LabDriver) -> None:
    users = ceph(driver, "auth", "ls")
    assert isinstance(users, dict)
    names = {u["entity"] for u in users["auth_dump"]}
    assert {"client.region-a-cinder", "client.kubernetes-core", "client.ovirt-virt"} <= names


def test_an_osd_stopped_warns_and_its_start_heals(driver: LabDriver) -> None:
    assert until(lambda: ceph_health(driver)[0], within=120) is not None, ceph_health(driver)
    driver.service_fault("dc2-ceph2", "ceph-osd", "stop")
    try:
        warned = until(lambda: "HEALTH_WARN" in ceph_health(driver)[1], within=60)
        assert warned is not None, ceph_health(driver)
        assert "OSD_DOWN" in ceph_health(driver)[1]
    finally:
        driver.service_fault("dc2-ceph2", "ceph-osd", "start")
    assert until(lambda: ceph_health(driver)[0], within=120) is not None, ceph_health(driver)


def test_the_campaigns_ceph_row_measures_a_clients_stall_on_a_nodes_loss(driver: LabDriver) -> None:
    """The campaign's row: a Ceph client on dc2-ceph2 writes to every PG of an RBD pool while dc1-ceph1 (a MON,
    the MGR, its OSD) is cut off; writes to the PGs its OSD holds wait until it is marked down, so the client
    sees an outage, and the platform is back (HEALTH_OK) after the rollback."""
    assert until(lambda: ceph_health(driver)[0], within=120) is not None, ceph_health(driver)
    design = load_design(REFERENCE).design
    row = next(s for s in campaign_catalog(design) if s.key == "loss-of-a-ceph-node")
    (found,) = campaign.run(design, driver, [row], target="lab").results
    assert found.obtained == "measured", found
    run = found.run
    assert run is not None and run.refused == "" and run.baseline.ok, run
    assert found.measured is not None and found.measured.seconds is not None, run.outage
    assert found.measured.seconds > 0 and found.measured.lost > 0, run.outage
    assert run.after is not None and run.after.ok, run.after
    assert found.predicted == 9.0, found  # the lost MON leader: its lease (2 x 3 s), an election (3 s)
    assert found.ok, (found.measured, found.predicted, found.objective)
