"""One suite every PowerDriver passes: the fake one always, the lab one (a Redfish BMC emulator) as root."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers.fake import FakeDriver
from trisite.drivers.lab import LabDriver
from trisite.drivers.protocols import PowerDriver
from trisite.errors import DriverError
from trisite.lab import bmc, build
from trisite.lab.plan import plan
from trisite.model import load_design

MINIMAL = EXAMPLES / "minimal" / "design.yaml"
SERVER = load_design(MINIMAL).design.servers[0].name
# sushy-tools applies a power change 1 to 11 s after it is asked for, as real BMCs take their time.
SETTLE = 15.0


@pytest.fixture(params=["fake", pytest.param("lab", marks=pytest.mark.lab)])
def driver(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PowerDriver]:
    if request.param == "fake":
        yield FakeDriver(powered={SERVER: "On"})
        return
    if os.geteuid() != 0:
        pytest.skip("the lab driver needs root")
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path / "state")
    design = load_design(MINIMAL).design
    lab_plan = plan(design)
    build.up(lab_plan, "conformance", str(MINIMAL))
    lab_dir = tmp_path / "state" / "conformance"
    try:
        state = build.load_state("conformance")
        assert state is not None
        state.pids += bmc.start(design, lab_plan, lab_dir, lambda _: "conformance-pw", {})
        build.save_state(state)
        yield LabDriver(lab_dir, secret=lambda _: "conformance-pw")
    finally:
        build.down("conformance")


def settles(driver: PowerDriver, want: str) -> bool:
    started = time.monotonic()
    while time.monotonic() - started < SETTLE:
        if driver.power_state(SERVER) == want:
            return True
        time.sleep(0.3)
    return False


def test_power_off_then_on_is_reported(driver: PowerDriver) -> None:
    assert driver.power_state(SERVER) == "On"
    driver.power(SERVER, "off")
    assert settles(driver, "Off")
    driver.power(SERVER, "on")
    assert settles(driver, "On")


def test_a_server_without_bmc_is_a_driver_error(driver: PowerDriver) -> None:
    with pytest.raises(DriverError, match="no-such-server"):
        driver.power("no-such-server", "off")
