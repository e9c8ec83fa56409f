"""One suite every DeviceDriver passes: the fake one always, the lab one as root (marker `lab`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from trisite.drivers.fake import FakeDriver
from trisite.drivers.lab import LabDriver
from trisite.drivers.protocols import DeviceDriver
from trisite.errors import DriverError
from trisite.lab import build
from trisite.lab.plan import LabPlan

DEVICE = "conformance"


@pytest.fixture(params=["fake", pytest.param("lab", marks=pytest.mark.lab)])
def driver(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DeviceDriver]:
    if request.param == "fake":
        yield FakeDriver(devices=frozenset({DEVICE}))
        return
    if os.geteuid() != 0:
        pytest.skip("the lab driver needs root")
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path / "state")
    build.up(LabPlan(namespaces={f"ts-{DEVICE}": DEVICE}), "conformance", "-")
    try:
        yield LabDriver(tmp_path / "state" / "conformance")
    finally:
        build.down("conformance")


def test_declares_its_capabilities(driver: DeviceDriver) -> None:
    assert {"exec", "put"} <= driver.capabilities


def test_exec_answers(driver: DeviceDriver) -> None:
    assert driver.exec(DEVICE, ["true"]).returncode == 0


def test_put_then_service_start_of_a_filter(driver: DeviceDriver) -> None:
    driver.put(
        DEVICE,
        "/etc/nftables.conf",
        "flush ruleset\ntable inet t {\n  chain c {\n    type filter hook input priority 0; policy accept;\n  }\n}\n",
        "0640",
    )
    driver.service(DEVICE, "nftables", "start")


def test_unknown_service_or_device_is_a_driver_error(driver: DeviceDriver) -> None:
    with pytest.raises(DriverError):
        driver.service(DEVICE, "no-such-service", "start") if isinstance(driver, LabDriver) else driver.exec(
            "no-such-device", ["true"]
        )
