"""A small lab with one server whose BMC is sushy-tools' emulator (lab/bmc.py), and the site Redfish driver
pointed at it from the BMC's namespace: what the Redfish lab tests and the conformance kit's lab runs share."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tests.conftest import EXAMPLES
from trisite.drivers.netns import call_in_netns, namespace
from trisite.drivers.redfish import BmcAccess, RedfishDriver
from trisite.lab import bmc, build
from trisite.lab.plan import Address, BmcPlan, LabPlan
from trisite.model import Design, load_design
from trisite.model.devices import Disk

T = TypeVar("T")
MINIMAL = EXAMPLES / "minimal" / "design.yaml"
PASSWORD = "lab-bmc-pw"  # noqa: S105 - the lab emulator's account, made for this test
OSD_DISKS = ("osd1", "osd2")


def design_with_osds(server_name: str) -> Design:
    """The minimal design, its server renamed (its name is the lab's own, not another lab's `ts-srv1`) and given
    two OSD disks (the controller-mode operation needs some)."""
    design = load_design(MINIMAL).design
    server = design.servers[0]
    disks = [*server.disks, *(Disk(name=d, size_gb=960, media="ssd", use="osd") for d in OSD_DISKS)]
    renamed = server.model_copy(update={"name": server_name, "disks": disks})
    return design.model_copy(update={"servers": [renamed]})


def one_bmc_plan(name: str, design: Design) -> LabPlan:
    """One namespace holding the BMC's address (on its loopback: the driver speaks from the same namespace),
    nothing else: the lab's other boxes are not needed, and another lab's namespaces are never touched."""
    server = design.servers[0]
    netns = namespace(name)
    return LabPlan(
        namespaces={netns: name},
        addresses=[Address(netns, "lo", f"{server.bmc.address}/32")],
        bmcs=[
            BmcPlan(server.name, str(server.bmc.address), netns, 443, server.bmc.user, server.bmc.credentials)
        ],
    )


class SiteBmcs:
    """The site driver, its calls made from inside the BMC network's namespace (nothing in the root one)."""

    def __init__(self, records: dict[str, dict[str, Any]], **access: Any) -> None:
        self.records = records
        accesses = {
            server: BmcAccess(
                server,
                r["address"],
                r["port"],
                r["user"],
                r["ca"],
                r["system"],
                basic_auth=True,  # the emulator has no session service
                credentials=r["credentials"],
                **access,
            )
            for server, r in records.items()
        }
        self.driver = RedfishDriver(accesses, lambda _: PASSWORD)
        self.capabilities = self.driver.capabilities

    def _inside(self, server: str, work: Callable[[], T]) -> T:
        record = self.records.get(server)
        return work() if record is None else call_in_netns(record["netns"], work)

    def apply_redfish(self, server: str, operations: Sequence[dict[str, object]]) -> None:
        self._inside(server, lambda: self.driver.apply_redfish(server, operations))

    def read_redfish(self, server: str) -> dict[str, object]:
        return self._inside(server, lambda: self.driver.read_redfish(server))

    def power(self, server: str, action: Any) -> None:
        self._inside(server, lambda: self.driver.power(server, action))

    def power_state(self, server: str) -> str:
        return self._inside(server, lambda: self.driver.power_state(server))


@contextmanager
def bmc_lab(name: str, quirk: str = "", **access: Any) -> Iterator[tuple[Design, SiteBmcs]]:
    """Up with the BMC emulator started (the lab's STATE_ROOT must point at a test directory), then down.
    `quirk`: how the BMC is delivered (lab/bmc.py: "raid-only", "hangs")."""
    design = design_with_osds(f"{name}-srv")
    lab_plan = one_bmc_plan(name, design)
    build.up(lab_plan, name, str(MINIMAL))
    lab_dir = build.STATE_ROOT / name
    try:
        state = build.load_state(name)
        assert state is not None
        quirks = {design.servers[0].name: quirk} if quirk else {}
        state.pids += bmc.start(design, lab_plan, lab_dir, lambda _: PASSWORD, quirks)
        build.save_state(state)
        records = json.loads(Path(lab_dir / "bmcs.json").read_text(encoding="utf-8"))
        yield design, SiteBmcs(records, **access)
    finally:
        build.down(name)
