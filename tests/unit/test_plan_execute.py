"""The deployment plan's order and the runner: files before services, secrets filled in, failures named."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers.fake import FakeDriver
from trisite.errors import ExecuteError, PlanError
from trisite.execute.runner import execute, fill_secrets
from trisite.model import load_design
from trisite.plan.deploy import Plan, Step, network_plan
from trisite.render import render

DESIGN = load_design(EXAMPLES / "three-sites" / "design.yaml").design
ARTIFACTS = render(DESIGN)
FIREWALLS = [f.name for f in DESIGN.firewalls if f.kind == "physical"]


def test_each_firewall_gets_filter_then_routing_then_addresses() -> None:
    plan = network_plan(ARTIFACTS, FIREWALLS)
    steps = [s.id for s in plan.steps if s.device == "dc1-fw1"]
    assert steps == ["dc1-fw1:filter", "dc1-fw1:routing", "dc1-fw1:ha"]
    waves = plan.waves()
    assert len(waves) == 3 and {s.device for s in waves[0]} == set(FIREWALLS)


def test_virtual_firewalls_are_first_vms_after_every_physical_firewall() -> None:
    virtual = [f.name for f in DESIGN.firewalls if f.kind == "virtual"]
    plan = network_plan(ARTIFACTS, FIREWALLS + virtual, virtual)
    waves = plan.waves()
    assert {s.device for s in waves[3]} == set(virtual) and len(waves) == 6
    vfw = next(s for s in plan.steps if s.device == virtual[0])
    assert vfw.phase == "first-vms" and set(vfw.after) == {f"{f}:ha" for f in FIREWALLS}


def test_a_cycle_is_refused() -> None:
    plan = Plan(
        (Step("a", "x", None, "firewalls", (), (), ("b",)), Step("b", "x", None, "firewalls", (), (), ("a",)))
    )
    with pytest.raises(PlanError, match="wait on each other"):
        plan.waves()


def test_the_runner_puts_files_with_secrets_then_starts_services() -> None:
    driver = FakeDriver()
    run = execute(
        network_plan(ARTIFACTS, FIREWALLS), {a.path: a for a in ARTIFACTS}, driver, lambda name: f"<{name}>"
    )
    assert len(run.done) == 18
    content, mode = driver.files[("dc1-fw1", "/etc/frr/frr.conf")]
    assert "password <bgp-md5>" in content and "${secret:" not in content and mode == "0640"
    assert ("dc1-fw1", "frr", "start") in driver.services
    order = [s for s in driver.services if s[0] == "dc1-fw1"]
    assert order[0][1] == "nftables" and order[1][1] == "frr"


def test_a_failing_step_is_named() -> None:
    driver = FakeDriver(fail_on={("dc2-fw1", "frr")})
    with pytest.raises(ExecuteError, match="step dc2-fw1:routing: dc2-fw1: frr failed to start"):
        execute(network_plan(ARTIFACTS, FIREWALLS), {a.path: a for a in ARTIFACTS}, driver, lambda _: "x")


def test_a_target_without_the_capability_refuses_up_front() -> None:
    driver = FakeDriver(capabilities=frozenset({"exec", "put", "service:nftables"}))
    with pytest.raises(ExecuteError, match="cannot run frr"):
        execute(network_plan(ARTIFACTS, FIREWALLS), {a.path: a for a in ARTIFACTS}, driver, lambda _: "x")


def test_fill_secrets() -> None:
    assert fill_secrets("a ${secret:k1} b ${secret:k2}", lambda n: n.upper()) == "a K1 b K2"
