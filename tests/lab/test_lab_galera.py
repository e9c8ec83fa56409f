"""Each OpenStack region's control plane as Kolla deploys it, in the lab: Galera (3 nodes per region) under the
stand-in APIs behind the region's VIP, and RabbitMQ (3 nodes per region); deployed from the rendered artifacts,
read back healthy, surviving a killed database daemon."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import RECOVERY_S, deployed_lab, until
from trisite.drivers import lab_galera, lab_rabbitmq
from trisite.drivers.host import LocalHost
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_health import Health, http_get
from trisite.drivers.netns import call_in_netns, namespace

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-galera"
LAYERS = ("galera", "vips", "rabbitmq")
REGIONS = {"region-a": ("ra-ctl1", "ra-ctl2", "ra-ctl3"), "region-b": ("rb-ctl1", "rb-ctl2", "rb-ctl3")}
VIP = "198.18.40.100"  # region-a's internal VIP (Kolla's globals)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDriver]:
    with deployed_lab(tmp_path_factory, LAB, LAYERS) as found:
        yield found


def unhealthy(driver: LabDriver) -> list[Health]:
    return [h for h in driver.health() if not h.ok]


def socket(driver: LabDriver, device: str) -> str:
    return lab_galera.socket_of(driver.services.lab_dir, device)


def test_each_region_has_a_galera_cluster_of_three(driver: LabDriver) -> None:
    for region, controllers in REGIONS.items():
        for device in controllers:
            seen = lab_galera.status(socket(driver, device))
            assert seen.get("wsrep_cluster_size") == "3", (region, device, seen)
            assert lab_galera.synced(seen, 3), (region, device, seen)
    galera = {h.name: h for h in driver.health() if h.layer == "galera"}
    assert set(galera) == set(REGIONS)
    assert all(h.ok for h in galera.values()), galera


def writes_by(driver: LabDriver, reader: str, writer: str) -> int:
    rows = lab_galera.query(
        socket(driver, reader),
        f"SELECT COUNT(*) FROM standin.writes WHERE node = '{writer}'",  # noqa: S608 - a device name
    )
    return int(rows[0][0]) if rows else -1


def test_a_write_through_the_vip_lands_in_galera_and_is_read_on_another_node(driver: LabDriver) -> None:
    body = call_in_netns(namespace("dc2-cmp1"), lambda: http_get(f"http://{VIP}:5000/", timeout=5))
    assert body is not None
    writer = json.loads(body)["stand-in"]
    other = next(d for d in REGIONS["region-a"] if d != writer)
    assert writes_by(driver, other, writer) >= 1


def test_a_killed_mariadbd_leaves_the_cluster_writable_and_rejoins(driver: LabDriver) -> None:
    victim, survivor = "ra-ctl2", "ra-ctl3"
    before = writes_by(driver, survivor, survivor)
    driver.service_fault(victim, "mariadb", "kill")
    write = f"INSERT INTO standin.writes (node) VALUES ('{survivor}')"  # noqa: S608 - a device name
    assert lab_galera.query(socket(driver, survivor), write) is not None
    assert writes_by(driver, "ra-ctl1", survivor) > before
    rejoined = until(lambda: lab_galera.synced(lab_galera.status(socket(driver, victim)), 3), within=60)
    assert rejoined is not None, lab_galera.status(socket(driver, victim))
    assert until(lambda: writes_by(driver, victim, survivor) > before, within=10) is not None
    assert until(lambda: not unhealthy(driver), within=RECOVERY_S) is not None, unhealthy(driver)


def test_each_region_has_three_running_rabbitmq_nodes_with_their_metrics(driver: LabDriver) -> None:
    rabbitmq = {h.name: h for h in driver.health() if h.layer == "rabbitmq"}
    assert set(rabbitmq) == set(REGIONS)
    assert all(h.ok and h.detail.startswith("3/3 running nodes") for h in rabbitmq.values()), rabbitmq
    # The CLI's view, which health falls back to when the endpoints do not show one cluster: the same three.
    for region, members in driver.services.recorded()["rabbitmq"].items():
        assert isinstance(members, list)
        nodes = [lab_rabbitmq.Node(*m) for m in members]
        seen = lab_rabbitmq.cluster(
            nodes[0], lambda d, argv: LocalHost().in_netns(namespace(d), argv, check=False)
        )
        assert seen == sorted(n.name for n in nodes), (region, seen)
    recorded = driver.services.recorded()["rabbitmq"]
    for region, members in recorded.items():
        assert isinstance(members, list)
        for device, address, _ in members:
            url = f"http://{address}:15692/metrics"
            metrics = call_in_netns(namespace(device), partial(http_get, url, 5.0))
            assert metrics is not None and "rabbitmq_identity_info" in metrics, (region, device)
