"""Cabling: the LLDP neighbour of every cabled port (the design's cables and MAN links, at both ends) against
the design: matches, swapped (with which), missing, unexpected, or a device at the wrong site."""

from __future__ import annotations

import json
from dataclasses import dataclass

from trisite.check.observe import gather
from trisite.check.reality import Reality
from trisite.check.result import Check, failed, passed, skipped
from trisite.errors import TargetError
from trisite.model import Design, Index
from trisite.model.devices import Firewall, Server, Switch
from trisite.model.types import split_endpoint

CATEGORY = "cabling"
Port = tuple[str, str]  # (device, port)
Seen = dict[
    str, dict[str, Port] | TargetError
]  # device -> its ports' neighbours, or why it could not be read


@dataclass(frozen=True)
class End:
    """One end of a designed cable: where LLDP must show the far end."""

    here: Port
    far: Port
    cable: str  # the design's name for it: a MAN link's name, or its two ends


def speaks_lldp(design: Design, device: str) -> bool:
    """Devices whose ports run LLDP as delivered: switches (unless switched off), servers, physical firewalls."""
    host = Index.of(design).hosts.get(device)
    if isinstance(host, Switch):
        return host.lldp
    return isinstance(host, Server) or (isinstance(host, Firewall) and host.kind == "physical")


def expected(design: Design) -> list[End]:
    ends: list[End] = []
    pairs = [(c.a, c.b, f"cable {c.a} - {c.b}") for c in design.cables]
    pairs += [(m.a, m.b, f"MAN link {m.name}") for m in design.man_links]
    for a, b, name in pairs:
        pa, pb = split_endpoint(a), split_endpoint(b)
        ends += [End(pa, pb, name), End(pb, pa, name)]
    return sorted((e for e in ends if speaks_lldp(design, e.here[0])), key=lambda e: e.here)


def parse(text: str) -> dict[str, Port]:
    """lldpcli's JSON (`-f json show neighbors`) -> port -> (neighbour's system name, its port id)."""
    data = json.loads(text or "{}").get("lldp", {})
    entries = data.get("interface", []) if isinstance(data, dict) else []
    if isinstance(entries, dict):  # one neighbour: lldpcli gives a mapping, several: a list of mappings
        entries = [{k: v} for k, v in entries.items()]
    found: dict[str, Port] = {}
    for entry in entries:
        for port, info in entry.items():
            chassis = next(iter(info.get("chassis", {})), "")
            found[port] = (chassis, str(info.get("port", {}).get("id", {}).get("value", "")))
    return found


def read(design: Design, reality: Reality) -> Seen:
    devices = {e.here[0] for e in expected(design)}
    return gather(devices, lambda d: parse(reality.devices.observe(d, "lldp")), reality.parallel)


def _name(port: Port) -> str:
    return f"{port[0]}:{port[1]}"


def compare(design: Design, seen: Seen) -> list[Check]:
    ends = expected(design)
    neighbours = {
        (device, port): far
        for device, ports in seen.items()
        if not isinstance(ports, TargetError)
        for port, far in ports.items()
    }
    checks = [_unreadable(d, e) for d, e in sorted(seen.items()) if isinstance(e, TargetError)]
    readable = {d for d, ports in seen.items() if not isinstance(ports, TargetError)}
    checks += [_one(design, e, ends, neighbours) for e in ends if e.here[0] in readable]
    designed = {e.here for e in ends}
    checks += [
        failed(
            CATEGORY,
            _name(here),
            "unexpected",
            "no cable in the design",
            _name(far),
            f"remove the cable from {_name(here)} to {_name(far)}, or add it to the design",
        )
        for here, far in sorted(neighbours.items())
        if here not in designed
    ]
    return checks


def _unreadable(device: str, error: TargetError) -> Check:
    return failed(
        CATEGORY,
        device,
        "unreadable",
        "LLDP neighbours",
        str(error),
        f"start lldpd on {device}, then check again",
    )


def _one(design: Design, end: End, ends: list[End], neighbours: dict[Port, Port]) -> Check:
    subject, want = f"{_name(end.here)} ({end.cable})", _name(end.far)
    got = neighbours.get(end.here)
    if got == end.far:
        return passed(CATEGORY, subject, want)
    if got is None:
        return failed(
            CATEGORY,
            subject,
            "missing",
            want,
            "no LLDP neighbour",
            f"plug {_name(end.here)} into {want} (or check that its far end runs LLDP and the link is up)",
        )
    return _mismatch(design, end, got, ends, neighbours)


def _mismatch(design: Design, end: End, got: Port, ends: list[End], neighbours: dict[Port, Port]) -> Check:
    ix = Index.of(design)
    here_site, got_site, want_site = (ix.site_of(p[0]) for p in (end.here, got, end.far))
    # A box of another site where a cable inside this one (or the box answering with our own name) ends: it
    # was prepared for elsewhere. Checked before swaps: two such boxes look swapped across sites, which no
    # cable can be.
    if got[0] in ix.hosts and got_site != want_site and (here_site == want_site or got[0] == end.here[0]):
        return _wrong_site(end, got, got_site, want_site)
    other = next((e for e in ends if e.far == got and e.here != end.here), None)
    if other is not None:
        return _swapped(end, got, other, neighbours.get(other.here) == end.far)
    subject, want = f"{_name(end.here)} ({end.cable})", _name(end.far)
    if got[0] == end.far[0]:
        hint = f"move the cable on {got[0]} from {got[1]} to {end.far[1]}"
        return failed(CATEGORY, subject, "wrong-port", want, _name(got), hint)
    hint = f"{_name(got)} is not designed here: recable {_name(end.here)} to {want}"
    return failed(CATEGORY, subject, "unexpected", want, _name(got), hint)


def _wrong_site(end: End, got: Port, got_site: str | None, want_site: str | None) -> Check:
    return failed(
        CATEGORY,
        f"{_name(end.here)} ({end.cable})",
        "wrong-site",
        f"{_name(end.far)} (at {want_site})",
        f"{_name(got)} (a device of {got_site})",
        f"the box cabled as {end.far[0]} was prepared as {got[0]} for {got_site}: swap it with the one "
        f"prepared as {end.far[0]}, or rename and reconfigure it",
    )


def _swapped(end: End, got: Port, other: End, crossed: bool) -> Check:
    here, there = _name(end.here), _name(other.here)
    return failed(
        CATEGORY,
        f"{here} ({end.cable})",
        "swapped" if crossed else "misplaced",
        _name(end.far),
        f"{_name(got)} (meant for {there}, {other.cable})",
        f"swap the far ends of {here} and {there}"
        if crossed
        else f"move the cable at {_name(got)} from {here} to {there}",
    )


def check(design: Design, reality: Reality) -> list[Check]:
    if not reality.can("observe:lldp"):
        return [skipped(CATEGORY, "LLDP", "this target cannot read LLDP neighbours")]
    return compare(design, read(design, reality))
