"""A sketch of the platform for a report's picture: the sites with their devices, the links between them and
to the internet, and where a scenario's fault falls on it."""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model import Design

INTERNET = "internet"


@dataclass(frozen=True)
class Link:
    id: str  # the component: man:NAME, uplink:NAME
    a: str  # a site, or "internet"
    b: str
    operator: str = ""  # an uplink's operator


@dataclass(frozen=True)
class Sketch:
    sites: tuple[tuple[str, tuple[str, ...]], ...]  # (site, its devices)
    links: tuple[Link, ...]

    def marked(self, faults: tuple[str, ...]) -> tuple[set[str], set[str]]:
        """(sites or devices, link ids) a scenario's faults fall on."""
        where: set[str] = set()
        links: set[str] = set()
        devices = {d: site for site, ds in self.sites for d in ds}
        for fault in faults:
            kind, _, name = fault.partition(":")
            if kind in ("man", "uplink", "bgp"):
                links.add(("uplink:" if kind == "bgp" else f"{kind}:") + name)
            elif kind == "site":
                where.add(name)
            elif kind == "operator":
                links |= {link.id for link in self.links if link.operator == name}
            else:
                device = name.split("|")[0].split(":")[0]
                where |= {device} if device in devices else set()
        return where, links


def sketch(design: Design) -> Sketch:
    sites: dict[str, list[str]] = {s.name: [] for s in design.sites}
    placed = [(f.site, f.name) for f in design.firewalls] + [(s.site, s.name) for s in design.switches]
    for site, name in placed + [(s.site, s.name) for s in design.servers]:
        if site in sites:
            sites[site].append(name)
    switch_site = {s.name: s.site for s in design.switches}
    links = [
        Link(f"man:{m.name}", switch_site[m.a.split(":")[0]], switch_site[m.b.split(":")[0]])
        for m in design.man_links
    ]
    links += [Link(f"uplink:{u.name}", u.site, INTERNET, u.operator) for u in design.uplinks]
    return Sketch(tuple((name, tuple(sorted(ds))) for name, ds in sites.items()), tuple(links))
