"""Cabling: LLDP as delivered against the design, each kind of mismatch named with both ends and a fix."""

from __future__ import annotations

from tests.unit.check.fakes import Delivered, reality
from trisite.check import cabling
from trisite.check.result import Check
from trisite.lab import defects
from trisite.model import Design


def run(design: Design, delivered: Delivered) -> list[Check]:
    return cabling.check(design, reality(delivered))


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "fail"]


def test_as_designed_every_cabled_port_matches(reference: Design) -> None:
    checks = run(reference, Delivered(reference))
    assert checks and not failures(checks)
    ends = 2 * (len(reference.cables) + len(reference.man_links))
    assert len(checks) == ends  # every end of every cable runs LLDP in the reference


def test_swapped_man_fibres_are_named_with_the_other_end(reference: Design) -> None:
    delivered = Delivered(defects.as_delivered(reference, [defects.DEFECTS["swapped-man-cables"]]))
    found = failures(run(reference, delivered))
    assert {c.kind for c in found} == {"swapped"}
    first = next(c for c in found if c.subject.startswith("dc1-sw1:swp49"))
    assert first.expected == "dc2-sw1:swp49"
    assert first.found == "dc3-sw1:swp49 (meant for dc1-sw2:swp49, MAN link man-13)"
    assert first.hint == "swap the far ends of dc1-sw1:swp49 and dc1-sw2:swp49"
    assert len(found) == 4  # both ends of both fibres


def test_a_missing_neighbour_an_unexpected_one_and_a_wrong_port(reference: Design) -> None:
    delivered = Delivered(reference)
    del delivered.lldp["dc1-ceph1"]["eno1"]
    delivered.lldp["dc1-ceph1"]["eno3"] = ("dc1-sw1", "swp40")
    delivered.lldp["dc1-ceph2"]["eno1"] = ("dc1-sw1", "swp44")
    found = {c.subject.split(" ")[0]: c for c in failures(run(reference, delivered))}
    assert found["dc1-ceph1:eno1"].kind == "missing"
    assert "plug dc1-ceph1:eno1 into dc1-sw1:swp3" in found["dc1-ceph1:eno1"].hint
    assert (found["dc1-ceph1:eno3"].kind, found["dc1-ceph1:eno3"].found) == ("unexpected", "dc1-sw1:swp40")
    assert found["dc1-ceph2:eno1"].kind == "wrong-port"
    assert found["dc1-ceph2:eno1"].hint == "move the cable on dc1-sw1 from swp44 to swp4"


def test_a_switch_prepared_for_another_site(reference: Design) -> None:
    renamed = defects.announced_names(reference, [defects.DEFECTS["switch-at-wrong-site"]])
    found = failures(run(reference, Delivered(reference, renamed=renamed)))
    assert found and {c.kind for c in found} == {"wrong-site"}
    fw = next(c for c in found if c.subject.startswith("dc1-fw1:ix0"))
    assert (fw.expected, fw.found) == ("dc1-sw1:swp1 (at dc1)", "dc2-sw1:swp1 (a device of dc2)")
    assert "prepared as dc2-sw1 for dc2" in fw.hint


def test_a_device_that_cannot_be_read_is_a_finding(reference: Design) -> None:
    delivered = Delivered(reference)
    delivered.silent.add("dc2-sw2")
    found = failures(run(reference, delivered))
    assert [(c.subject, c.kind) for c in found] == [("dc2-sw2", "unreadable")]


def test_a_target_without_lldp_skips_and_says_why(reference: Design) -> None:
    checks = cabling.check(reference, reality(Delivered(reference), capabilities=frozenset()))
    assert [(c.status, c.hint) for c in checks] == [("skip", "this target cannot read LLDP neighbours")]


def test_lldpcli_json_one_neighbour_or_several() -> None:
    one = '{"lldp": {"interface": {"swp1": {"chassis": {"dc1-fw1": {}}, "port": {"id": {"value": "ix0"}}}}}}'
    assert cabling.parse(one) == {"swp1": ("dc1-fw1", "ix0")}
    assert cabling.parse('{"lldp": {}}') == {}
