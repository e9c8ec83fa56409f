"""Each supplier defect alone: a lab delivered with that one defect, checked in the category that must find it,
finds exactly it, named with its ports, devices or servers and a fix hint.

A lab per defect (a defect is delivered when the lab is built); only the two defects that need a running
platform (a BGP session, a firewall's rules) wait for a deployment, the others are checked as delivered, before
anything is deployed, as a supplier's delivery is accepted."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import EXAMPLES
from trisite import pipelines
from trisite.check.result import Check
from trisite.lab import build, defects, session
from trisite.model import Design, LoadedDesign, load_design

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-check-each"
SETTLED = 60.0  # LLDP heard on every port, BGP sessions up: seconds after the lab or the deployment


def _bmcs(server: Callable[[Design], str], kind: str, found: str) -> Callable[[Design, list[Check]], None]:
    def judge(design: Design, failures: list[Check]) -> None:
        assert [(c.subject.split(" ")[0], c.kind) for c in failures] == [(server(design), kind)]
        assert found in failures[0].found and failures[0].hint

    return judge


def _mtu(design: Design, failures: list[Check]) -> None:
    """The port left at 1500 is named; measured as delivered, the link's throughput may die with it (the
    firewalls send 9000-byte segments the far end drops), and nothing else fails."""
    port, man = design.man_links[0].b, design.man_links[0].name
    mtu = [c for c in failures if c.kind == "mtu"]
    assert len(mtu) == 1 and f"{port} 1500" in mtu[0].found and f"set MTU 9000 on {port}" in mtu[0].hint
    others = [c for c in failures if c.kind != "mtu"]
    assert all(c.kind == "throughput" and c.subject.startswith(f"MAN link {man} ") for c in others), others


def _slow(design: Design, failures: list[Check]) -> None:
    """The shaped port is named, and iperf3 through the line measures about its rate."""
    line = design.uplinks[0].name
    assert sorted(c.kind for c in failures) == ["slow", "throughput"]
    assert all(c.subject.startswith(f"line {line}") for c in failures)
    slow = next(c for c in failures if c.kind == "slow")
    assert f"operator:{line}:handoff 1G" in slow.found and "have the supplier fix it" in slow.hint
    measured = next(c for c in failures if c.kind == "throughput")
    assert 500 < int(measured.found.split()[0]) < 1400 and measured.hint


def _swapped(design: Design, failures: list[Check]) -> None:
    """Two fibres from one site land on each other's far end: reported at the four ends of the two links."""
    delivered = defects.as_delivered(design, defects.chosen(["swapped-man-cables"]))
    changed = [m for m, d in zip(design.man_links, delivered.man_links, strict=True) if m.b != d.b]
    ends = {c.subject.split(" ")[0]: c for c in failures}
    assert len(changed) == 2 and set(ends) == {e for m in changed for e in (m.a, m.b)}
    assert {c.kind for c in failures} <= {"swapped", "misplaced"} and all(c.hint for c in failures)
    first = changed[0]
    assert ends[first.a].expected == first.b and f"meant for {changed[1].a}" in ends[first.a].found


def _wrong_site(design: Design, failures: list[Check]) -> None:
    shipped = defects.DEFECTS["switch-at-wrong-site"].announces
    assert shipped is not None
    assert failures and {c.kind for c in failures} == {"wrong-site"}
    assert {c.found.split(":")[0] for c in failures} == set(shipped(design)) == {"dc1-sw1", "dc2-sw1"}
    assert all("swap it with the one prepared as" in c.hint for c in failures)


def _bgp(_design: Design, failures: list[Check]) -> None:
    assert [(c.subject, c.kind) for c in failures] == [
        ("dc3-fw2 BGP to 203.0.113.17 (op-south, dc3-transit)", "down")
    ]
    assert "ask op-south to enable its session to dc3-fw2" in failures[0].hint


def _extra_flow(_design: Design, failures: list[Check]) -> None:
    assert [c.kind for c in failures] == ["undeclared"], [(c.subject, c.found) for c in failures]
    leak = failures[0]
    assert leak.subject.startswith("from ") and "(cloud) to dc1-mgmt (mgmt)" in leak.subject
    assert "tcp/3306" in leak.found and "passed by dc1-fw1" in leak.found
    assert leak.hint.startswith("remove the rule on dc1-fw1 that passes tcp/3306 from cloud to mgmt")


# defect -> (the category that finds it, whether it needs a deployment, what it must find)
CASES: dict[str, tuple[str, bool, Callable[[Design, list[Check]], None]]] = {
    "bmc-clock": ("bmcs", False, _bmcs(lambda d: d.servers[1].name, "clock", "off by 5 h 0 min")),
    "bmc-timezone": ("bmcs", False, _bmcs(lambda d: d.servers[2].name, "timezone", "offset +02:00")),
    "bmc-hangs": ("bmcs", False, _bmcs(lambda d: d.servers[-1].name, "hangs", "no answer")),
    "no-jbod": ("bmcs", False, _bmcs(lambda d: d.servers[0].name, "no-jbod", "RAID0")),
    "man-mtu": ("links", False, _mtu),
    "slow-line": ("links", False, _slow),
    "swapped-man-cables": ("cabling", False, _swapped),
    "switch-at-wrong-site": ("cabling", False, _wrong_site),
    "bgp-down": ("routing", True, _bgp),
    "extra-permitted-flow": ("flows", True, _extra_flow),
}


def test_every_defect_has_a_case() -> None:
    assert sorted(CASES) == sorted(defects.DEFECTS)


@pytest.fixture
def delivered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoadedDesign]:
    defect: str = request.param
    saved = build.STATE_ROOT
    build.STATE_ROOT = tmp_path_factory.mktemp("lab")
    loaded = load_design(REFERENCE)
    try:
        session.up(loaded, LAB, str(REFERENCE), [defect])
        if CASES[defect][1]:
            pipelines.deploy_job(loaded, "lab", lab=LAB)
        yield loaded
    finally:
        build.down(LAB)
        build.STATE_ROOT = saved


@pytest.mark.parametrize("delivered", sorted(CASES), indirect=True)
def test_each_defect_alone_is_found_and_named(
    delivered: LoadedDesign, request: pytest.FixtureRequest
) -> None:
    defect = request.node.callspec.params["delivered"]
    category, _, judge = CASES[defect]
    deadline = time.monotonic() + SETTLED
    # Until what only needs time has settled (LLDP heard, BGP up): then the finding is the defect's.
    while True:
        report = pipelines.check_job(delivered, "lab", [category], lab=LAB)
        try:
            judge(delivered.design, report.failures)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(1)
