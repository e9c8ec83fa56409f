"""A lab built from a copy of the design whose cabling a supplier changed, checked against the original: every
changed cable is reported at its ends; BMCs through `--target site` against sushy-tools' emulator."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.lab.redfish_lab import MINIMAL, PASSWORD, bmc_lab
from trisite import pipelines
from trisite.check.result import CheckReport
from trisite.drivers.netns import call_in_netns
from trisite.drivers.targets import SiteAccess
from trisite.lab import build, session
from trisite.model import Design, load_design

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-check-recabled"


def recabled(design: Design) -> Design:
    """dc2-ceph1's and dc2-ceph2's first NICs each in the other's switch port; dc3-ops1's eno2 moved to swp20."""
    moved = {
        "dc2-ceph1:eno1": "dc2-sw1:swp4",
        "dc2-ceph2:eno1": "dc2-sw1:swp3",
        "dc3-ops1:eno2": "dc3-sw2:swp20",
    }
    cables = [c.model_copy(update={"b": moved[c.a]}) if c.a in moved else c for c in design.cables]
    return design.model_copy(update={"cables": cables})


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckReport]:
    saved = build.STATE_ROOT
    build.STATE_ROOT = tmp_path_factory.mktemp("lab")
    original = load_design(REFERENCE)
    changed = recabled(original.design)
    assert [c.b for c in changed.cables] != [c.b for c in original.design.cables]
    try:
        session.up(dataclasses.replace(original, design=changed), LAB, str(REFERENCE))
        deadline = time.monotonic() + 30
        found = pipelines.check_job(original, "lab", ["cabling"], lab=LAB)
        # Until every port still cabled has heard its neighbour (dc3-sw2:swp9 stays empty: its cable moved).
        while sum(c.kind == "missing" for c in found.failures) > 1 and time.monotonic() < deadline:
            time.sleep(1)
            found = pipelines.check_job(original, "lab", ["cabling"], lab=LAB)
        yield found
    finally:
        build.down(LAB)
        build.STATE_ROOT = saved


def test_every_changed_cable_is_reported_at_its_ends(report: CheckReport) -> None:
    found = {c.subject.split(" ")[0]: c for c in report.failures}
    assert set(found) == {
        "dc2-ceph1:eno1", "dc2-ceph2:eno1", "dc2-sw1:swp3", "dc2-sw1:swp4", "dc3-ops1:eno2", "dc3-sw2:swp20",
        "dc3-sw2:swp9",
    }  # fmt: skip
    assert found["dc2-ceph1:eno1"].kind == "swapped"
    assert found["dc2-ceph1:eno1"].hint == "swap the far ends of dc2-ceph1:eno1 and dc2-ceph2:eno1"
    assert (found["dc3-ops1:eno2"].kind, found["dc3-ops1:eno2"].found) == ("wrong-port", "dc3-sw2:swp20")
    assert found["dc3-sw2:swp20"].kind == "unexpected"  # a cable on a port the design leaves empty
    assert found["dc3-sw2:swp9"].kind == "missing"  # and none where the design has one


def site_check(name: str, quirk: str, monkeypatch: pytest.MonkeyPatch) -> CheckReport:
    """`trisite check --target site -k bmcs` from the BMC network (as a station there), the design's account."""
    monkeypatch.setenv("TRISITE_BMC_PASSWORD", PASSWORD)
    with bmc_lab(name, quirk) as (design, bmcs):
        record = next(iter(bmcs.records.values()))
        loaded = dataclasses.replace(load_design(MINIMAL), design=design)
        access = SiteAccess(bmc_ca=Path(record["ca"]))
        return call_in_netns(
            record["netns"], lambda: pipelines.check_job(loaded, "site", ["bmcs"], site=access, bmc_timeout=2)
        )


def test_site_target_checks_sushy_tools_bmcs(lab_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lab_root.name == "state"
    clean = site_check("chk-site", "", monkeypatch)
    assert clean.target == "site" and clean.ok, [(c.subject, c.found) for c in clean.failures]
    assert len(clean.categories[0].checks) == 9
    delivered = site_check("chk-site-bad", "raid-only,clock-hours,timezone", monkeypatch)
    assert sorted(c.kind for c in delivered.failures) == ["clock", "no-jbod", "timezone"]


def test_site_target_names_a_hung_bmc_within_the_deadline(
    lab_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lab_root.name == "state"
    started = time.monotonic()
    hung = site_check("chk-site-hung", "hangs", monkeypatch)
    assert [c.kind for c in hung.failures] == ["hangs"]
    assert "no answer within 2 s" in hung.failures[0].found
    assert time.monotonic() - started < 30  # the emulator's start and stop included; the hang costs 2 s
