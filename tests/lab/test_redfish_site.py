"""The site Redfish driver against the lab's BMC emulator (sushy-tools, fake driver, over HTTPS, from the BMC
network's namespace). What the emulator offers is applied and read back; what it cannot emulate (BIOS
attributes, BootOptions, volume creation, Manager.Reset) must end in a clear one-line error, never in silence."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.redfish_lab import SiteBmcs, bmc_lab
from trisite.errors import DriverError
from trisite.model import Design
from trisite.render.redfish import operations

pytestmark = pytest.mark.lab
ACCESS = {"timeout": 2.0, "attempts": 2, "backoff": 0.2, "reset_wait": 2.0}


@pytest.fixture
def site(lab_root: Path) -> Iterator[tuple[Design, SiteBmcs]]:
    assert lab_root.name == "state"
    with bmc_lab("redfish", **ACCESS) as found:
        yield found


def rendered(design: Design) -> dict[str, dict[str, Any]]:
    return {str(op["id"]): op for op in operations(design.servers[0], design.platform.timezone)}


def test_clock_jbod_and_pxe_once_are_applied_and_read_back(site: tuple[Design, SiteBmcs]) -> None:
    design, bmcs = site
    server, ops = design.servers[0].name, rendered(design)
    skew = {"DateTime": "2025-01-01T00:00:00+02:00", "DateTimeLocalOffset": "+02:00"}
    bmcs.apply_redfish(server, [{"id": "skew", "method": "PATCH", "path": "{manager}", "body": skew}])
    assert bmcs.read_redfish(server)["clock_offset"] == "+02:00"  # so that the rendered +00:00 is seen to act
    bmcs.apply_redfish(server, [ops[k] for k in ("manager-clock", "bios-clock", "storage-mode", "pxe-once")])
    state = bmcs.read_redfish(server)
    assert state["clock_offset"] == "+00:00"
    controllers: Any = state["controllers"]
    # JBOD needed nothing written: the controller passes disks through. The emulator cannot list volumes it
    # was not configured with (500), so the mode it results in reads as unknown.
    assert [(c["mode"], "None" in c["raid_types"]) for c in controllers.values()] == [("unknown", True)]
    boot: Any = state["boot_override"]
    assert boot["target"] == "Pxe"  # the emulator keeps overrides Continuous whatever is asked
    assert state["bios_attributes"] is None and state["boot_order"] is None  # it offers neither


def test_what_the_emulator_lacks_is_one_line_then_a_hung_bmc_is_named(
    site: tuple[Design, SiteBmcs],
) -> None:
    design, bmcs = site
    server, ops = design.servers[0].name, rendered(design)
    bios = {
        "id": "bios-attributes",
        "method": "PATCH",
        "path": "{system}/Bios/Settings",
        "body": {"Attributes": {}},
    }
    with pytest.raises(DriverError, match="bios-attributes: the system offers no Bios resource"):
        bmcs.apply_redfish(server, [bios])
    with pytest.raises(DriverError, match="boot-order: the system lists no BootOptions"):
        bmcs.apply_redfish(server, [ops["boot-order"]])
    assert bmcs.power_state(server) == "On"  # it answered: its manager is known, a reset can be sent
    record = bmcs.records[server]
    drop = (
        "table inet hang {\n  chain input {\n    type filter hook input priority 0; policy accept;\n"
        f"    ip daddr {record['address']} tcp dport {record['port']} drop\n  }}\n}}\n"
    )
    subprocess.run(
        ["ip", "netns", "exec", record["netns"], "nft", "-f", "-"], input=drop, text=True, check=True
    )
    with pytest.raises(DriverError) as caught:
        bmcs.power_state(server)
    assert str(caught.value) == (
        f"BMC {record['address']} of {server}: reading the power state: no answer within 2 s (2 attempts over "
        "0.2 s, and its manager offers no Manager.Reset); check its network, reset it from the chassis (or "
        "remove its power), then deploy again"
    )


def test_a_controller_without_pass_through_and_no_fallback_stops_the_deployment(lab_root: Path) -> None:
    assert lab_root.name == "state"
    with bmc_lab("redfish-raid", quirk="raid-only", **ACCESS) as (design, bmcs):
        op = {**rendered(design)["storage-mode"], "fallback": None, "fallback_operations": []}
        with pytest.raises(
            DriverError, match=r"cannot pass disks through .* so JBOD is impossible: set disk_controller"
        ):
            bmcs.apply_redfish(design.servers[0].name, [op])
        controllers: Any = bmcs.read_redfish(design.servers[0].name)["controllers"]
        assert ["None" in c["raid_types"] for c in controllers.values()] == [False]
