"""BMCs: each server's management card as delivered: answering within a deadline (a hang is detected, not
waited on), health, firmware alike across one model, BIOS attributes, clock and time zone against the station's
clock, whether the disk controller can pass disks through (JBOD) or needs the RAID 0 fallback, boot mode, NICs."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trisite.check.observe import gather
from trisite.check.reality import Reality
from trisite.check.result import Check, failed, passed, skipped
from trisite.errors import TargetError
from trisite.model import Design
from trisite.model.devices import Server

CATEGORY = "bmcs"
CLOCK_TOLERANCE_S = 10.0  # an NTP-disciplined BMC is within milliseconds; a clock set by hand is not
BOOT_MODE = "UEFI"  # PXE and HTTP boot as rendered (render/redfish.py) and Secure Boot need it
JBOD = "None"  # SupportedRAIDTypes "None": a disk passed through as it is
Seen = dict[str, dict[str, Any] | TargetError]


def read(design: Design, reality: Reality) -> Seen:
    bmcs = reality.bmcs
    assert bmcs is not None  # check() asks only targets that inspect BMCs
    return gather(
        [s.name for s in design.servers], lambda s: bmcs.inspect_bmc(s, reality.bmc_timeout), reality.parallel
    )


def compare(design: Design, seen: Seen, timeout: float) -> list[Check]:
    answered = {s: v for s, v in seen.items() if not isinstance(v, TargetError)}
    firmware = _usual_firmware(design, answered)
    checks: list[Check] = []
    for server in design.servers:
        found = seen.get(server.name)
        if found is None:
            continue
        if isinstance(found, TargetError):
            checks.append(_silent(server, found, timeout))
            continue
        checks.append(passed(CATEGORY, f"{server.name} answers", f"within {timeout:g} s", kind="reachable"))
        checks += [judge(server, found) for judge in JUDGES]
        checks.append(_firmware(server, found, firmware.get(server.model)))
    return checks


def _silent(server: Server, error: TargetError, timeout: float) -> Check:
    hung = "no answer" in str(error)
    return failed(
        CATEGORY,
        f"{server.name} answers",
        "hangs" if hung else "unreachable",
        f"an answer within {timeout:g} s from {server.bmc.address}",
        str(error),
        "power-cycle the server (a hung BMC needs its power removed), then ask the supplier for a BMC firmware "
        "that does not hang"
        if hung
        else f"check {server.bmc.address}'s network, account {server.bmc.user} and its certificate",
    )


def _health(server: Server, found: dict[str, Any]) -> Check:
    health = str(found.get("health"))
    if health == "OK":
        return passed(CATEGORY, f"{server.name} health", "OK", kind="health")
    hint = "read the BMC's event log for the failed part and have it replaced"
    return failed(CATEGORY, f"{server.name} health", "health", "OK", health, hint)


def _clock(server: Server, found: dict[str, Any]) -> Check:
    subject, want = f"{server.name} clock", f"within {CLOCK_TOLERANCE_S:g} s of the station"
    try:
        shown = dt.datetime.fromisoformat(str(found.get("datetime")))
    except ValueError:
        return failed(CATEGORY, subject, "clock", want, f"no DateTime ({found.get('datetime')})", _NTP)
    if shown.tzinfo is None:
        shown = shown.replace(tzinfo=dt.UTC)
    skew = shown.timestamp() - float(found.get("read_at") or time.time())
    text = f"{skew:+.0f} s ({shown.isoformat()})"
    if abs(skew) <= CLOCK_TOLERANCE_S:
        return passed(CATEGORY, subject, want, text, kind="clock")
    return failed(CATEGORY, subject, "clock", want, f"off by {_duration(skew)}: {text}", _NTP)


_NTP = "set the BMC's clock from NTP (Manager DateTime), and the BIOS clock with it"


def _duration(seconds: float) -> str:
    minutes = round(abs(seconds) / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{abs(seconds):.0f} s"


def expected_offset(server: Server, at: float) -> str:
    """The offset the BMC must show: +00:00 for a clock on UTC (what the deployment sets), else its zone's."""
    if server.bios.clock == "utc":
        return "+00:00"
    try:
        delta = dt.datetime.fromtimestamp(at, ZoneInfo(server.bios.timezone)).utcoffset() or dt.timedelta()
    except ZoneInfoNotFoundError:
        return "+00:00"
    minutes = int(delta.total_seconds() // 60)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _timezone(server: Server, found: dict[str, Any]) -> Check:
    want = expected_offset(server, float(found.get("read_at") or time.time()))
    got = str(found.get("offset"))
    subject = f"{server.name} time zone"
    if got == want:
        return passed(CATEGORY, subject, f"offset {want}", kind="timezone")
    hint = f"set the BMC's DateTimeLocalOffset to {want} (bios: timezone {server.bios.timezone}, clock {server.bios.clock})"
    return failed(CATEGORY, subject, "timezone", f"offset {want}", f"offset {got}", hint)


def _bios(server: Server, found: dict[str, Any]) -> Check:
    subject, want = f"{server.name} BIOS attributes", server.bios.attributes
    if not want:
        return passed(CATEGORY, subject, "none required", kind="bios")
    have = found.get("bios_attributes")
    if have is None:
        hint = "this BMC offers no Bios resource: set the attributes in the firmware setup"
        return failed(CATEGORY, subject, "bios", _pairs(want), "no Bios resource", hint)
    wrong = {k: have.get(k) for k, v in want.items() if have.get(k) != v}
    if not wrong:
        return passed(CATEGORY, subject, _pairs(want), kind="bios")
    hint = f"set {_pairs({k: want[k] for k in wrong})} (trisite deploy applies them through Redfish)"
    return failed(CATEGORY, subject, "bios", _pairs(want), _pairs(wrong), hint)


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items()))


def _controller(server: Server, found: dict[str, Any]) -> Check:
    subject, mode = f"{server.name} disk controller", server.disk_controller.mode
    types: dict[str, list[str]] = found.get("raid_types") or {}
    shown = "; ".join(f"{c}: {', '.join(t) or 'none'}" for c, t in sorted(types.items())) or "no controller"
    if mode == "none":
        return passed(CATEGORY, subject, "no requirement", shown, kind="controller")
    need = JBOD if mode == "jbod" else "RAID0" if mode == "raid0-per-disk" else "RAID1"
    if types and all(need in t for t in types.values()):
        return passed(CATEGORY, subject, f"{mode} possible", shown, kind="controller")
    if (
        mode == "jbod"
        and server.disk_controller.fallback
        and all("RAID0" in t for t in types.values())
        and types
    ):
        hint = (
            "JBOD is impossible on this controller: the deployment will build one RAID 0 volume per disk "
            "(the design's fallback); ask the supplier for a pass-through (HBA) controller to avoid it"
        )
        return failed(CATEGORY, subject, "no-jbod", "JBOD (disks passed through)", shown, hint)
    hint = f"replace the controller with one offering {need}, or change disk_controller in the design"
    return failed(CATEGORY, subject, "controller", f"{mode} possible", shown, hint)


def _boot_mode(server: Server, found: dict[str, Any]) -> Check:
    got = str(found.get("boot_mode"))
    if got == BOOT_MODE:
        return passed(CATEGORY, f"{server.name} boot mode", BOOT_MODE, kind="boot-mode")
    hint = f"switch the firmware to {BOOT_MODE} boot"
    return failed(CATEGORY, f"{server.name} boot mode", "boot-mode", BOOT_MODE, got, hint)


def _nics(server: Server, found: dict[str, Any]) -> Check:
    listed, want = list(found.get("nics") or []), [n.name for n in server.nics]
    expected = f"{len(want)} ({', '.join(want)})"
    if len(listed) >= len(want):
        return passed(CATEGORY, f"{server.name} NICs", expected, f"{len(listed)} listed", kind="nics")
    hint = "fit the missing network cards (or enable them in the firmware)"
    return failed(CATEGORY, f"{server.name} NICs", "nics", expected, f"{len(listed)} listed", hint)


def _usual_firmware(design: Design, answered: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Per server model, the BMC firmware most of its servers run (the one the others should match)."""
    by_model: dict[str, Counter[str]] = {}
    for server in design.servers:
        if server.name in answered:
            version = str(answered[server.name].get("firmware"))
            by_model.setdefault(server.model, Counter())[version] += 1
    return {model: counts.most_common(1)[0][0] for model, counts in by_model.items()}


def _firmware(server: Server, found: dict[str, Any], usual: str | None) -> Check:
    got = str(found.get("firmware"))
    subject = f"{server.name} firmware"
    want = f"{usual} (as the other {server.model or 'unnamed model'} servers)"
    if got == usual and got != "None":
        return passed(CATEGORY, subject, want, got, kind="firmware")
    hint = f"update the BMC firmware to {usual}, as on the other servers of its model"
    return failed(CATEGORY, subject, "firmware", want, got, hint)


JUDGES: tuple[Callable[[Server, dict[str, Any]], Check], ...] = (
    _health,
    _clock,
    _timezone,
    _bios,
    _controller,
    _boot_mode,
    _nics,
)


def check(design: Design, reality: Reality) -> list[Check]:
    if reality.bmcs is None or not reality.can("inspect:bmc"):
        return [skipped(CATEGORY, "BMCs", "this target cannot inspect BMCs")]
    return compare(design, read(design, reality), reality.bmc_timeout)
