"""The lab's services read back: every layer asked at once, and one whose reading fails reported unhealthy with
why while the others are still read (a CLI that hangs must not hide Ceph or etcd)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from trisite.drivers import lab_health
from trisite.drivers.lab_health import Health
from trisite.errors import DriverError

RECORDED: dict[str, dict[str, object]] = {
    "galera": {"region-a": [["ra-ctl1", "/s"]], "region-b": [["rb-ctl1", "/s"]]},
    "rabbitmq": {
        "region-a": [["ra-ctl1", "198.18.40.11", "/h"]],
        "region-b": [["rb-ctl1", "198.18.41.11", "/h"]],
    },
}


def test_a_failing_reading_is_one_unhealthy_entry_and_the_others_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def rabbitmq(region: str, _members: Sequence[Sequence[str]]) -> Health:
        if region == "region-a":
            raise DriverError("ip netns exec ts-ra-ctl1 rabbitmqctl: no answer within 20 s")
        return Health("rabbitmq", region, True, "3/3 running nodes")

    def galera(region: str, _members: Sequence[Sequence[str]]) -> Health:
        return Health("galera", region, True, "3/3 Synced")

    readers = (("galera", "galera", galera), ("rabbitmq", "rabbitmq", rabbitmq))
    monkeypatch.setattr(lab_health, "READERS", readers)
    found = lab_health.read(RECORDED)
    assert [(h.layer, h.name, h.ok) for h in found] == [
        ("galera", "region-a", True),
        ("galera", "region-b", True),
        ("rabbitmq", "region-a", False),
        ("rabbitmq", "region-b", True),
    ]
    assert found[2].detail == "could not be read: ip netns exec ts-ra-ctl1 rabbitmqctl: no answer within 20 s"


def test_the_readings_wait_on_their_daemons_at_the_same_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four readings that each wait for all four to have started: asked one after the other, none would return."""
    started = threading.Barrier(4, timeout=10)

    def waits(layer: str) -> Callable[[str, Sequence[Sequence[str]]], Health]:
        def reading(region: str, _members: Sequence[Sequence[str]]) -> Health:
            started.wait()
            return Health(layer, region, True, "")

        return reading

    readers = (("galera", "galera", waits("galera")), ("rabbitmq", "rabbitmq", waits("rabbitmq")))
    monkeypatch.setattr(lab_health, "READERS", readers)
    assert all(h.ok for h in lab_health.read(RECORDED))
    assert lab_health.read({}) == []


def test_each_section_of_the_record_has_its_reader_and_name(tmp_path: Path) -> None:
    """The real table: a DNS server's agent is read from its configuration and named after its server."""
    missing = tmp_path / "dns-health.json"
    [found] = lab_health.read({"dns-health": {"dc1-ops1": str(missing)}})
    assert (found.layer, found.name, found.ok) == ("dns", "dc1-ops1 agent", False)
    assert found.detail.startswith("its configuration or state cannot be read")
    assert {section for _, section, _ in lab_health.READERS} == {
        "etcd",
        "vips",
        "dns",
        "dns-health",
        "ceph",
        "galera",
        "rabbitmq",
    }
