"""The PowerDriver suite of the conformance kit: the fake driver; the site Redfish driver against a recorded BMC
(trisite.testing.redfish); and as root (marker `lab`) the lab driver and the site Redfish driver, both against
the lab's BMC emulator (sushy-tools), which applies a power change 1 to 11 s after it is asked for."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.lab.redfish_lab import PASSWORD, SiteBmcs
from trisite.drivers.fake import FakeDriver
from trisite.drivers.lab import LabDriver
from trisite.drivers.redfish import BmcAccess, RedfishDriver
from trisite.model import Design
from trisite.testing.conformance import PowerDriverSuite, PowerSubject
from trisite.testing.redfish import FakeBmc, fake_connector

RECORDED = Path(__file__).parents[1] / "unit" / "drivers" / "data" / "redfish_bmc.json"
SETTLE = 15.0


def recorded_site() -> RedfishDriver:
    bmc = FakeBmc(copy.deepcopy(json.loads(RECORDED.read_text(encoding="utf-8"))), password="pw")  # noqa: S106
    access = BmcAccess(
        "srv1", "198.18.11.10", 443, "admin", True, credentials="bmc", timeout=0.5, backoff=0.1
    )
    return RedfishDriver({"srv1": access}, lambda _: "pw", connector=fake_connector(bmc))


@pytest.fixture(
    params=[
        "fake",
        "redfish-recorded",
        pytest.param("lab", marks=pytest.mark.lab),
        pytest.param("redfish-lab", marks=pytest.mark.lab),
    ]
)
def power_subject(request: pytest.FixtureRequest) -> PowerSubject:
    if request.param == "fake":
        return PowerSubject(FakeDriver(powered={"srv1": "On"}), "srv1", settle=1.0)
    if request.param == "redfish-recorded":
        return PowerSubject(recorded_site(), "srv1", settle=1.0)
    lab: tuple[Path, Design, SiteBmcs] = request.getfixturevalue("bmc_lab_module")
    lab_dir, design, site = lab
    server = design.servers[0].name
    driver: Any = LabDriver(lab_dir, secret=lambda _: PASSWORD) if request.param == "lab" else site
    return PowerSubject(driver, server, settle=SETTLE)


class TestPowerDrivers(PowerDriverSuite):
    """Every power test of the kit, for each driver above."""
