"""Versions past end of life, or known not to work together (facts in data/versions.yaml, with sources)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

import yaml

from trisite.model import Design
from trisite.model.devices import Server, Vm
from trisite.verify.findings import Finding

SOON_DAYS = 180


@cache
def facts() -> dict[str, Any]:
    text = resources.files("trisite.verify").joinpath("data/versions.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _cycle(component: str, version: str) -> str:
    """The release line a version belongs to: Ceph by major, Kubernetes by minor, an OS as written."""
    parts = version.split(".")
    if component == "ceph":
        return parts[0]
    if component == "kubernetes":
        return ".".join(parts[:2])
    return version


def _versions(design: Design) -> list[tuple[str, str, str, tuple[str | int, ...]]]:
    """(component, version, subject, design path) for everything the design pins."""
    found: list[tuple[str, str, str, tuple[str | int, ...]]] = []
    v = design.versions

    for i, c in enumerate(design.ceph):
        if c.version or v.ceph:
            found.append(
                (
                    "ceph",
                    c.version or v.ceph or "",
                    f"ceph[{c.name}]",
                    ("ceph", i, "version") if c.version else ("versions", "ceph"),
                )
            )
    for i, k in enumerate(design.kubernetes):
        if k.version or v.kubernetes:
            found.append(
                (
                    "kubernetes",
                    k.version or v.kubernetes or "",
                    f"kubernetes[{k.name}]",
                    ("kubernetes", i, "version") if k.version else ("versions", "kubernetes"),
                )
            )
    found.append(("os", v.os, "versions.os", ("versions", "os")))
    for section in ("servers", "vms"):
        for i, host in enumerate(getattr(design, section)):
            if host.os and host.os != v.os:
                found.append(("os", host.os, f"{section}[{host.name}].os", (section, i, "os")))
    return found


def check(design: Design, today: dt.date) -> list[Finding]:
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for component, version, subject, path in _versions(design):
        cycle = _cycle(component, version)
        if component == "os" and (component, cycle) in seen:
            continue
        seen.add((component, cycle))
        entry = facts()["eol"].get(component, {}).get(cycle)
        if entry is None:
            found.append(
                Finding(
                    "VERSION-UNKNOWN",
                    "info",
                    subject,
                    f"no lifecycle data for {component} {version}",
                    "add it to trisite/verify/data/versions.yaml with its source",
                    path,
                )
            )
            continue
        until: dt.date = entry["until"]
        if until < today:
            found.append(
                Finding(
                    "VERSION-EOL",
                    "critical",
                    subject,
                    f"{component} {version} reached end of life on {until}",
                    f"upgrade to a supported release (source: {entry['source']})",
                    path,
                )
            )
        elif (until - today).days <= SOON_DAYS:
            found.append(
                Finding(
                    "VERSION-EOL",
                    "warning",
                    subject,
                    f"{component} {version} reaches end of life on {until}",
                    f"plan the upgrade now (source: {entry['source']})",
                    path,
                )
            )
    return found + _compatibility(design)


def _compatibility(design: Design) -> list[Finding]:
    found: list[Finding] = []
    pinned = {k: str(v) for k, v in design.versions.model_dump().items() if v}
    hosts: list[Server | Vm] = [*design.servers, *design.vms]
    for rule in facts()["compatible"]:
        if not all(pinned.get(k, "").startswith(str(v)) for k, v in rule["when"].items()):
            continue
        accepted = rule["require"]["os"]
        wrong = [h for h in hosts if rule["role"] in h.roles and (h.os or design.versions.os) not in accepted]
        if not wrong:
            continue
        first = wrong[0]
        section = "servers" if first in design.servers else "vms"
        names = ", ".join(h.name for h in wrong[:4]) + (" and others" if len(wrong) > 4 else "")
        found.append(
            Finding(
                "VERSION-INCOMPATIBLE",
                "critical",
                rule["id"],
                f"{rule['why']}: {names} run {first.os or design.versions.os}",
                f"use one of {', '.join(accepted)} (source: {rule['source']})",
                (section, getattr(design, section).index(first), "os"),
            )
        )
    return found
