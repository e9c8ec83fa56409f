"""The campaign's guard rails: a fault that would take a quorum is refused unless its scenario allows it; an
unhealthy service fails the steady state; a row whose layer the lab does not run is the twin's, saying why;
an HTTP probe is a probe kind of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pytest

from tests.conftest import EXAMPLES
from tests.unit.test_prove_measure import FakeFaults, Probe
from trisite.drivers.netns import namespace
from trisite.drivers.protocols import ProbeResult, parse_probe
from trisite.errors import DriverError
from trisite.lab.plan import plan as lab_plan
from trisite.model import load_design
from trisite.prove import alerts, campaign, guard, measure
from trisite.prove.catalog import campaign_catalog
from trisite.prove.scenarios import Scenario, Vantage, site_mesh, with_probe
from trisite.report.campaign import alerts_table, headline, how, measured, sites_table
from trisite.verify.twin import Twin

DESIGN = load_design(EXAMPLES / "three-sites" / "design.yaml").design
TWIN = Twin(DESIGN)
CONTROLLER = next(s for s in campaign_catalog(DESIGN) if s.key == "stop-of-openstack-controller-1")
TWO_CONTROLLERS = replace(CONTROLLER, name="Two controllers", faults=("vm:ra-ctl1", "vm:ra-ctl2"))


@dataclass(frozen=True)
class Reading:
    layer: str
    name: str
    ok: bool
    detail: str


class LayeredFaults(FakeFaults):
    """A fake lab: some service layers, and the health it reads back."""

    def __init__(self, *patterns: str, layers: frozenset[str], health: list[Reading]) -> None:
        super().__init__(*patterns)
        self.layers, self.readings = layers, health

    def health(self) -> list[Reading]:
        return self.readings

    def probe(self, device: str, target: str, interval: float, kind: str = "icmp") -> Probe:
        self.probed = (device, target, interval, kind)
        return Probe(self.patterns.pop(0))


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BASELINE", "OBSERVE", "SETTLE", "CHECK", "STEADY_WAIT"):
        monkeypatch.setattr(measure, name, 0.0)


def test_one_controller_keeps_the_quorum_two_do_not() -> None:
    assert guard.quorums_lost(TWIN, ["vm:ra-ctl1"]) == []
    assert guard.quorums_lost(TWIN, ["vm:ra-ctl1", "vm:ra-ctl2"]) == ["openstack/region-a/api"]


def test_a_fault_that_takes_a_quorum_is_refused_and_nothing_is_cut() -> None:
    driver = LayeredFaults("o" * 40, layers=frozenset({"vips"}), health=[])
    result = campaign.run(DESIGN, driver, [TWO_CONTROLLERS]).results[0]
    assert driver.calls == [] and not result.ok
    assert result.run is not None and "quorum of openstack/region-a/api" in result.run.refused
    assert measured(result).startswith("refused: guard rail")


def test_a_scenario_may_allow_the_loss_of_a_quorum() -> None:
    allowed = replace(TWO_CONTROLLERS, quorum_loss=True)
    assert guard.refusal(TWIN, allowed, ["vm:ra-ctl1", "vm:ra-ctl2"]) is None


def test_an_unhealthy_service_fails_the_steady_state() -> None:
    sick = [Reading("etcd", "core", False, "2/3 members answer")]
    driver = LayeredFaults("o" * 40, layers=frozenset({"vips"}), health=sick)
    found = measure.check(driver, CONTROLLER)
    assert not found.ok and found.unhealthy == ("etcd core: 2/3 members answer",)
    assert driver.probed == ("internet", "198.51.100.20", measure.HTTP_INTERVAL, "http:443")
    assert "not healthy: etcd core" in found.text


def test_a_row_whose_layer_the_lab_does_not_run_is_the_twins_and_says_why() -> None:
    driver = LayeredFaults(layers=frozenset({"dns"}), health=[])
    result = campaign.run(DESIGN, driver, [CONTROLLER]).results[0]
    assert result.obtained == "twin" and driver.calls == []
    assert "the lab runs no vips" in how(result)


def test_a_site_runs_every_layer() -> None:
    assert guard.missing_layers(object(), CONTROLLER) == []


def test_http_is_a_probe_kind() -> None:
    assert parse_probe("http:443") == ("http", 443)
    with pytest.raises(ValueError, match="http:PORT"):
        parse_probe("http")


def test_the_controller_rows_probe_the_regions_api_over_http_from_the_internet() -> None:
    assert (CONTROLLER.source, CONTROLLER.target, CONTROLLER.probe) == (
        "internet",
        "198.51.100.20",
        "http:443",
    )
    assert isinstance(CONTROLLER, Scenario) and CONTROLLER.layers == ("vips",)


def test_the_campaigns_probe_option_leaves_a_services_row_its_own_probe() -> None:
    assert with_probe(DESIGN, CONTROLLER, "icmp").probe == "http:443"
    assert with_probe(DESIGN, CONTROLLER, "tcp:80").target == CONTROLLER.target


def test_the_virtual_firewalls_rows_probe_a_tenant_vms_gateway() -> None:
    rows = {s.key: s for s in campaign_catalog(DESIGN)}
    failover, forced = rows["failover-of-the-virtual-firewalls"], rows["forced-stop-of-the-virtual-firewalls"]
    assert failover.faults == ("service:vfw1:keepalived",) and failover.twin_faults == ("vm:vfw1",)
    assert forced.faults == ("vm:vfw1",)
    for row in (failover, forced):
        assert (row.source, row.target, row.lab) == ("tenant-tenant-edge", "198.18.60.1", "measured")
    tenant = next(a for a in lab_plan(DESIGN).addresses if a.ns == namespace("tenant-tenant-edge"))
    assert tenant.cidr == "198.18.60.254/24"  # the network's last address the design gives nothing


class MeshFaults(FakeFaults):
    """A fake lab whose probes answer by source: the row's own, and one per vantage."""

    def __init__(self, by_source: dict[str, str]) -> None:
        super().__init__()
        self.by_source = by_source
        self.asked: list[tuple[str, str, str]] = []

    def probe(self, device: str, target: str, interval: float, kind: str = "icmp") -> PacedProbe:
        self.asked.append((device, target, kind))
        return PacedProbe(self.by_source[device], interval)


class PacedProbe(Probe):
    """A fake probe sending at its own interval."""

    def __init__(self, pattern: str, interval: float) -> None:
        super().__init__(pattern)
        self.interval = interval

    def stop(self) -> list[ProbeResult]:
        return [ProbeResult(i, round(i * self.interval, 4), c == "o") for i, c in enumerate(self.pattern)]


def test_each_site_says_what_it_saw_of_the_others_through_a_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(measure, "BASELINE", 1.5)  # fifteen vantage (and HTTP) probes before the fault
    mesh = (
        Vantage("dc1 -> dc2", "a", "198.18.2.17", "tcp:22"),
        Vantage("dc2 -> dc1", "b", "198.18.1.17", "tcp:22"),
    )
    driver = MeshFaults({"internet": "o" * 100, "a": "o" * 20 + "x" * 5 + "o" * 30, "b": "o" * 20 + "x" * 50})
    row = replace(CONTROLLER, layers=())
    result = campaign.run(DESIGN, driver, [row], vantages=mesh).results[0]
    assert result.run is not None
    seen = {s.vantage.label: s for s in result.run.seen}
    assert seen["dc1 -> dc2"].outage.seconds == pytest.approx(0.5)  # five probes 0.1 s apart
    assert seen["dc2 -> dc1"].outage.seconds is None and ("a", "198.18.2.17", "tcp:22") in driver.asked
    cells = sites_table(campaign.Campaign("p", "lab", "", 0.02, (result,))).rows[0]
    assert cells == (row.name, "0.50 s", "down until the rollback")  # the labels in order: dc1 -> dc2 first


def test_the_site_mesh_has_a_connection_the_flows_allow_per_ordered_pair_of_sites() -> None:
    mesh = site_mesh(DESIGN)
    assert [v.label for v in mesh] == [
        "dc1 -> dc2",
        "dc1 -> dc3",
        "dc2 -> dc1",
        "dc2 -> dc3",
        "dc3 -> dc1",
        "dc3 -> dc2",
    ]
    assert all(v.probe == "tcp:22" for v in mesh)  # backup-out: mgmt to the ops hosts


class AlertingFaults(MeshFaults):
    """A fake lab with monitoring: each fault should raise `FirewallDown`; `notified` says when it came."""

    def __init__(self, by_source: dict[str, str], notified: tuple[float | None, float | None]) -> None:
        super().__init__(by_source)
        self.notified = notified
        self.asked_alerts: list[tuple[str, ...]] = []

    def expected_alerts(self, faults: Sequence[str]) -> list[tuple[str, float]]:
        self.asked_alerts.append(tuple(faults))
        return [("FirewallDown", 0.05)]

    def alert_times(
        self, name: str, injected: float, mended: float | None
    ) -> tuple[float | None, float | None]:
        assert name == "FirewallDown"
        if mended is None:  # asked while the fault lasts: has it fired yet?
            return self.notified[0], None
        assert mended >= injected
        return self.notified


@pytest.mark.parametrize(
    ("notified", "ok"), [((0.01, 0.02), True), ((None, None), False), ((0.5, 0.02), False)]
)
def test_a_row_is_ok_only_when_its_alerts_fire_within_their_bound_and_resolve(
    monkeypatch: pytest.MonkeyPatch, notified: tuple[float | None, float | None], ok: bool
) -> None:
    monkeypatch.setattr(alerts, "RESOLVE_WAIT", 0.0)
    monkeypatch.setattr(measure, "BASELINE", 1.5)  # a steady baseline: 15 HTTP probes 0.1 s apart
    driver = AlertingFaults({"internet": "o" * 100}, notified)
    row = replace(CONTROLLER, layers=())
    result = campaign.run(DESIGN, driver, [row]).results[0]
    assert driver.asked_alerts == [row.faults] and len(result.alerts) == 1
    assert result.ok is ok
    report = campaign.Campaign("p", "lab", "", 0.02, (result,))
    assert alerts_table(report).rows[0][1] == "FirewallDown"
    assert ("1/1 fired" if ok else "0/1 fired") in headline(report)


def test_the_steady_state_probes_long_enough_for_a_sustained_answer_of_its_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A probe every 0.1 s needs 1.2 s for ten answers in a row (a 0.6 s check would give six)."""
    slept: list[float] = []
    monkeypatch.setattr(measure, "CHECK", 0.6)
    monkeypatch.setattr(measure, "HTTP_INTERVAL", 0.1)
    monkeypatch.setattr(measure.time, "sleep", slept.append)
    driver = LayeredFaults("o" * 12, layers=frozenset({"vips"}), health=[])
    measure.check(driver, CONTROLLER)
    assert slept == [pytest.approx((measure.SUSTAINED + 2) * 0.1)]


class BrokenProbeOnce(LayeredFaults):
    """The first row's probe fails to start (a driver error), the next row's works."""

    def probe(self, device: str, target: str, interval: float, kind: str = "icmp") -> Probe:
        if not getattr(self, "failed_once", False):
            self.failed_once = True
            raise DriverError("dc2-ceph2: Ceph client probe of pool ovirt-vms: not ready within 60 s")
        return super().probe(device, target, interval, kind)


def test_a_driver_error_fails_its_row_and_the_campaign_goes_on() -> None:
    driver = BrokenProbeOnce(*["o" * 40] * 4, layers=frozenset({"vips"}), health=[])
    second = replace(CONTROLLER, name="Again")
    first, then = campaign.run(DESIGN, driver, [CONTROLLER, second]).results
    assert not first.ok and first.run is not None
    assert "could not be measured: dc2-ceph2: Ceph client probe" in first.run.refused
    assert then.run is not None and then.run.refused == ""


class CountedHealth(LayeredFaults):
    def health(self) -> list[Reading]:
        self.reads = getattr(self, "reads", 0) + 1
        return self.readings


def test_a_healthy_reading_stands_for_the_check_just_after_an_unhealthy_one_never() -> None:
    driver = CountedHealth(*["o" * 40] * 3, layers=frozenset({"vips"}), health=[])
    assert measure.check(driver, CONTROLLER).ok and measure.check(driver, CONTROLLER).ok
    assert driver.reads == 1  # back to back: read once
    sick = CountedHealth(
        *["o" * 40] * 2, layers=frozenset({"vips"}), health=[Reading("etcd", "core", False, "")]
    )
    assert not measure.check(sick, CONTROLLER).ok and not measure.check(sick, CONTROLLER).ok
    assert sick.reads == 2  # a failing reading is read again, to see it mend
