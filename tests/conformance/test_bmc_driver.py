"""The BmcDriver suite of the conformance kit for the site Redfish driver: against a recorded BMC with every
rendered operation, and as root (marker `lab`) against the lab's sushy-tools emulator with the operations it
can take (it has no BIOS resource, no BootOptions and cannot create volumes: docs/drivers.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.lab.redfish_lab import SiteBmcs
from trisite.drivers.redfish import BmcAccess, RedfishDriver
from trisite.model import Design, load_design
from trisite.model.devices import Disk
from trisite.render.redfish import operations
from trisite.testing.conformance import BmcDriverSuite, BmcSubject
from trisite.testing.redfish import FakeBmc, fake_connector

RECORDED = Path(__file__).parents[1] / "unit" / "drivers" / "data" / "redfish_bmc.json"
OSD = [f"Disk.Bay.{n}:Enclosure.Internal.0-1:RAID.Integrated.1-1" for n in range(3)]
EMULATED = ("manager-clock", "bios-clock", "storage-mode", "pxe-once")


def recorded_subject() -> BmcSubject:
    server = load_design(EXAMPLES / "minimal" / "design.yaml").design.servers[0]
    bios = server.bios.model_copy(update={"attributes": {"ProcVirtualization": "Enabled"}})
    server = server.model_copy(
        update={"disks": [Disk(name=d, size_gb=3840, media="ssd", use="osd") for d in OSD], "bios": bios}
    )
    bmc = FakeBmc(copy.deepcopy(json.loads(RECORDED.read_text(encoding="utf-8"))), password="pw")  # noqa: S106
    access = BmcAccess(server.name, "198.18.11.10", 443, "admin", True, credentials="bmc", timeout=0.5)
    driver = RedfishDriver({server.name: access}, lambda _: "pw", connector=fake_connector(bmc))
    return BmcSubject(driver, server.name, [dict(op) for op in operations(server, "UTC")])


@pytest.fixture(params=["redfish-recorded", pytest.param("redfish-lab", marks=pytest.mark.lab)])
def bmc_subject(request: pytest.FixtureRequest) -> BmcSubject:
    if request.param == "redfish-recorded":
        return recorded_subject()
    lab: tuple[Path, Design, SiteBmcs] = request.getfixturevalue("bmc_lab_module")
    _, design, site = lab
    server = design.servers[0]
    rendered = [op for op in operations(server, design.platform.timezone) if op["id"] in EMULATED]
    return BmcSubject(site, server.name, rendered)


class TestBmcDrivers(BmcDriverSuite):
    """Every BMC test of the kit, for each driver above."""
