"""Routing: every firewall's BGP session on every internet line established, with routes received (what the
line's `receive` asks for) and our public prefixes sent where the site announces them; BFD up where designed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from trisite.check.observe import gather
from trisite.check.reality import Reality
from trisite.check.result import Check, failed, passed, skipped
from trisite.errors import TargetError
from trisite.model import Design

CATEGORY = "routing"
Seen = dict[
    str, tuple[dict[str, Any], list[dict[str, Any]]] | TargetError
]  # firewall -> (BGP peers, BFD peers)


@dataclass(frozen=True)
class Session:
    firewall: str
    line: str
    operator: str
    peer: str
    bfd: bool
    announces: bool  # the site announces a public prefix on its lines


def expected(design: Design) -> list[Session]:
    announcing = {a.site for p in design.public_prefixes for a in p.announce}
    return [
        Session(f, u.name, u.operator, str(u.bgp.peer_address), u.bgp.bfd is not None, u.site in announcing)
        for u in design.uplinks
        for f in u.firewalls
    ]


def parse_bgp(text: str) -> dict[str, Any]:
    """`show bgp summary json` -> peer address -> FRR's view of it (IPv4 and IPv6 unicast)."""
    data = json.loads(text or "{}")
    peers: dict[str, Any] = {}
    for family in ("ipv4Unicast", "ipv6Unicast"):
        peers |= (data.get(family) or {}).get("peers", {})
    return peers


def parse_bfd(text: str) -> list[dict[str, Any]]:
    found = json.loads(text or "[]")
    return found if isinstance(found, list) else []


def read(design: Design, reality: Reality) -> Seen:
    def one(firewall: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        bfd = reality.devices.observe(firewall, "bfd") if reality.can("observe:bfd") else "[]"
        return parse_bgp(reality.devices.observe(firewall, "bgp")), parse_bfd(bfd)

    return gather({s.firewall for s in expected(design)}, one, reality.parallel)


def compare(design: Design, seen: Seen) -> list[Check]:
    checks: list[Check] = []
    for session in expected(design):
        state = seen.get(session.firewall)
        subject = f"{session.firewall} BGP to {session.peer} ({session.operator}, {session.line})"
        if state is None:
            continue
        if isinstance(state, TargetError):
            hint = f"start FRR on {session.firewall} (trisite deploy), then check again"
            checks.append(failed(CATEGORY, subject, "unreadable", "Established", str(state), hint))
            continue
        bgp, bfd = state
        checks.append(_bgp(session, subject, bgp.get(session.peer)))
        if session.bfd:
            checks.append(_bfd(session, bfd))
    return checks


def _bgp(session: Session, subject: str, peer: dict[str, Any] | None) -> Check:
    want = "Established, routes received" + (", our prefixes sent" if session.announces else "")
    if peer is None:
        hint = f"configure the session to {session.peer} on {session.firewall} (trisite deploy renders it)"
        return failed(CATEGORY, subject, "missing", want, "no such neighbour", hint)
    state, received, sent = peer.get("state"), int(peer.get("pfxRcd") or 0), int(peer.get("pfxSnt") or 0)
    found = f"{state}, {received} received, {sent} sent"
    if state != "Established":
        hint = (
            f"ask {session.operator} to enable its session to {session.firewall} on {session.line} "
            "(check the peer address, AS and MD5 key on both sides)"
        )
        return failed(CATEGORY, subject, "down", want, found, hint)
    if received == 0 or (session.announces and sent == 0):
        hint = "check the route maps and prefix lists on both sides (trisite plan shows drift)"
        return failed(CATEGORY, subject, "prefixes", want, found, hint)
    return passed(CATEGORY, subject, want, found, kind="bgp")


def _bfd(session: Session, peers: list[dict[str, Any]]) -> Check:
    subject = f"{session.firewall} BFD to {session.peer} ({session.line})"
    peer = next((p for p in peers if p.get("peer") == session.peer), None)
    status = "no BFD session" if peer is None else str(peer.get("status"))
    if status == "up":
        return passed(CATEGORY, subject, "up", kind="bfd")
    hint = f"enable BFD towards {session.peer} on both sides (ask {session.operator} for its end)"
    return failed(CATEGORY, subject, "bfd", "up", status, hint)


def check(design: Design, reality: Reality) -> list[Check]:
    if not reality.can("observe:bgp"):
        return [skipped(CATEGORY, "BGP", "this target cannot read its firewalls' routing")]
    return compare(design, read(design, reality))
