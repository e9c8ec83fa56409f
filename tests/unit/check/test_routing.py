"""Routing: every line's BGP sessions established with routes both ways, BFD up where designed."""

from __future__ import annotations

from tests.unit.check.fakes import Delivered, reality
from trisite.check import routing
from trisite.check.result import Check
from trisite.model import Design


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "fail"]


def test_as_designed_every_session_is_up(reference: Design) -> None:
    checks = routing.check(reference, reality(Delivered(reference)))
    sessions = sum(len(u.firewalls) for u in reference.uplinks)
    assert len(checks) == 2 * sessions and not failures(checks)  # BGP and BFD for each


def test_a_session_down_no_routes_a_missing_neighbour_and_bfd_down(reference: Design) -> None:
    delivered = Delivered(reference)
    delivered.bgp["dc3-fw2"]["203.0.113.17"] = {"state": "Active", "pfxRcd": 0, "pfxSnt": 0}
    delivered.bgp["dc2-fw1"]["203.0.113.9"]["pfxRcd"] = 0
    del delivered.bgp["dc1-fw2"]["203.0.113.1"]
    delivered.bfd["dc1-fw1"][0]["status"] = "down"
    found = {
        (c.subject.split(" ")[0], c.kind): c for c in failures(routing.check(reference, reality(delivered)))
    }
    assert set(found) == {
        ("dc3-fw2", "down"),
        ("dc2-fw1", "prefixes"),
        ("dc1-fw2", "missing"),
        ("dc1-fw1", "bfd"),
    }
    down = found["dc3-fw2", "down"]
    assert "op-south" in down.subject and "ask op-south to enable its session to dc3-fw2" in down.hint
    assert down.found == "Active, 0 received, 0 sent"


def test_a_firewall_without_frr_is_unreadable(reference: Design) -> None:
    delivered = Delivered(reference)
    delivered.silent.add("dc2-fw2")
    found = failures(routing.check(reference, reality(delivered)))
    assert {(c.subject.split(" ")[0], c.kind) for c in found} == {("dc2-fw2", "unreadable")}
