"""Monitoring in the lab: Prometheus, the clustered Alertmanagers, the blackbox and the exporters, deployed from
the rendered files; every target up and nothing firing after the deployment; a stopped node exporter's alert
notified firing through Alertmanager to the lab's recorder within its bound, and resolved once it is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import until
from trisite import pipelines
from trisite.drivers import daemons, lab_alerts
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_health import Health
from trisite.drivers.lab_monitoring import PROMETHEUS_PORT, api, firing, notifications_log
from trisite.drivers.lab_overlay import MONITORING
from trisite.lab import build, session
from trisite.model import load_design
from trisite.render import render

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-monitoring"
FIREWALL = "dc2-fw1"  # its node exporter is scraped across the MAN from dc1-ops1


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDriver]:
    saved = build.STATE_ROOT
    build.STATE_ROOT = tmp_path_factory.mktemp("lab")
    loaded = load_design(REFERENCE)
    try:
        session.up(loaded, LAB, str(REFERENCE), layers=("monitoring",))
        pipelines.deploy_job(loaded, "lab", lab=LAB)
        yield session.driver_for(LAB)
    finally:
        build.down(LAB)
        build.STATE_ROOT = saved


HOUR = 3600.0
# Five of the lab's scrape and evaluation rounds, on two loaded cores.
SETTLE_S = 5 * (MONITORING.scrape_interval_s + MONITORING.evaluation_interval_s)


def rule_files() -> list[str]:
    artifacts = render(load_design(REFERENCE).design)
    return [a.content for a in artifacts if a.path.startswith("platform/monitoring/rules/")]


def unhealthy(driver: LabDriver) -> list[Health]:
    return [h for h in driver.health() if not h.ok]


def test_every_target_is_up_and_nothing_fires(driver: LabDriver) -> None:
    assert until(lambda: not unhealthy(driver), within=60) is not None, unhealthy(driver)
    seen = {h.name for h in driver.health() if h.layer == "monitoring"}
    assert seen == {
        "prometheus@dc1-ops1",
        "prometheus@dc2-ops1",
        "alertmanager@dc1-ops1",
        "alertmanager@dc2-ops1",
        "alertmanager@dc3-ops1",
    }
    # Not even pending, unless its `for` is hours long: an alert whose `for` runs out within the lab's life
    # would fire in the steady state a moment later. (A backup the lab never runs is pending for a day.) Awaited:
    # a member that joined just before the health said ready is seen by the rules a scrape and an evaluation later.
    durations = {r.name: r.duration_s for r in lab_alerts.rules(rule_files())}

    def soon(prometheus: str) -> list[dict[str, Any]] | None:
        """Its alerts whose `for` is under an hour, None while it does not answer."""
        found = api(prometheus, PROMETHEUS_PORT, "/api/v1/alerts")
        if found is None:
            return None
        return [a for a in found["data"]["alerts"] if durations.get(a["labels"]["alertname"], 0) < HOUR]

    for prometheus in ("dc1-ops1", "dc2-ops1"):

        def quiet(p: str = prometheus) -> bool:
            return soon(p) == []

        assert until(quiet, within=SETTLE_S) is not None, soon(prometheus)
    assert daemons.running(driver.services.run, FIREWALL, "node-exporter")
    assert daemons.running(driver.services.run, FIREWALL, "frr-exporter")


def test_a_stopped_node_exporter_is_notified_and_resolved(driver: LabDriver) -> None:
    assert until(lambda: not unhealthy(driver), within=60) is not None, unhealthy(driver)
    artifacts = {a.path: a.content for a in render(load_design(REFERENCE).design)}
    found = lab_alerts.rules([t for p, t in artifacts.items() if p.startswith("platform/monitoring/rules/")])
    roles = lab_alerts.node_roles([t for p, t in artifacts.items() if p.endswith("targets/node.json")])
    [name] = lab_alerts.expected(f"service:{FIREWALL}:node-exporter", roles, found)
    rendered = next(r for r in found if r.name == name)
    o = MONITORING
    rule = replace(rendered, duration_s=o.for_s(rendered.duration_s, 15))  # as the lab's Prometheus waits it
    bound = lab_alerts.bound_s(
        rule, o.scrape_interval_s, o.scrape_timeout_s, o.evaluation_interval_s, o.notify_s
    )
    log = notifications_log(driver.lab_dir)
    injected = time.time()
    driver.service_fault(FIREWALL, "node-exporter", "stop")
    try:
        fired = until(
            lambda: lab_alerts.first(log, name, "firing", injected, host=FIREWALL) is not None, 3 * bound
        )
        assert fired is not None, (name, firing("dc1-ops1"))
    finally:
        driver.service_fault(FIREWALL, "node-exporter", "start")
    mended = time.time()
    resolved = until(lambda: lab_alerts.first(log, name, "resolved", mended, host=FIREWALL) is not None, 60)
    assert resolved is not None, (name, firing("dc1-ops1"))
    measured = lab_alerts.time_to_alert(log, name, injected, mended, host=FIREWALL)
    assert measured.to_alert is not None and measured.to_alert <= bound + 1, (measured, bound)
    assert until(lambda: not unhealthy(driver), within=60) is not None, unhealthy(driver)
