"""What each server's BMC must be told, as Redfish operations the deploy stage applies.

Resource paths are written with placeholders ({system}, {manager}, {storage}, {drive:NAME}) that the Redfish
driver resolves after discovery, since vendors name their resources differently. BIOS attribute names are
vendor-specific too: the design's `bios.attributes` go through as written; the clock intent is explicit.
"""

from __future__ import annotations

from typing import Any

from trisite.model import Design, Index
from trisite.model.devices import Server
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import to_json

BOOT_TARGETS = {"pxe": "Pxe", "disk": "Hdd", "cdrom": "Cd", "usb": "Usb", "http": "UefiHttp"}


def operations(server: Server, timezone: str) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = [
        {
            "id": "manager-clock",
            "method": "PATCH",
            "path": "{manager}",
            "body": {"DateTimeLocalOffset": "+00:00"},
            "why": "the BMC keeps UTC, so that logs from every site line up",
        },
        {
            "id": "bios-clock",
            "kind": "bios-intent",
            "want": {"timezone": server.bios.timezone, "rtc": server.bios.clock},
            "why": f"the seed found BIOS clocks on local time while the OS said UTC; platform time zone {timezone}",
        },
    ]
    if server.bios.attributes:
        ops.append(
            {
                "id": "bios-attributes",
                "method": "PATCH",
                "path": "{system}/Bios/Settings",
                "body": {"Attributes": dict(sorted(server.bios.attributes.items()))},
                "why": "settings listed in the design",
                "reboot": True,
            }
        )
    ops.append(
        {
            "id": "boot-order",
            "kind": "boot-order",
            "want": [BOOT_TARGETS[b] for b in server.bios.boot_order],
            "why": "BootOrder takes the BootOptionReference of each target, resolved on the system",
        }
    )
    osd = [d for d in server.disks if d.use == "osd"]
    if osd:
        controller = server.disk_controller
        ops.append(
            {
                "id": "storage-mode",
                "kind": "controller-mode",
                "want": controller.mode,
                "fallback": controller.fallback,
                "why": "JBOD wanted for Ceph; many controllers cannot, hence one RAID 0 volume per disk",
                "fallback_operations": [
                    {
                        "method": "POST",
                        "path": "{storage}/Volumes",
                        "body": {
                            "Name": f"osd-{d.name}",
                            "RAIDType": "RAID0",
                            "Links": {"Drives": [{"@odata.id": f"{{drive:{d.name}}}"}]},
                        },
                    }
                    for d in osd
                ]
                if controller.fallback
                else [],
            }
        )
    ops.append(
        {
            "id": "pxe-once",
            "method": "PATCH",
            "path": "{system}",
            "body": {"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Pxe"}},
            "why": "first boot installs the operating system over the network",
            "phase": "install",
        }
    )
    return ops


def render(design: Design, _ix: Index) -> list[Artifact]:
    found = []
    for s in design.servers:
        doc = {
            "server": s.name,
            "bmc": {
                "address": str(s.bmc.address),
                "protocol": s.bmc.protocol,
                "user": s.bmc.user,
                "credentials": s.bmc.credentials,
                "verify_tls": s.bmc.verify_tls,
            },
            "operations": operations(s, design.platform.timezone),
        }
        found.append(
            Artifact(
                f"{s.site}/{s.name}/redfish/operations.json",
                to_json(doc),
                "redfish",
                s.name,
                s.site,
                Apply("redfish", f"https://{s.bmc.address}/redfish/v1"),
            )
        )
    return found
