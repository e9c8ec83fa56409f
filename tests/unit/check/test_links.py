"""Links: state, MTU and speed at both ends of every cable, MAN link and line."""

from __future__ import annotations

import json

from tests.unit.check.fakes import CAPABILITIES, Delivered, reality
from trisite.check import links, throughput
from trisite.check.result import Check
from trisite.drivers.observe import ports
from trisite.errors import DriverError
from trisite.model import Design
from trisite.model.links import OPERATOR


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "fail"]


def test_as_designed_every_link_matches(reference: Design) -> None:
    checks = links.check(reference, reality(Delivered(reference)))
    assert len(checks) == 3 * len(links.links(reference)) + 1 and not failures(checks)
    assert checks[-1].subject == "throughput" and checks[-1].status == "skip"  # the fake measures nothing


def test_an_mtu_mismatch_a_shaped_line_and_a_dead_port(reference: Design) -> None:
    delivered = Delivered(reference)
    delivered.ports["dc2-sw1"]["swp49"]["mtu"] = 1500
    delivered.ports["operator:dc1-transit"]["handoff"]["shaped_mbps"] = 1000
    delivered.ports["dc3-ceph1"]["eno2"]["up"] = False
    found = {
        (c.subject.split(" (")[0], c.kind): c for c in failures(links.check(reference, reality(delivered)))
    }
    assert set(found) == {
        ("MAN link man-12", "mtu"),
        ("line dc1-transit", "slow"),
        ("cable dc3-ceph1:eno2 - dc3-sw2:swp3", "down"),
    }
    mtu = found["MAN link man-12", "mtu"]
    assert (
        mtu.found == "dc1-sw1:swp49 9000, dc2-sw1:swp49 1500" and "set MTU 9000 on dc2-sw1:swp49" in mtu.hint
    )
    slow = found["line dc1-transit", "slow"]
    assert slow.expected == "10G at both ends" and "operator:dc1-transit:handoff 1G" in slow.found
    assert "bring dc3-ceph1:eno2 up" in found["cable dc3-ceph1:eno2 - dc3-sw2:swp3", "down"].hint


def test_a_port_negotiated_below_its_order_is_slow(reference: Design) -> None:
    delivered = Delivered(reference)
    delivered.ports["dc1-ceph1"]["eno1"]["speed_mbps"] = 10_000
    found = failures(links.check(reference, reality(delivered)))
    assert [(c.kind, c.expected) for c in found] == [("slow", "25G at both ends")]


def test_an_operator_end_the_target_cannot_see_is_left_out(reference: Design) -> None:
    delivered = Delivered(reference)
    delivered.ports["operator:dc1-transit"]["handoff"]["shaped_mbps"] = 1000
    site = reality(delivered, capabilities=CAPABILITIES - {"operator-end"})
    checks = links.check(reference, site)
    assert not failures(checks) and not any("operator:" in c.subject for c in checks)


def test_ports_from_ip_tc_and_sysfs() -> None:
    link = [{"ifname": "customer", "mtu": 1500, "flags": ["UP", "LOWER_UP"], "operstate": "UP"}]
    tbf = [{"kind": "tbf", "root": True, "options": {"rate": 125000000}}]  # `tc -j qdisc show dev customer`
    assert json.loads(ports(json.dumps(link), json.dumps(tbf))) == {
        "customer": {"mtu": 1500, "up": True, "speed_mbps": None, "shaped_mbps": 1000}
    }
    speeds = "/sys/class/net/customer/speed:25000\n/sys/class/net/lo/speed:-1\n"
    assert json.loads(ports(json.dumps(link), "[]", speeds))["customer"]["speed_mbps"] == 25000


class Meter:
    """iperf3 as a target measures it: every path at `rate`, but those listed slow or refused."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.slow: dict[str, float] = {}
        self.refused: set[str] = set()
        self.measured: list[tuple[str, str, str, bool]] = []

    def throughput(self, device: str, peer: str, address: str, *, reverse: bool = False) -> float:
        self.measured.append((device, peer, address, reverse))
        if peer in self.refused:
            raise DriverError(f"{device}: iperf3: unable to connect to server", device=device)
        return self.slow.get(peer, self.rate)

    def nominal_mbps(self, designed: int) -> int:
        return min(designed, 2000)


def test_throughput_of_each_man_link_and_line_against_a_fraction_of_nominal(reference: Design) -> None:
    meter = Meter(9000.0)
    meter.slow["operator:dc1-transit"] = 940.0
    meter.refused.add("dc3-fw1")
    real = reality(Delivered(reference), capabilities=CAPABILITIES | {"measure:throughput"})
    real.meter = meter
    found = {c.subject: c for c in throughput.check(reference, real)}
    assert len(meter.measured) == len(reference.man_links) + len(reference.uplinks)
    assert ("dc1-fw1", "dc2-fw1", "198.18.255.3", False) in meter.measured
    assert ("dc1-fw1", "operator:dc1-transit", "203.0.113.1", True) in meter.measured
    slow = found["line dc1-transit throughput (dc1-fw1 - operator:dc1-transit)"]
    assert (slow.status, slow.kind, slow.found) == ("fail", "throughput", "940 Mbit/s")
    assert slow.expected == ">= 1400 Mbit/s (70% of 2000 Mbit/s)" and "10000 Mbit/s ordered" in slow.hint
    refused = [c for c in found.values() if c.status == "skip"]
    assert [c.subject.split(" (")[0] for c in refused] == [
        "MAN link man-13 throughput",
        "MAN link man-23 throughput",
    ]
    assert sum(c.status == "pass" for c in found.values()) == 3
    assert real.notes["links"][0].startswith("iperf3: MAN link man-12 9000 Mbit/s")


class Deployed(Delivered):
    """Devices whose firewalls run the deployed ruleset (default drop)."""

    def observe(self, device: str, what: str) -> str:
        if what == "nftables":
            return "table inet trisite {\n chain input {\n  type filter hook input priority filter; policy drop;\n }\n}"
        return super().observe(device, what)


def test_a_deployed_firewall_is_not_asked_to_serve_a_measurement(reference: Design) -> None:
    meter = Meter(9000.0)
    real = reality(
        Deployed(reference), capabilities=CAPABILITIES | {"measure:throughput", "observe:nftables"}
    )
    real.meter = meter
    found = throughput.check(reference, real)
    skipped = [c for c in found if c.status == "skip"]
    assert len(skipped) == len(reference.man_links) and all("before deploying" in c.hint for c in skipped)
    assert [m[1] for m in meter.measured] == [
        OPERATOR + u.name for u in reference.uplinks
    ]  # lines still measured
