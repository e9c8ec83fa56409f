"""render/redfish.py's operations applied to one BMC, and what they set read back.

Vendors name their resources differently, so operations carry placeholders ({system}, {manager}, {storage},
{drive:NAME}) resolved here from what the BMC itself lists. sushy models the resources it knows (systems,
managers, BIOS, storage); what it does not (BootOptions, BootOrder) is read and written as plain Redfish JSON
through the same connector.

Nothing here retries or names the BMC: the client (drivers/redfish.py) does both around each call, and turns
`UnfitError` (the BMC cannot do what the design asks, retrying will not help) into a DriverError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sushy import exceptions as sushy_errors

PLACEHOLDER = re.compile(r"\{(system|manager|storage|drive:[^}]+)\}")
BIOS_SETTINGS = "{system}/Bios/Settings"
# No standard Redfish property holds the BIOS time zone or whether the RTC keeps UTC: the operating system sets
# the RTC (hwclock --utc), and a vendor's attribute for it goes in the design's bios.attributes.
LEFT_TO_THE_OS = frozenset({"bios-intent"})
# When a BMC leaves BootOption.Alias empty, its display name says what it boots.
BOOT_WORDS = (("PXE", "Pxe"), ("HTTP", "UefiHttp"), ("USB", "Usb"), ("CD", "Cd"), ("DVD", "Cd"))
JBOD_RAID_TYPE = "None"  # SupportedRAIDTypes: "None" is a disk passed through as it is (JBOD)


class UnfitError(Exception):
    """The BMC cannot do what an operation asks; the message says what to change (never retried)."""


@dataclass
class Found:
    """What discovery found on one BMC; storage and drives are read only when an operation needs them."""

    conn: Any  # sushy's Connector (or a test's)
    root: Any  # sushy.Sushy: kept alive so that its session stays open
    auth: Any  # what logged in: closed (the session deleted) when the caller is done
    system: Any
    _storages: list[Any] | None = field(default=None, repr=False)

    def managers(self) -> list[Any]:
        try:
            return list(self.system.managers)
        except sushy_errors.MissingAttributeError:
            return []

    def manager(self) -> Any:
        managers = self.managers()
        if not managers:
            raise UnfitError("the system names no manager (Links.ManagedBy)")
        return managers[0]

    def storages(self) -> list[Any]:
        if self._storages is None:
            try:
                self._storages = list(self.system.storage.get_members())
            except sushy_errors.MissingAttributeError:
                self._storages = []
        return self._storages

    def drive(self, name: str) -> tuple[Any, Any]:
        """The storage holding a drive and the drive, by the design's name (the drive's Id, else its Name)."""
        seen = []
        for storage in self.storages():
            for drive in storage.drives:
                if name in (drive.identity, drive.name):
                    return storage, drive
                seen.append(str(drive.identity))
        raise UnfitError(f"no drive {name} on the BMC (it lists: {', '.join(seen) or 'none'})")

    def path_of(self, name: str, storage: Any = None) -> str:
        if name == "system":
            return str(self.system.path)
        if name == "manager":
            return str(self.manager().path)
        if name == "storage":
            chosen = storage or next((s for s in self.storages() if s.storage_controllers), None)
            if chosen is None:
                raise UnfitError("the system lists no storage with a controller")
            return str(chosen.path)
        return str(self.drive(name.removeprefix("drive:"))[1].path)


def resolve(text: str, found: Found, storage: Any = None) -> str:
    if text == BIOS_SETTINGS:
        return bios_settings_uri(found)
    return PLACEHOLDER.sub(lambda m: found.path_of(m.group(1), storage), text)


def resolve_body(value: object, found: Found, storage: Any = None) -> object:
    if isinstance(value, str):
        return resolve(value, found, storage)
    if isinstance(value, Mapping):
        return {k: resolve_body(v, found, storage) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_body(v, found, storage) for v in value]
    return value


def bios_settings_uri(found: Found) -> str:
    """Where BIOS changes go: the Bios resource's settings object (vendors name it differently)."""
    try:
        bios = found.system.bios
    except sushy_errors.MissingAttributeError:
        raise UnfitError("the system offers no Bios resource, so BIOS attributes cannot be set") from None
    settings = getattr(bios, "_settings", None)  # sushy's SettingsField: @Redfish.Settings/SettingsObject
    uri = getattr(settings, "resource_uri", None)
    return str(uri) if uri else f"{bios.path}/Settings"


def apply(found: Found, op: Mapping[str, object]) -> None:
    """One operation: a plain request, or one of the kinds that need the BMC's answers first."""
    kind = op.get("kind")
    if kind in LEFT_TO_THE_OS:
        return
    if kind == "boot-order":
        set_boot_order(found, [str(t) for t in _list(op, "want")])
    elif kind == "controller-mode":
        set_controller_mode(found, op)
    elif kind is None and isinstance(op.get("method"), str):
        request(found, op)
    else:
        raise UnfitError(
            f"operation {op.get('id', '?')}: unknown kind {kind!r} (is trisite older than the render?)"
        )


def request(found: Found, op: Mapping[str, object], storage: Any = None) -> None:
    method = str(op["method"]).upper()
    path = resolve(str(op["path"]), found, storage)
    body = resolve_body(op.get("body"), found, storage)
    if method == "PATCH":
        found.conn.patch(path, data=body)
    elif method == "POST":
        found.conn.post(path, data=body, blocking=True)  # a 202 is a task: sushy follows it to its end
    elif method == "PUT":
        found.conn.put(path, data=body)
    elif method == "DELETE":
        found.conn.delete(path)
    else:
        raise UnfitError(f"operation {op.get('id', '?')}: unknown method {method}")


def _list(op: Mapping[str, object], key: str) -> list[Any]:
    value = op.get(key)
    return list(value) if isinstance(value, list) else []


# -- boot order -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BootOption:
    reference: str
    target: str  # a BootSourceOverrideTarget value: Pxe, Hdd, Cd, Usb, UefiHttp, ...


def boot_options(found: Found) -> list[BootOption] | None:
    """The system's boot options, None when it lists none (then BootOrder cannot be set through Redfish)."""
    doc = found.system.json
    link = (doc.get("Boot") or {}).get("BootOptions") or doc.get("BootOptions") or {}
    if not link.get("@odata.id"):
        return None
    listed = found.conn.get(link["@odata.id"]).json().get("Members", [])
    options = []
    for member in listed:
        option = found.conn.get(member["@odata.id"]).json()
        options.append(BootOption(str(option.get("BootOptionReference", "")), _target_of(option)))
    return options


def _target_of(option: Mapping[str, Any]) -> str:
    if option.get("Alias"):
        return str(option["Alias"])
    shown = str(option.get("DisplayName", "")).upper()
    return next((target for word, target in BOOT_WORDS if word in shown), "Hdd")


def set_boot_order(found: Found, want: Sequence[str]) -> None:
    options = boot_options(found)
    if options is None:
        raise UnfitError(
            "the system lists no BootOptions, so the boot order cannot be set: set it in the firmware"
        )
    current = [str(r) for r in (found.system.json.get("Boot") or {}).get("BootOrder") or []]
    rank = {ref: n for n, ref in enumerate(current)}
    chosen: list[str] = []
    for target in want:
        refs = sorted(
            (o.reference for o in options if o.target == target), key=lambda r: rank.get(r, len(rank))
        )
        if not refs:
            offered = ", ".join(sorted({o.target for o in options})) or "none"
            raise UnfitError(f"no boot option for {target} (the system offers {offered})")
        chosen += [r for r in refs if r not in chosen]
    order = chosen + [r for r in current if r not in chosen]
    if order != current:
        found.conn.patch(str(found.system.path), data={"Boot": {"BootOrder": order}})


def read_boot_order(found: Found) -> list[str] | None:
    """The targets in the order the system boots them (each once), None without BootOptions."""
    options = boot_options(found)
    if options is None:
        return None
    target = {o.reference: o.target for o in options}
    refs = (found.system.json.get("Boot") or {}).get("BootOrder") or []
    return list(dict.fromkeys(target.get(str(r), str(r)) for r in refs))


# -- the disk controller ------------------------------------------------------------------------------------------
def _volume_drive(op: Mapping[str, object]) -> str:
    """The design's drive a fallback volume is made of ({drive:NAME} in its body's Links)."""
    match = re.search(r"\{drive:([^}]+)\}", str(op.get("body")))
    return match.group(1) if match else ""


def raid_types(storage: Any) -> list[str]:
    return sorted({str(t.value) for c in storage.storage_controllers or [] for t in c.raid_types or []})


def set_controller_mode(found: Found, op: Mapping[str, object]) -> None:
    """JBOD when the controller passes disks through, else the design's RAID 0 volume per disk, else UnfitError."""
    want = op.get("want")
    if want == "none":
        return
    fallback = [o for o in _list(op, "fallback_operations") if isinstance(o, Mapping)]
    drives = [d for d in (_volume_drive(o) for o in fallback) if d]
    storages = {id(s): s for s in (found.drive(d)[0] for d in drives)} or {
        id(s): s for s in found.storages() if s.storage_controllers
    }
    if not storages:
        raise UnfitError("the system lists no storage controller")
    lacking = [s for s in storages.values() if JBOD_RAID_TYPE not in raid_types(s)]
    if want == "jbod" and not lacking:
        return  # drives outside any volume are passed through as they are
    if want not in ("jbod", "raid0-per-disk"):
        raise UnfitError(f"controller mode {want} is not set through Redfish by trisite: set it by hand")
    if not fallback:
        types = ", ".join(raid_types(lacking[0]) if lacking else []) or "none"
        raise UnfitError(
            f"controller {lacking[0].identity if lacking else '?'} cannot pass disks through (SupportedRAIDTypes: "
            f"{types}), so JBOD is impossible: set disk_controller.fallback: raid0-per-disk in the design"
        )
    for volume in fallback:
        storage = found.drive(_volume_drive(volume))[0] if _volume_drive(volume) else None
        _create_volume(found, volume, storage)


def _create_volume(found: Found, op: Mapping[str, object], storage: Any) -> None:
    """One RAID 0 volume, unless it exists (the same name): running the deployment twice creates nothing."""
    body = op.get("body")
    name = body.get("Name") if isinstance(body, Mapping) else None
    target = storage or next(s for s in found.storages() if s.storage_controllers)
    if "RAID0" not in raid_types(target):
        raise UnfitError(f"controller {target.identity} offers no RAID0 either: replace it or set mode: none")
    if name and name in volume_names(target):
        return
    request(found, op, target)


def volume_names(storage: Any) -> list[str]:
    try:
        collection = storage.volumes
    except sushy_errors.MissingAttributeError:
        return []
    collection.refresh(force=True)  # sushy caches the collection; a volume made a moment ago must show
    return sorted(str(v.name) for v in collection.get_members())


def controller_mode(found: Found) -> dict[str, object]:
    """Each storage with a controller: its RAID types, its volumes and the mode that results ("unknown" when
    the BMC cannot list the volumes: sushy-tools' emulator answers 500 for a storage it has no volumes of)."""
    modes: dict[str, object] = {}
    for storage in found.storages():
        if not storage.storage_controllers:
            continue
        types = raid_types(storage)
        try:
            volumes: list[str] | None = volume_names(storage)
        except sushy_errors.HTTPError:
            volumes = None
        modes[str(storage.identity)] = {
            "mode": _mode(types, volumes),
            "raid_types": types,
            "volumes": volumes,
        }
    return modes


def _mode(types: list[str], volumes: list[str] | None) -> str:
    if volumes is None:
        return "unknown"
    if any(v.startswith("osd-") for v in volumes):
        return "raid0-per-disk"
    return "jbod" if JBOD_RAID_TYPE in types else "raid-only"


# -- read back ----------------------------------------------------------------------------------------------------
def read(found: Found) -> dict[str, object]:
    """What the operations set: the manager's clock offset, BIOS attributes (current and pending), the boot
    order, the one-time boot override and each controller's mode. None where the BMC offers no such resource."""
    system = found.system
    boot = system.json.get("Boot") or {}
    return {
        "clock_offset": found.manager().datetimelocaloffset,
        **_bios(found),
        "boot_order": read_boot_order(found),
        "boot_override": {
            "enabled": boot.get("BootSourceOverrideEnabled"),
            "target": boot.get("BootSourceOverrideTarget"),
        },
        "controllers": controller_mode(found),
    }


def _bios(found: Found) -> dict[str, object]:
    try:
        bios = found.system.bios
    except sushy_errors.MissingAttributeError:
        return {"bios_attributes": None, "bios_pending": None}
    return {
        "bios_attributes": dict(bios.attributes or {}),
        "bios_pending": dict(bios.pending_attributes or {}),
    }


# -- what acceptance checks compare --------------------------------------------------------------------------------
def inspect(found: Found) -> dict[str, object]:
    """The BMC's view of its server, as `BmcInspectDriver.inspect_bmc` documents it (read only)."""
    system, managers = found.system.json, found.managers()
    manager = managers[0].json if managers else {}
    status = system.get("Status") or {}
    return {
        # Redfish spells it HealthRollup; some BMCs (sushy-tools among them) HealthRollUp.
        "health": status.get("HealthRollup") or status.get("HealthRollUp") or status.get("Health"),
        "power": system.get("PowerState"),
        "firmware": manager.get("FirmwareVersion"),
        "bios_version": system.get("BiosVersion"),
        "datetime": manager.get("DateTime"),
        "offset": manager.get("DateTimeLocalOffset"),
        "boot_mode": (system.get("Boot") or {}).get("BootSourceOverrideMode"),
        "bios_attributes": _bios(found)["bios_attributes"],
        "raid_types": {
            f"{s.identity}/{c.member_id}": sorted(str(t.value) for t in c.raid_types or [])
            for s in found.storages()
            for c in s.storage_controllers or []
        },
        "nics": _nics(found),
    }


def _nics(found: Found) -> list[str]:
    """The system's network interfaces (their ids: MAC addresses or names, as the BMC lists them)."""
    link = (found.system.json.get("EthernetInterfaces") or {}).get("@odata.id")
    if not link:
        return []
    members = found.conn.get(link).json().get("Members", [])
    return sorted(str(m.get("@odata.id", "")).rstrip("/").rsplit("/", 1)[-1] for m in members)
