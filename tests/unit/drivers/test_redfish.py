"""The site's Redfish driver against a recorded BMC (trisite.testing.redfish): sushy's real connector with the
network replaced, the operations rendered from a design's server, the hung-BMC path with a counted clock."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers.redfish import BmcAccess, RedfishDriver
from trisite.errors import DriverError
from trisite.model import load_design
from trisite.model.devices import Disk, DiskController, Server
from trisite.render.redfish import operations
from trisite.testing.redfish import FakeBmc, fake_connector

RECORDED = json.loads((Path(__file__).parent / "data" / "redfish_bmc.json").read_text(encoding="utf-8"))
SYSTEM = "/redfish/v1/Systems/System.Embedded.1"
MANAGER = "/redfish/v1/Managers/iDRAC.Embedded.1"
RAID = f"{SYSTEM}/Storage/RAID.Integrated.1-1"
OSD = [f"Disk.Bay.{n}:Enclosure.Internal.0-1:RAID.Integrated.1-1" for n in range(2)]
PASSWORD = "s3cret-Passw0rd"  # noqa: S105 - the fake BMC's account


class Clock:
    """Time that passes only when the driver waits: the waits are counted, never slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def server(fallback: str | None = "raid0-per-disk", boot: list[str] | None = None) -> Server:
    base = load_design(EXAMPLES / "minimal" / "design.yaml").design.servers[0]
    disks = [Disk(name=d, size_gb=3840, media="ssd", use="osd") for d in OSD]
    bios = base.bios.model_copy(
        update={"attributes": {"SriovGlobalEnable": "Enabled"}, "boot_order": boot or ["pxe", "disk"]}
    )
    return base.model_copy(
        update={
            "disks": disks,
            "bios": bios,
            "disk_controller": DiskController(mode="jbod", fallback=fallback),
        }
    )


def ops(srv: Server) -> list[dict[str, object]]:
    return [dict(op) for op in operations(srv, "UTC")]


def driver(bmc: FakeBmc, clock: Clock | None = None, **access: Any) -> RedfishDriver:
    options: dict[str, Any] = {"timeout": 0.05, "attempts": 3, "backoff": 1.0, "reset_wait": 60.0, **access}
    record = BmcAccess("srv1", "198.18.11.10", 443, "admin", True, credentials="bmc-admin", **options)
    clock = clock or Clock()
    return RedfishDriver(
        {"srv1": record},
        lambda name: PASSWORD if name == "bmc-admin" else "",
        connector=fake_connector(bmc),
        sleep=clock.sleep,
        clock=clock,
    )


def recorded(**changes: Any) -> FakeBmc:
    return FakeBmc(copy.deepcopy(RECORDED), password=PASSWORD, **changes)


def raid_only(bmc: FakeBmc) -> FakeBmc:
    bmc.resources[RAID]["StorageControllers"][0]["SupportedRAIDTypes"] = ["RAID0", "RAID1", "RAID10"]
    return bmc


def writes(bmc: FakeBmc) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in bmc.requests if m in ("PATCH", "POST") and "Sessions" not in p]


def test_rendered_operations_are_applied_at_the_discovered_paths_and_read_back() -> None:
    bmc = recorded()
    site = driver(bmc)
    site.apply_redfish("srv1", ops(server()))
    assert writes(bmc) == [
        ("PATCH", MANAGER),
        ("PATCH", f"{SYSTEM}/Bios/Settings"),
        ("PATCH", SYSTEM),  # the boot order
        ("PATCH", SYSTEM),  # PXE once, for the installation
    ]
    state = site.read_redfish("srv1")
    assert state["clock_offset"] == "+00:00"
    assert state["bios_pending"] == {"SriovGlobalEnable": "Enabled"}  # applied at the next reset
    assert state["boot_order"] == ["Pxe", "Hdd", "Cd"]  # both PXE options first, the disk, then the rest
    assert bmc.resources[SYSTEM]["Boot"]["BootOrder"] == ["Boot0001", "Boot0003", "Boot0000", "Boot0002"]
    assert state["boot_override"] == {"enabled": "Once", "target": "Pxe"}
    controllers: Any = state["controllers"]
    assert controllers["RAID.Integrated.1-1"]["mode"] == "jbod"
    assert all(
        m == "DELETE" for m, p, _ in bmc.requests if p.startswith("/redfish/v1/SessionService/Sessions/")
    )


def test_applying_twice_changes_nothing_more() -> None:
    bmc = raid_only(recorded())
    site = driver(bmc)
    site.apply_redfish("srv1", ops(server()))
    first = writes(bmc)
    site.apply_redfish("srv1", ops(server()))
    again = writes(bmc)[len(first) :]
    assert ("POST", f"{RAID}/Volumes") not in again  # the RAID 0 volumes exist already
    assert again.count(("PATCH", SYSTEM)) == 1  # the boot order stands; only PXE-once is asked again


def test_a_controller_without_pass_through_gets_one_raid0_volume_per_osd_disk() -> None:
    bmc = raid_only(recorded())
    site = driver(bmc)
    site.apply_redfish("srv1", ops(server()))
    made = [body for m, p, body in bmc.requests if (m, p) == ("POST", f"{RAID}/Volumes")]
    assert [b["Name"] for b in made] == [f"osd-{d}" for d in OSD]  # type: ignore[index]
    assert made[0]["Links"]["Drives"] == [{"@odata.id": f"{RAID}/Drives/{OSD[0]}"}]  # type: ignore[index]
    controllers: Any = site.read_redfish("srv1")["controllers"]
    assert controllers["RAID.Integrated.1-1"]["mode"] == "raid0-per-disk"


def test_no_pass_through_and_no_fallback_says_jbod_is_impossible_and_what_to_set() -> None:
    bmc = raid_only(recorded())
    with pytest.raises(DriverError) as caught:
        driver(bmc).apply_redfish("srv1", ops(server(fallback=None)))
    message = str(caught.value)
    assert caught.value.device == "srv1"
    assert "BMC 198.18.11.10 of srv1: storage-mode:" in message
    assert "JBOD is impossible" in message and "disk_controller.fallback: raid0-per-disk" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: b.resources[f"{RAID}"]["Drives"].pop(0), "no drive Disk.Bay.0"),
        (lambda b: b.resources[SYSTEM]["Boot"].pop("BootOptions"), "lists no BootOptions"),
        (lambda b: b.resources[SYSTEM].pop("Bios"), "no Bios resource"),
    ],
    ids=["unknown-drive", "no-boot-options", "no-bios"],
)
def test_what_a_bmc_lacks_is_one_line_naming_it(change: Any, expected: str) -> None:
    bmc = raid_only(recorded())
    change(bmc)
    with pytest.raises(DriverError, match=expected) as caught:
        driver(bmc).apply_redfish("srv1", ops(server()))
    assert "\n" not in str(caught.value)


def test_a_boot_target_the_system_does_not_offer_is_named() -> None:
    with pytest.raises(
        DriverError, match=r"boot-order: no boot option for Usb \(the system offers Cd, Hdd, Pxe\)"
    ):
        driver(recorded()).apply_redfish("srv1", ops(server(boot=["usb", "disk"])))


def test_a_wrong_password_fails_without_showing_it() -> None:
    bmc = recorded()
    bmc.password = "another"  # noqa: S105
    with pytest.raises(DriverError, match=r"BMC 198\.18\.11\.10 of srv1") as caught:
        driver(bmc).power_state("srv1")
    assert PASSWORD not in str(caught.value)


def test_an_operation_of_an_unknown_kind_is_refused_and_the_bios_clock_intent_is_left_to_the_os() -> None:
    site = driver(recorded())
    site.apply_redfish("srv1", [{"id": "bios-clock", "kind": "bios-intent", "want": {"rtc": "utc"}}])
    with pytest.raises(DriverError, match="operation x: unknown kind 'firmware'"):
        site.apply_redfish("srv1", [{"id": "x", "kind": "firmware"}])


def test_power_goes_through_the_system_reset_action() -> None:
    site = driver(recorded())
    site.power("srv1", "off")
    assert site.power_state("srv1") == "Off"
    site.power("srv1", "on")
    assert site.power_state("srv1") == "On"


def test_a_server_without_a_bmc_is_a_driver_error() -> None:
    with pytest.raises(DriverError, match="no-such-server: no BMC known") as caught:
        driver(recorded()).apply_redfish("no-such-server", [])
    assert caught.value.device == "no-such-server"


# -- the hung BMC -------------------------------------------------------------------------------------------------
def test_a_hung_bmc_is_retried_with_backoff_reset_once_retried_then_named() -> None:
    clock = Clock()
    bmc = recorded(hang=lambda method, _path: method == "PATCH")  # reads answer; every change hangs
    with pytest.raises(DriverError) as caught:
        driver(bmc, clock).apply_redfish("srv1", ops(server()))
    message = str(caught.value)
    assert message == (
        "BMC 198.18.11.10 of srv1: manager-clock: no answer within 0.05 s (3 attempts over 3 s, then "
        "Manager.Reset and 3 attempts over 3 s); check its network, reset it from the chassis (or remove its "
        "power), then deploy again"
    )
    resets = [p for m, p, _ in bmc.requests if p.endswith("Manager.Reset")]
    assert resets == [f"{MANAGER}/Actions/Manager.Reset"]
    assert clock.slept == [1.0, 2.0, 1.0, 2.0]  # backoff, reset, (answered at once), backoff
    assert PASSWORD not in message


def test_a_bmc_that_comes_back_after_its_reset_gets_the_operations() -> None:
    clock = Clock()
    bmc = recorded(hang=lambda method, _path: method == "PATCH", recovers_on_reset=True)
    site = driver(bmc, clock)
    site.apply_redfish("srv1", ops(server()))
    assert site.read_redfish("srv1")["clock_offset"] == "+00:00"
    assert sum(p.endswith("Manager.Reset") for _, p, _ in bmc.requests) == 1


def test_a_bmc_that_never_answered_cannot_be_reset_and_is_named_at_once() -> None:
    clock = Clock()
    bmc = recorded(hang=lambda _method, _path: True)
    with pytest.raises(
        DriverError,
        match=r"^BMC 198.18.11.10 of srv1: reading the power state: no answer within 0.05 s \(3 attempts over 3 s\); check its network",
    ):
        driver(bmc, clock).power_state("srv1")
    assert not any(p.endswith("Manager.Reset") for _, p, _ in bmc.requests)
    assert clock.slept == [1.0, 2.0]


def test_a_reset_that_is_not_answered_either_is_said() -> None:
    hung: dict[str, bool] = {"now": False}

    def hang(method: str, _path: str) -> bool:
        hung["now"] = hung["now"] or method == "PATCH"
        return hung["now"]

    with pytest.raises(
        DriverError, match=r"\(3 attempts over 3 s, and Manager.Reset was not answered either\)"
    ):
        driver(recorded(hang=hang), Clock()).apply_redfish("srv1", ops(server()))


def test_a_bmc_that_stays_away_after_its_reset_is_waited_for_within_the_bound() -> None:
    clock = Clock()
    hung: dict[str, bool] = {"now": False}

    def hang(method: str, path: str) -> bool:
        if path.endswith("Manager.Reset"):
            hung["now"] = True  # it takes the reset, then goes quiet for good
            return False
        return hung["now"] or method == "PATCH"

    with pytest.raises(DriverError, match=r"then Manager.Reset, and no answer within 10 s after it"):
        driver(recorded(hang=hang), clock, reset_wait=10.0).apply_redfish("srv1", ops(server()))
    assert sum(clock.slept) <= 3.0 + 10.0 + 1.0


def test_a_manager_that_offers_no_reset_is_said() -> None:
    clock = Clock()
    bmc = recorded(hang=lambda method, _path: method == "PATCH")
    del bmc.resources[MANAGER]["Actions"]
    with pytest.raises(
        DriverError, match=r"\(3 attempts over 3 s, and its manager offers no Manager.Reset\)"
    ):
        driver(bmc, clock).apply_redfish("srv1", ops(server()))
    assert clock.slept == [1.0, 2.0]


def test_inspect_reads_what_checks_compare_and_a_hang_within_the_deadline() -> None:
    facts = driver(recorded()).inspect_bmc("srv1", timeout=0.05)
    assert facts["health"] == RECORDED[SYSTEM]["Status"].get(
        "HealthRollup", RECORDED[SYSTEM]["Status"].get("Health")
    )
    assert facts["firmware"] == RECORDED[MANAGER].get("FirmwareVersion")
    controllers: Any = facts["raid_types"]
    assert any(key.startswith("RAID.Integrated.1-1/") for key in controllers)
    hung = recorded(hang=lambda *_: True)
    clock = Clock()
    with pytest.raises(DriverError, match=r"srv1: inspecting: no answer within 0.05 s \(1 attempt"):
        driver(hung, clock).inspect_bmc("srv1", timeout=0.05)
    assert clock.slept == []  # no retry, no reset: a check reports a hang, it does not nurse the BMC
