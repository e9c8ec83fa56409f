"""Links: every cable, MAN link and internet line as delivered, at both ends: up, its MTU and its speed (what
the port negotiated, or what shapes it to less) against the design."""

from __future__ import annotations

import json
from typing import Any

from trisite.check import throughput
from trisite.check.observe import gather
from trisite.check.reality import Reality
from trisite.check.result import Check, failed, passed, skipped
from trisite.errors import TargetError
from trisite.model import Design
from trisite.model.links import OPERATOR, Link, links

CATEGORY = "links"
Ports = dict[str, dict[str, Any]]  # port -> {"mtu", "up", "speed_mbps", "shaped_mbps"}
Seen = dict[str, Ports | TargetError]


def observable(design: Design, reality: Reality) -> list[Link]:
    """The links whose ends this target can read (an operator's end only where the target shows it)."""
    operators = reality.can("operator-end")
    return [lk for lk in links(design) if operators or not lk.b[0].startswith(OPERATOR)]


def read(design: Design, reality: Reality) -> Seen:
    devices = {end[0] for lk in observable(design, reality) for end in (lk.a, lk.b)}

    def ports(device: str) -> Ports:
        found: Ports = json.loads(reality.devices.observe(device, "ports"))
        return found

    return gather(devices, ports, reality.parallel)


def _end(seen: Seen, end: tuple[str, str]) -> dict[str, Any] | str:
    """The port's state, or why it is not known."""
    ports = seen.get(end[0])
    if ports is None:
        return "not read"
    if isinstance(ports, TargetError):
        return str(ports)
    return ports.get(end[1]) or f"{end[0]} has no port {end[1]}"


def _label(end: tuple[str, str]) -> str:
    return f"{end[0]}:{end[1]}"


def compare(design: Design, seen: Seen, listed: list[Link] | None = None) -> list[Check]:
    checks: list[Check] = []
    for link in listed if listed is not None else links(design):
        ends = {_label(e): _end(seen, e) for e in (link.a, link.b)}
        broken = {name: why for name, why in ends.items() if isinstance(why, str)}
        subject = f"{link.name} ({' - '.join(ends)})"
        if broken:
            found = "; ".join(f"{n}: {w}" for n, w in broken.items())
            hint = "cable the port as designed, or check the device answers"
            checks.append(failed(CATEGORY, subject, "unreadable", "both ends readable", found, hint))
            continue
        states = {n: s for n, s in ends.items() if not isinstance(s, str)}
        checks += [_up(subject, states), _mtu(subject, link, states), _speed(subject, link, states)]
    return checks


def _up(subject: str, states: dict[str, dict[str, Any]]) -> Check:
    down = [n for n, s in states.items() if not s.get("up")]
    if not down:
        return passed(CATEGORY, subject, "up at both ends", kind="state")
    hint = f"bring {', '.join(down)} up (admin state, optics, the far end's power)"
    return failed(CATEGORY, subject, "down", "up at both ends", f"down at {', '.join(down)}", hint)


def _mtu(subject: str, link: Link, states: dict[str, dict[str, Any]]) -> Check:
    found = ", ".join(f"{n} {s.get('mtu')}" for n, s in states.items())
    wrong = [n for n, s in states.items() if s.get("mtu") != link.mtu]
    if not wrong:
        return passed(CATEGORY, subject, f"MTU {link.mtu} at both ends", found, kind="mtu")
    hint = f"set MTU {link.mtu} on {', '.join(wrong)} (a smaller MTU at one end drops large frames silently)"
    return failed(CATEGORY, subject, "mtu", f"MTU {link.mtu} at both ends", found, hint)


def _rate(state: dict[str, Any]) -> int | None:
    """What the port carries at most: its negotiated speed, or less where something shapes it."""
    known = [v for v in (state.get("speed_mbps"), state.get("shaped_mbps")) if isinstance(v, int) and v > 0]
    return min(known) if known else None


def _speed(subject: str, link: Link, states: dict[str, dict[str, Any]]) -> Check:
    rates = {n: _rate(s) for n, s in states.items()}
    found = ", ".join(f"{n} {_mbps(r) if r else 'not negotiated (emulated)'}" for n, r in rates.items())
    slow = [n for n, r in rates.items() if r is not None and r < link.speed]
    want = f"{_mbps(link.speed)} at both ends"
    if not slow:
        return passed(CATEGORY, subject, want, found, kind="speed")
    hint = f"{', '.join(slow)} delivers less than the {_mbps(link.speed)} ordered: have the supplier fix it"
    return failed(CATEGORY, subject, "slow", want, found, hint)


def _mbps(value: int) -> str:
    return f"{value // 1000}G" if value % 1000 == 0 else f"{value}M"


def check(design: Design, reality: Reality) -> list[Check]:
    if not reality.can("observe:ports"):
        return [skipped(CATEGORY, "ports", "this target cannot read its ports' state")]
    listed = observable(design, reality)
    return compare(design, read(design, reality), listed) + throughput.check(design, reality)
