"""The design's interface names (ix1, ix1.100) as OPNsense's assignment keys (wan, lan, optN), read from the
firewall: the interfaces overview maps each assigned device to its key, the VLAN list maps (parent, tag) to the
VLAN's device (vlan01, or ix1_vlan100 in older naming)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trisite.errors import DriverError

OVERVIEW = "/api/interfaces/overview/interfacesInfo"
VLANS = "/api/interfaces/vlan_settings/searchItem"
# (the body's key, the field naming interfaces): filter rules take a comma-separated list.
FIELDS = (
    ("rule", "interface"),
    ("vip", "interface"),
    ("interface", "interfacename"),
    ("ospf", "passiveinterfaces"),
)


@dataclass(frozen=True)
class InterfaceNames:
    by_device: dict[str, str]  # OPNsense device -> its assignment key
    vlans: dict[tuple[str, str], str]  # (parent device, tag) -> the VLAN's device

    def key(self, name: str) -> str | None:
        """The assignment key of a design's interface name, None when OPNsense has none for it."""
        if name in self.by_device.values():
            return name  # already a key
        parent, dot, tag = name.partition(".")
        device = self.vlans.get((parent, tag)) if dot else name
        return self.by_device.get(device) if device else None

    def describe(self) -> str:
        shown = [f"{key}={device}" for device, key in sorted(self.by_device.items(), key=lambda i: i[1])]
        return ", ".join(shown) or "none assigned"


def read_names(answer: Callable[[str, str], Any]) -> InterfaceNames:
    overview, vlans = answer("GET", OVERVIEW), answer("GET", VLANS)
    by_device = {
        str(row["device"]): str(row["identifier"])
        for row in _rows(overview)
        if row.get("device") and row.get("identifier")
    }
    by_tag = {
        (str(row["if"]), str(row["tag"])): str(row["vlanif"]).split(" ")[0]  # "vlan01 [DMZ]" when assigned
        for row in _rows(vlans)
        if row.get("if") and row.get("tag") and row.get("vlanif")
    }
    return InterfaceNames(by_device, by_tag)


def _rows(found: object) -> list[Mapping[str, Any]]:
    rows = found.get("rows", []) if isinstance(found, Mapping) else []
    return [r for r in rows if isinstance(r, Mapping)]


def rename_interfaces(device: str, call: dict[str, Any], names: InterfaceNames) -> dict[str, Any]:
    """The call with the design's interface names replaced by OPNsense's keys (a copy); unknown ones refused."""
    renamed = copy.deepcopy(call)
    body = renamed.get("body")
    if not isinstance(body, dict):
        return renamed
    for kind, field in FIELDS:
        item = body.get(kind)
        if isinstance(item, dict) and isinstance(item.get(field), str) and item[field]:
            item[field] = ",".join(_key(device, n.strip(), names) for n in item[field].split(","))
    return renamed


def _key(device: str, name: str, names: InterfaceNames) -> str:
    key = names.key(name)
    if key is None:
        raise DriverError(
            f"{device}: interface {name} is not assigned on OPNsense ({names.describe()}): assign it "
            "(Interfaces: Assignments), then deploy again",
            device=device,
        )
    return key
