"""Every physical link of a design with what it must deliver at both ends (speed and MTU): the cables, the MAN
links and the internet lines' hand-offs. One view for the lab (which builds the links so) and the acceptance
checks (which compare what was delivered with it)."""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model.design import Design
from trisite.model.devices import Switch
from trisite.model.index import Index
from trisite.model.types import split_endpoint

# The far end of an internet line: the operator's router, named `operator:LINE`, its port `handoff`.
OPERATOR = "operator:"
OPERATOR_PORT = "handoff"


@dataclass(frozen=True, order=True)
class Link:
    name: str  # "MAN link man-12", "cable dc1-fw1:ix0 - dc1-sw1:swp1", "line dc1-transit"
    a: tuple[str, str]  # (device, port)
    b: tuple[str, str]
    speed: int  # Mbit/s, what was ordered
    mtu: int


def _port_mtu(ix: Index, device: str, port: str) -> int | None:
    """A NIC's own MTU (switch ports have none of their own: they follow what is plugged into them)."""
    host = ix.hosts.get(device)
    nic = next((n for n in ix.nics(host) if n.name == port), None) if host is not None else None
    return nic.mtu if nic is not None else None


def _trunk_mtu(ix: Index, a: str, b: str) -> int:
    """Between two switches: the largest MTU of the networks it may carry (those of both ends' sites)."""
    sites = {ix.site_of(a), ix.site_of(b)}
    return max([n.mtu for n in ix.design.networks if sites <= set(n.sites)] or [1500])


def _cable(ix: Index, a: str, b: str, speed: int | None) -> Link:
    (da, pa), (db, pb) = split_endpoint(a), split_endpoint(b)
    mtus = [m for m in (_port_mtu(ix, da, pa), _port_mtu(ix, db, pb)) if m is not None]
    both_switches = all(isinstance(ix.hosts.get(d), Switch) for d in (da, db))
    mtu = max(mtus) if mtus else (_trunk_mtu(ix, da, db) if both_switches else 1500)
    ordered = speed or min(
        ix.ports(ix.hosts[d]).get(p, 0) if d in ix.hosts else 0 for d, p in ((da, pa), (db, pb))
    )
    return Link(f"cable {a} - {b}", (da, pa), (db, pb), ordered, mtu)


def links(design: Design) -> list[Link]:
    ix = Index.of(design)
    found = [_cable(ix, c.a, c.b, c.speed) for c in design.cables]
    found += [
        Link(f"MAN link {m.name}", split_endpoint(m.a), split_endpoint(m.b), m.speed, m.mtu)
        for m in design.man_links
    ]
    found += [
        Link(
            f"line {u.name}",
            split_endpoint(u.handoff),
            (OPERATOR + u.name, OPERATOR_PORT),
            u.speed,
            ix.networks[u.network].mtu,
        )
        for u in design.uplinks
        if u.handoff
    ]
    return sorted(found)


def port_mtus(design: Design) -> dict[tuple[str, str], int]:
    """(device, port) -> the MTU it must have, for every end of every designed link."""
    return {end: link.mtu for link in links(design) for end in (link.a, link.b)}
