"""The things that fail, and their ids: a shared view for verify (the twin), the lab and prove.

Ids are stable strings (`server:dc1-ceph1`, `cable:dc1-ceph1:eno1|dc1-sw1:swp3`, `feed:dc1/a`), so that
findings and sweep results can be compared across runs and designs, and a lab cut names what the twin failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model.design import Design
from trisite.model.operations import ComponentClass


@dataclass(frozen=True, order=True)
class Component:
    id: str
    kind: ComponentClass
    site: str | None

    @property
    def name(self) -> str:
        return self.id.split(":", 1)[1]


def cable_id(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"cable:{first}|{second}"


def enumerate_components(design: Design) -> list[Component]:
    """Every failure unit of the design, in a stable order."""
    found: list[Component] = [Component(f"site:{s.name}", "site", s.name) for s in design.sites]
    found += [
        Component(f"feed:{s.name}/{f.name}", "power-feed", s.name)
        for s in design.sites
        for f in s.power_feeds
    ]
    found += [Component(f"switch:{w.name}", "switch", w.site) for w in design.switches]
    found += [
        Component(f"firewall:{f.name}", "firewall", f.site) for f in design.firewalls if f.kind == "physical"
    ]
    found += [Component(f"server:{s.name}", "server", s.site) for s in design.servers]
    found += [Component(f"vm:{v.name}", "vm", None) for v in design.vms]
    found += [Component(f"vm:{f.name}", "vm", None) for f in design.firewalls if f.kind == "virtual"]
    sites = {w.name: w.site for w in design.switches} | {s.name: s.site for s in design.servers}
    sites |= {f.name: f.site for f in design.firewalls}
    for cable in design.cables:
        found.append(Component(cable_id(cable.a, cable.b), "cable", sites.get(cable.a.split(":")[0])))
    found += [Component(f"man:{m.name}", "man-link", None) for m in design.man_links]
    found += [Component(f"uplink:{u.name}", "uplink", u.site) for u in design.uplinks]
    found += [Component(f"operator:{o.name}", "operator", None) for o in design.operators]
    return found
