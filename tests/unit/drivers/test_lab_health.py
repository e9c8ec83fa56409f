"""The lab's services read back: every layer asked at once, and one whose reading fails reported unhealthy with
why while the others are still read (a CLI that hangs must not hide Ceph or etcd)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

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

    monkeypatch.setattr(lab_health, "rabbitmq", rabbitmq)
    monkeypatch.setattr(
        lab_health, "galera", lambda region, _members: Health("galera", region, True, "3/3 Synced")
    )
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

    def waits(layer: str) -> object:
        def reading(region: str, _members: Sequence[Sequence[str]]) -> Health:
            started.wait()
            return Health(layer, region, True, "")

        return reading

    monkeypatch.setattr(lab_health, "rabbitmq", waits("rabbitmq"))
    monkeypatch.setattr(lab_health, "galera", waits("galera"))
    assert all(h.ok for h in lab_health.read(RECORDED))
    assert lab_health.read({}) == []
