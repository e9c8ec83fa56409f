"""Flows: the scan plan (vantages, targets, ports, what each probe must find), and the comparison of a scan
with it: declared flows blocked, undeclared ones passing (traced to their firewall), temporary rules left."""

from __future__ import annotations

import pytest

from tests.unit.check.fakes import CAPABILITIES, Delivered, Scanner
from trisite.check import flows
from trisite.check.flowscan import INTERNET, ScanPlan
from trisite.check.reality import Reality
from trisite.check.result import Check
from trisite.model import Design

SCANS = CAPABILITIES | {"scan:flows", "scan:internet", "observe:bootstrap-rules"}


class WithRules(Delivered):
    """Devices whose bootstrap chain still holds rules (tests put them there)."""

    def __init__(self, design: Design) -> None:
        super().__init__(design)
        self.rules: dict[str, str] = {}

    def observe(self, device: str, what: str) -> str:
        if what == "bootstrap-rules":
            return self.rules.get(device, "")
        return super().observe(device, what)


def reality(design: Design, scanner: Scanner, journal: dict[str, str] | None = None) -> Reality:
    return Reality(WithRules(design), None, SCANS, scanner=scanner, journal=journal or {}, parallel=2)


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "fail"]


def test_the_plan_scans_from_each_zone_the_station_and_the_internet(reference: Design) -> None:
    plan = ScanPlan(reference, internet=True)
    zones = {v.side.zone for v in plan.vantages}
    assert {"mgmt", "cloud", "containers", "outside"} <= zones
    assert "deployer" in [v.device for v in plan.vantages] and plan.vantages[-1].device == INTERNET
    # The declared ports are scanned (a wide range by its ends and middle), with the common and sampled ones.
    assert {22, 443, 3300, 6800, 7050, 7300, 9283, 3306} <= set(plan.ports["tcp"])
    assert {53, 623, 161} <= set(plan.ports["udp"]) and len(plan.ports["tcp"]) > 50
    for vantage in plan.vantages:
        targets = plan.targets(vantage)
        assert targets and all(t.side.network not in vantage.networks for t in targets)
    # Ceph's networks have no gateway: no firewall routes them, so nobody outside them is scanned there.
    mgmt = next(v for v in plan.vantages if v.side.zone == "mgmt")
    assert not [t for t in plan.targets(mgmt) if t.side.zone == "storage"]


def test_the_plan_expects_exactly_the_flow_matrix(reference: Design) -> None:
    plan = ScanPlan(reference, internet=True)
    internet = next(v for v in plan.vantages if v.device == INTERNET)
    allowed = {(p.target.name, p.key): p.flow.name for p in plan.probes(internet) if p.flow}
    assert allowed[("ra-ctl1", "tcp/443")] == "web-in" and allowed[("dc1-ops1", "udp/53")] == "dns-in"
    assert ("ra-ctl1", "tcp/22") not in allowed
    deployer = next(v for v in plan.vantages if v.device == "deployer")
    ssh = [p for p in plan.probes(deployer) if p.key == "tcp/22" and p.target.name == "dc2-ceph1"]
    assert ssh and ssh[0].flow is None  # the deployment's ssh flow is gone once it removed it
    during = ScanPlan(reference, internet=True, bootstrap=True)
    ssh = [p for p in during.probes(deployer) if p.key == "tcp/22" and p.target.name == "dc2-ceph1"]
    assert ssh[0].flow is not None and ssh[0].flow.name == "deploy-ssh"


def test_as_designed_every_declared_flow_passes_and_nothing_else(reference: Design) -> None:
    scanner = Scanner(reference)
    found = flows.check(reference, reality(reference, scanner))
    assert not failures(found), failures(found)[:3]
    kinds = {c.kind for c in found}
    assert {"declared", "undeclared"} <= kinds
    assert any(c.subject == "from internet (outside): flow web-in" for c in found)
    assert sorted(scanner.scanned) == sorted(v.device for v in ScanPlan(reference, internet=True).vantages)


def test_an_undeclared_flow_is_named_with_its_firewall_zones_and_port(reference: Design) -> None:
    scanner = Scanner(reference)
    scanner.leaks.add(("ra-ctl1", "198.18.1.11", "tcp/3306"))
    scanner.hops = ["198.18.40.242"]  # dc1-fw1's address on cloud-internal
    found = failures(flows.check(reference, reality(reference, scanner)))
    assert [(c.subject, c.kind) for c in found] == [("from ra-ctl1 (cloud) to dc1-mgmt (mgmt)", "undeclared")]
    assert "198.18.1.11 (dc1-ceph1) tcp/3306" in found[0].found and "passed by dc1-fw1" in found[0].found
    assert found[0].hint.startswith("remove the rule on dc1-fw1 that passes tcp/3306 from cloud to mgmt")


def test_a_declared_flow_blocked_is_named(reference: Design) -> None:
    scanner = Scanner(reference)
    scanner.blocks.add((INTERNET, "198.51.100.41", "tcp/443"))
    found = failures(flows.check(reference, reality(reference, scanner)))
    assert [(c.subject, c.kind) for c in found] == [("from internet (outside): flow web-in", "blocked")]
    assert (
        "198.51.100.41 (ra-ctl1) tcp/443" in found[0].found
        and "drops the declared flow web-in" in found[0].hint
    )


@pytest.mark.parametrize("left", ["", "ip saddr @ep_deployer_v4 tcp dport { 22 } accept"])
def test_temporary_rules_are_gone_once_the_deployment_removed_them(reference: Design, left: str) -> None:
    journal = {"dc1-fw1:temporary-rules": "done", "dc1-fw1:remove-temporary-rules": "done"}
    journal |= {"dc2-fw1:temporary-rules": "done"}  # not removed yet: nothing to check there
    real = reality(reference, Scanner(reference), journal)
    assert isinstance(real.devices, WithRules)
    real.devices.rules["dc1-fw1"] = left
    real.devices.rules["dc2-fw1"] = "still there, as it should"
    found = {c.subject: c for c in flows.bootstrap_rules(real)}
    assert found["dc2-fw1 temporary rules"].status == "skip"
    assert found["dc1-fw1 temporary rules"].status == ("fail" if left else "pass")
    if left:
        assert (
            found["dc1-fw1 temporary rules"].found == left
            and "nft flush chain" in found["dc1-fw1 temporary rules"].hint
        )


def test_the_probe_count_and_duration_are_noted(reference: Design) -> None:
    real = reality(reference, Scanner(reference))
    flows.check(reference, real)
    total = sum(
        len(ScanPlan(reference, internet=True).probes(v)) for v in ScanPlan(reference, internet=True).vantages
    )
    assert real.notes["flows"][0].startswith(f"{total} probes from 6 vantages in ")


def test_without_a_scanner_the_scan_is_skipped(reference: Design) -> None:
    real = Reality(Delivered(reference), None, CAPABILITIES)
    found = flows.check(reference, real)
    assert [(c.subject, c.status) for c in found] == [("flow scan", "skip")]
