"""The things that fail, and their ids: a shared view for verify (the twin), the lab and prove.

Ids are stable strings (`server:dc1-ceph1`, `cable:dc1-ceph1:eno1|dc1-sw1:swp3`, `feed:dc1/a`, a shared risk
`risk:conduit-north`), so that
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
    found += [Component(risk, "risk", None) for risk in risk_groups(design)]
    return found


def risk_groups(design: Design) -> dict[str, tuple[str, ...]]:
    """Each shared risk and the ids of what fails with it: the design's `risks`, plus the ones it implies —
    MAN links of one carrier (`carrier:NAME`), operators with one AS number (`asn:N`)."""
    found = {f"risk:{r.name}": tuple(dict.fromkeys(r.members)) for r in design.risks}
    carriers: dict[str, list[str]] = {}
    for m in design.man_links:
        if m.carrier:
            carriers.setdefault(m.carrier, []).append(f"man:{m.name}")
    found |= {f"carrier:{name}": tuple(links) for name, links in carriers.items() if len(links) > 1}
    asns: dict[int, list[str]] = {}
    for o in design.operators:
        asns.setdefault(int(o.asn), []).append(f"operator:{o.name}")
    found |= {f"asn:{asn}": tuple(ops) for asn, ops in asns.items() if len(ops) > 1}
    return found
