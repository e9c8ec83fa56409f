"""The upper layers in the lab: brought up with --services, deployed from the rendered artifacts, read back
healthy, surviving their faults, and gone after `lab down`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import RECOVERY_S, deployed_lab, until
from trisite.drivers import daemons
from trisite.drivers.host import LocalHost
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_health import Health, dns_answer, etcd_status, http_get
from trisite.drivers.lab_monitoring import PROMETHEUS_PORT, api, firing
from trisite.drivers.lab_overlay import LAYERS
from trisite.drivers.netns import call_in_netns, namespace
from trisite.lab import build, session
from trisite.model import load_design
from trisite.prove import campaign
from trisite.prove.catalog import campaign_catalog
from trisite.prove.measure import STEADY_WAIT

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-services"
ETCD = ("k8s-cp1", "k8s-cp2", "k8s-cp3")
REGION_A = ("ra-ctl1", "ra-ctl2", "ra-ctl3")
# The IPsec links are tests/lab/test_lab_vpn.py's: with every other layer they do not all come up yet.
EVERY_LAYER_BUT_IPSEC = frozenset(LAYERS) - {"ipsec"}


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDriver]:
    with deployed_lab(tmp_path_factory, LAB, EVERY_LAYER_BUT_IPSEC) as found:
        yield found


def unhealthy(driver: LabDriver) -> list[Health]:
    return [h for h in driver.health() if not h.ok]


def test_every_layer_is_healthy_after_the_deployment(driver: LabDriver) -> None:
    # As long as the campaign awaits its steady state (prove/measure.py STEADY_WAIT): right after the deployment
    # Ceph's PGs and the services' scrapes may still be settling on two loaded cores.
    assert until(lambda: not unhealthy(driver), within=STEADY_WAIT) is not None, unhealthy(driver)
    for host in ("dc1-ops1", "dc2-ops1"):  # after a deployment, no alert of any severity
        assert firing(host) == [], (host, firing(host))
    seen = session.status(LAB)["health"]
    assert isinstance(seen, list)
    layers = {h["layer"] for h in seen}
    assert layers == {"etcd", "vips", "dns", "monitoring", "ceph", "galera", "rabbitmq", "backups", "vpn"}, (
        seen
    )
    regions = {(h["layer"], h["name"]) for h in seen if h["layer"] in ("galera", "rabbitmq")}
    assert regions == {(layer, r) for layer in ("galera", "rabbitmq") for r in ("region-a", "region-b")}
    names = {h["name"] for h in seen}
    monitoring = {f"prometheus@dc{n}-ops1" for n in (1, 2)} | {f"alertmanager@dc{n}-ops1" for n in (1, 2, 3)}
    servers = {f"dc{n}-ops1" for n in (1, 2, 3)}
    others = {"core", "k8s-core", "region-a", "region-b", "main"} | servers | {f"{s} agent" for s in servers}
    vpn = {"wg-admin dc1-fw1", "wg-admin dc1-fw2"}
    assert others | monitoring | {"ops-config"} | vpn == names


@pytest.mark.usefixtures("driver")
def test_prometheus_scrapes_ceph_galera_and_rabbitmq_and_every_target_is_up() -> None:
    """The services' own metrics reach both Prometheus across the sites' firewalls: Ceph's MGR (one in the lab),
    a mysqld-exporter per Galera node, RabbitMQ's plugin per node; no target down."""

    def health_by_job(prometheus: str) -> Counter[tuple[str, str]]:
        found = api(prometheus, PROMETHEUS_PORT, "/api/v1/targets?state=active")
        targets = found["data"]["activeTargets"] if found else []
        return Counter((t["labels"]["job"], t["health"]) for t in targets)

    wanted = {("ceph", "up"): 1, ("galera", "up"): 6, ("rabbitmq", "up"): 6}
    for prometheus in ("dc1-ops1", "dc2-ops1"):

        def ready(p: str = prometheus) -> bool:
            seen = health_by_job(p)
            return all(seen[k] == n for k, n in wanted.items()) and not any(h != "up" for _, h in seen)

        assert until(ready, within=60) is not None, (prometheus, health_by_job(prometheus))


def leader() -> str | None:
    """The etcd member the others agree leads (None while they do not)."""
    addresses = {m: f"198.18.50.1{m[-1]}" for m in ETCD}
    seen = {m: call_in_netns(namespace(m), lambda a=a: etcd_status(a, 2379)) for m, a in addresses.items()}
    ids = {s[0]: m for m, s in seen.items() if s}
    leaders = {s[1] for s in seen.values() if s}
    return ids.get(leaders.pop()) if len(leaders) == 1 else None


def test_killing_the_etcd_leader_elects_another(driver: LabDriver) -> None:
    assert until(lambda: leader() is not None, within=30) is not None
    old = leader()
    assert old is not None
    driver.service_fault(old, "etcd", "stop")
    try:
        elected = until(lambda: leader_among(old), within=10)
        assert elected is not None, driver.health()
    finally:
        driver.service_fault(old, "etcd", "start")
    assert until(lambda: not unhealthy(driver), within=RECOVERY_S) is not None, unhealthy(driver)


def leader_among(gone: str) -> bool:
    now = leader()
    return now is not None and now != gone


def holder(vip: str, among: tuple[str, ...] = REGION_A) -> str | None:
    """The controller of region-a holding the VIP."""
    host = LocalHost()
    for device in among:
        if f" {vip}/" in host.in_netns(namespace(device), ["ip", "-4", "-br", "address"]).stdout:
            return device
    return None


def test_the_region_vip_moves_when_its_holder_dies(driver: LabDriver) -> None:
    vip = "198.18.40.100"
    assert until(lambda: holder(vip) is not None, within=15) is not None
    old = holder(vip)
    assert old is not None
    others = tuple(d for d in REGION_A if d != old)
    driver.set_component(f"vm:{old}", up=False)  # the controller dies: its NICs go dark
    try:
        assert until(lambda: holder(vip, others) is not None, within=10) is not None, f"{vip} stayed on {old}"
        client = namespace("dc2-cmp1")  # a compute node of region-a, on its internal network
        assert until(lambda: bool(call_in_netns(client, lambda: http_get(f"http://{vip}:5000/"))), 10)
    finally:
        driver.set_component(f"vm:{old}", up=True)
    assert until(lambda: not unhealthy(driver), within=RECOVERY_S) is not None, unhealthy(driver)


def answers(server: str, name: str = "www.example.net") -> list[str]:
    return call_in_netns(namespace(server), lambda: dns_answer("127.0.0.1", name, 0.5))


def test_every_dns_server_answers_region_b_once_region_a_refuses_and_region_a_again_after(
    driver: LabDriver,
) -> None:
    """region-a's HAProxies stopped (its public VIP refuses 443): each server's health agent sees it and its
    PowerDNS answers region-b's address; with them started again, region-a's. A crashed agent is restarted."""
    servers = ("dc1-ops1", "dc2-ops1", "dc3-ops1")
    region_a, region_b = "198.51.100.20", "198.51.100.21"
    assert until(lambda: all(answers(s) == [region_a] for s in servers), within=15) is not None
    for device in REGION_A:
        driver.service_fault(device, "haproxy", "stop")
    try:
        switched = until(lambda: all(answers(s) == [region_b] for s in servers), within=10)
        assert switched is not None, [answers(s) for s in servers]
    finally:
        for device in REGION_A:
            driver.service_fault(device, "haproxy", "start")
    assert until(lambda: all(answers(s) == [region_a] for s in servers), within=15) is not None
    driver.service_fault("dc3-ops1", "pdns-health", "kill")
    assert until(lambda: daemons.running(driver.services.run, "dc3-ops1", "pdns-health"), within=10)
    assert until(lambda: not unhealthy(driver), within=RECOVERY_S) is not None, unhealthy(driver)


def test_a_killed_daemon_is_restarted_by_its_supervisor(driver: LabDriver) -> None:
    run = driver.services.run
    assert daemons.running(run, "dc2-ops1", "pdns")
    driver.service_fault("dc2-ops1", "pdns", "kill")
    assert until(lambda: daemons.running(run, "dc2-ops1", "pdns"), within=10) is not None
    assert until(lambda: not unhealthy(driver), within=RECOVERY_S) is not None, unhealthy(driver)


def test_a_controller_row_is_measured_through_the_public_api_and_a_quorum_loss_refused(
    driver: LabDriver,
) -> None:
    """The campaign's row on the services: HTTP probes from the internet through the region's external VIP, the
    controller's VM cut and mended, the steady state (services' health included) held before and after; two
    controllers at once would take Galera's quorum: the guard rail refuses it and cuts nothing."""
    design = load_design(REFERENCE).design
    row = next(s for s in campaign_catalog(design) if s.key == "stop-of-openstack-controller-1")
    two = replace(row, name="two controllers", faults=("vm:ra-ctl1", "vm:ra-ctl2"))
    result = campaign.run(design, driver, [row, two], target="lab")
    measured, refused = result.results
    assert measured.obtained == "measured", measured
    assert measured.measured.seconds is not None, (measured.baseline.text, measured.run)
    assert measured.run is not None and measured.run.after is not None and measured.run.after.ok
    assert measured.ok, (measured.measured, measured.predicted)
    assert refused.run is not None and refused.run.refused.startswith("guard rail"), refused.run
    assert refused.run.history == () and not unhealthy(driver)


def test_a_compute_row_sees_the_api_keep_answering_and_its_alert_fire(driver: LabDriver) -> None:
    """A compute node's every cable cut: the region's API keeps answering the internet (no outage, as the twin
    predicts), and its node's alert fires within its bound and resolves after the rollback."""
    design = load_design(REFERENCE).design
    row = next(s for s in campaign_catalog(design) if s.key == "stop-of-openstack-compute-1")
    (found,) = campaign.run(design, driver, [row], target="lab").results
    assert found.obtained == "measured", found
    assert found.run is not None and found.run.baseline.ok and found.run.after is not None, found.run
    # The API never stopped answering: no probe lost, or a hiccup of two loaded cores (a late HTTP answer)
    assert found.predicted == 0.0 and found.measured.lost <= 2, (found.measured, found.run.baseline)
    assert found.alerts and all(a.fired and a.resolved for a in found.alerts), found.alerts


def test_lab_down_stops_every_daemon(driver: LabDriver) -> None:
    run = driver.services.run
    devices = (*ETCD, *REGION_A, "dc1-ops1")
    groups = [g for d in devices for n in daemons.names(run, d) if (g := daemons.group(run, d, n))]
    assert len(groups) >= 12
    assert all(daemons.alive(g) for g in groups)
    build.down(LAB)  # the groups the deployment recorded, and those a fault restarted since
    alive = [g for g in groups if daemons.alive(g)]
    assert not alive, alive
