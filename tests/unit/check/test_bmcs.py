"""BMCs: a hang detected within the deadline, and each thing a delivered BMC gets wrong named with a fix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.check.fakes import NOW, Bmcs, Delivered, reality
from trisite.check import bmcs
from trisite.check.result import Check
from trisite.model import Design


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "fail"]


def run(design: Design, cards: Bmcs) -> list[Check]:
    return bmcs.check(design, reality(Delivered(design), cards))


def test_as_delivered_right_every_bmc_passes(reference: Design) -> None:
    cards = Bmcs(reference)
    checks = run(reference, cards)
    assert len(checks) == 9 * len(reference.servers) and not failures(checks)
    assert set(cards.timeouts) == {1.5}  # the deadline is handed to the driver: a hang is not waited on


def test_a_hung_bmc_is_named_with_what_to_do(reference: Design) -> None:
    cards = Bmcs(reference)
    cards.hung.add("dc3-ops1")
    found = failures(run(reference, cards))
    assert [(c.subject, c.kind) for c in found] == [("dc3-ops1 answers", "hangs")]
    assert "198.18.13.17" in found[0].expected and "power-cycle" in found[0].hint


@pytest.mark.parametrize(
    ("change", "kind", "found"),
    [
        ({"health": "Critical"}, "health", "Critical"),
        ({"datetime": "2027-01-15T13:00:00+00:00"}, "clock", "off by 5 h 0 min"),
        ({"offset": "+02:00"}, "timezone", "offset +02:00"),
        ({"raid_types": {"1/0": ["RAID0", "RAID1"]}}, "no-jbod", "1/0: RAID0, RAID1"),
        ({"raid_types": {"1/0": ["RAID1"]}}, "controller", "1/0: RAID1"),
        ({"boot_mode": "Legacy"}, "boot-mode", "Legacy"),
        ({"nics": ["one"]}, "nics", "1 listed"),
        ({"firmware": "0.99"}, "firmware", "0.99"),
    ],
)
def test_each_mismatch_of_one_server(
    reference: Design, change: dict[str, Any], kind: str, found: str
) -> None:
    cards = Bmcs(reference)
    assert NOW == 1_800_000_000.0  # 2027-01-15T08:00:00Z: the skewed clock above is 5 h ahead
    cards.facts["dc1-ceph1"] |= change
    seen = failures(run(reference, cards))
    assert [(c.subject.split(" ")[0], c.kind) for c in seen] == [("dc1-ceph1", kind)]
    assert found in seen[0].found and seen[0].hint


def test_bios_attributes_the_design_expects(reference: Design) -> None:
    server = reference.servers[0]
    wanting = server.model_copy(
        update={"bios": server.bios.model_copy(update={"attributes": {"SriovGlobalEnable": "Enabled"}})}
    )
    design = reference.model_copy(update={"servers": [wanting, *reference.servers[1:]]})
    cards = Bmcs(design)
    assert not failures(run(design, cards))
    cards.facts[server.name]["bios_attributes"] = {"SriovGlobalEnable": "Disabled"}
    seen = failures(run(design, cards))
    assert [(c.kind, c.found) for c in seen] == [("bios", "SriovGlobalEnable=Disabled")]
    cards.facts[server.name]["bios_attributes"] = None
    assert [c.found for c in failures(run(design, cards))] == ["no Bios resource"]


def test_a_local_time_clock_expects_its_zone_offset(reference: Design) -> None:
    server = reference.servers[0]
    local = server.model_copy(
        update={"bios": server.bios.model_copy(update={"clock": "localtime", "timezone": "Europe/Paris"})}
    )
    assert bmcs.expected_offset(local, NOW) == "+01:00"  # January: CET
    assert bmcs.expected_offset(server, NOW) == "+00:00"
