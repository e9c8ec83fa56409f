"""`trisite check` on a lab delivered with every supplier defect at once: each is found and named with its
ports, devices or servers and a fix hint; what the defects do not touch still passes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import EXAMPLES
from trisite import pipelines
from trisite.check.result import Check, CheckReport
from trisite.drivers.host import LocalHost
from trisite.drivers.netns import namespace
from trisite.lab import build, defects, session
from trisite.model import load_design

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-check-defects"
ALL = sorted(defects.DEFECTS)
CONVERGED = 60.0


def _settled(report: CheckReport) -> bool:
    """BGP up everywhere but the one session the operator left down, and every LLDP neighbour heard."""
    kinds = {(c.category, c.kind) for c in report.failures}
    bgp_down = [c for c in report.failures if c.category == "routing"]
    return ("cabling", "missing") not in kinds and len(bgp_down) == 1


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckReport]:
    saved = build.STATE_ROOT
    build.STATE_ROOT = tmp_path_factory.mktemp("lab")
    loaded = load_design(REFERENCE)
    try:
        session.up(loaded, LAB, str(REFERENCE), ALL)
        pipelines.deploy_job(loaded, "lab", lab=LAB)
        deadline = time.monotonic() + CONVERGED
        found = pipelines.check_job(loaded, "lab", lab=LAB)
        while not _settled(found) and time.monotonic() < deadline:
            time.sleep(1)
            found = pipelines.check_job(loaded, "lab", lab=LAB)
        yield found
    finally:
        build.down(LAB)
        build.STATE_ROOT = saved


def failed(report: CheckReport, category: str) -> list[Check]:
    return [c for c in report.failures if c.category == category]


def test_swapped_man_fibres_and_the_switches_of_two_sites(report: CheckReport) -> None:
    cabling = failed(report, "cabling")
    man = {c.subject.split(" ")[0]: c for c in cabling if "MAN link" in c.subject}
    # dc1's two fibres land on each other's far end (dc2-sw1 and dc3-sw1): named from dc1 and from the far ends.
    assert man["dc1-sw2:swp49"].expected == "dc3-sw1:swp49"
    assert "meant for dc2-sw1:swp49" in man["dc1-sw2:swp49"].found
    assert man["dc3-sw1:swp49"].kind in ("swapped", "misplaced") and "man-13" in man["dc3-sw1:swp49"].subject
    wrong = [c for c in cabling if c.kind == "wrong-site"]
    assert {c.found.split(":")[0] for c in wrong} == {"dc1-sw1", "dc2-sw1"}
    fw = next(c for c in wrong if c.subject.startswith("dc1-fw1:ix0"))
    assert fw.found == "dc2-sw1:swp1 (a device of dc2)" and "prepared as dc2-sw1 for dc2" in fw.hint


def test_the_slow_line_and_the_man_mtu(report: CheckReport) -> None:
    links = {c.kind: c for c in failed(report, "links")}
    assert sorted(links) == ["mtu", "slow", "throughput"] and len(failed(report, "links")) == 3
    slow = links["slow"]
    assert slow.subject.startswith("line dc1-transit") and "10G" in slow.expected
    assert "operator:dc1-transit:handoff 1G" in slow.found
    # iperf3 through the shaped line: about 1 Gbit/s (the tbf's rate), below 70 % of the lab's 2 Gbit/s.
    measured = links["throughput"]
    assert measured.subject == "line dc1-transit throughput (dc1-fw1 - operator:dc1-transit)"
    assert 500 < int(measured.found.split()[0]) < 1400 and "have the supplier test it" in measured.hint
    # The MTU was left at the first delivered MAN link's far end: with the fibres swapped, that is man-13's.
    delivered = defects.as_delivered(load_design(REFERENCE).design, defects.chosen(ALL))
    port = delivered.man_links[0].b
    assert f"{port} 1500" in links["mtu"].found and f"set MTU 9000 on {port}" in links["mtu"].hint


def test_each_bmc_defect_names_its_server(report: CheckReport) -> None:
    design = load_design(REFERENCE).design
    found = {(c.subject.split(" ")[0], c.kind): c for c in failed(report, "bmcs")}
    assert set(found) == {
        (design.servers[-1].name, "hangs"),
        (design.servers[0].name, "no-jbod"),
        (design.servers[1].name, "clock"),
        (design.servers[2].name, "timezone"),
    }
    assert found[design.servers[1].name, "clock"].found.startswith("off by 5 h 0 min")
    assert found[design.servers[2].name, "timezone"].found == "offset +02:00"
    assert all(c.hint for c in found.values())


def test_the_bgp_session_left_down(report: CheckReport) -> None:
    routing = failed(report, "routing")
    assert [(c.subject, c.kind) for c in routing] == [
        ("dc3-fw2 BGP to 203.0.113.17 (op-south, dc3-transit)", "down")
    ]
    assert "ask op-south to enable its session to dc3-fw2" in routing[0].hint
    passing = next(c for c in report.categories if c.category == "routing").checks
    assert sum(c.status == "pass" for c in passing) >= 10  # the other sessions and their BFD are up


def test_the_extra_permitted_flow_is_traced_to_its_firewall(report: CheckReport) -> None:
    flows = failed(report, "flows")
    leaks = [c for c in flows if c.kind == "undeclared"]
    assert [c.subject for c in leaks] == ["from ra-ctl1 (cloud) to dc1-mgmt (mgmt)"]
    assert "tcp/3306" in leaks[0].found and "passed by dc1-fw1" in leaks[0].found
    assert leaks[0].hint.startswith("remove the rule on dc1-fw1 that passes tcp/3306 from cloud to mgmt")
    # The hung BMC drops its Redfish port: the declared flow to it is blocked too, and nothing else is.
    hung = load_design(REFERENCE).design.servers[-1].name
    blocked = [c for c in flows if c.kind == "blocked"]
    assert all(f"({hung}'s BMC) tcp/443" in c.found and c.found.startswith("1 blocked") for c in blocked)
    assert len(flows) == len(leaks) + len(blocked)


def test_a_temporary_rule_left_behind_is_found_in_the_chain_and_in_the_traffic(report: CheckReport) -> None:
    """The deployment journaled removing dc1-fw1's temporary rules; one is put back: the flows find it twice,
    in the live bootstrap chain and as SSH passing where no flow allows it. (Last: it changes the lab.)"""
    assert report.categories
    rule = ["nft", "add", "rule", "inet", "trisite", "bootstrap", "tcp", "dport", "22", "accept"]
    LocalHost().in_netns(namespace("dc1-fw1"), rule)
    found = pipelines.check_job(load_design(REFERENCE), "lab", ["flows"], lab=LAB)
    left = [c for c in found.failures if c.kind == "bootstrap"]
    assert [c.subject for c in left] == ["dc1-fw1 temporary rules"] and "tcp dport 22 accept" in left[0].found
    assert "nft flush chain inet trisite bootstrap" in left[0].hint
    ssh = [c for c in found.failures if c.kind == "undeclared" and "tcp/22" in c.found]
    assert ssh and any("dc1-fw1" in c.hint for c in ssh)
