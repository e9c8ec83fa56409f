"""Shared risks read from the design: links that one event cuts together, sites behind one operator.

The sweeps fail each shared risk (`risks:`, and the ones the design implies: MAN links of one carrier,
operators with one AS number) as one component, so what it takes down shows as SPOF and in the availability;
these rules say why, in the design's words.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx

from trisite.model import Design, Index
from trisite.model.components import risk_groups
from trisite.model.source import PathKey
from trisite.model.types import split_endpoint
from trisite.verify.findings import Finding, Severity


def check(design: Design, ix: Index) -> list[Finding]:
    groups = risk_groups(design)
    return [*_man_links(design, ix, groups), *_operators(design, groups)]


def _risk_path(design: Design, risk: str) -> PathKey:
    kind, name = risk.split(":", 1)
    if kind == "risk":
        return ("risks", next(i for i, r in enumerate(design.risks) if r.name == name))
    if kind == "carrier":
        return ("man_links", next(i for i, m in enumerate(design.man_links) if m.carrier == name), "carrier")
    return ("operators", next(i for i, o in enumerate(design.operators) if str(o.asn) == name), "asn")


def _man_links(design: Design, ix: Index, groups: dict[str, tuple[str, ...]]) -> list[Finding]:
    sites = [s.name for s in design.sites]
    ends = {m.name: tuple(ix.site_of(split_endpoint(e)[0]) for e in (m.a, m.b)) for m in design.man_links}
    found = []
    for risk, members in groups.items():
        links = sorted(m.split(":", 1)[1] for m in members if m.startswith("man:"))
        if len(links) < 2:
            continue
        alone = _isolated(sites, ends, set(links))
        severity: Severity = "critical" if alone else "warning"
        effect = (
            f"and splits the sites ({' | '.join('+'.join(sorted(p)) for p in alone)})"
            if alone
            else "(the sites stay joined by the other links)"
        )
        found.append(
            Finding(
                "RISK-MAN-SHARED",
                severity,
                risk,
                f"MAN links {', '.join(links)} share {risk}: one event cuts them together {effect}",
                "route the links through separate conduits and carriers, or add a link that avoids this risk",
                _risk_path(design, risk),
            )
        )
    return found


def _isolated(sites: list[str], ends: dict[str, tuple[str | None, ...]], cut: set[str]) -> list[set[str]]:
    """The groups of sites once `cut` links are gone, when there are several (else empty)."""
    graph: Any = nx.Graph()
    graph.add_nodes_from(sites)
    graph.add_edges_from(e for name, e in ends.items() if name not in cut and None not in e and e[0] != e[1])
    parts = [set(p) for p in nx.connected_components(graph)]
    return parts if len(parts) > 1 else []


def _operators(design: Design, groups: dict[str, tuple[str, ...]]) -> list[Finding]:
    """Sites whose internet goes through one operator (or one AS under several names)."""
    same_as = {op: risk for risk, members in groups.items() if risk.startswith("asn:") for op in members}
    by_operator: dict[str, set[str]] = defaultdict(set)
    for up in design.uplinks:
        key = same_as.get(f"operator:{up.operator}", f"operator:{up.operator}")
        by_operator[key].add(up.site)
    all_sites = {up.site for up in design.uplinks}
    found = []
    for operator, sites in sorted(by_operator.items()):
        if len(sites) < 2:
            continue
        everything = sites == all_sites
        path: PathKey = (
            _risk_path(design, operator)
            if operator.startswith("asn:")
            else (
                "operators",
                next(i for i, o in enumerate(design.operators) if f"operator:{o.name}" == operator),
            )
        )
        found.append(
            Finding(
                "RISK-ONE-OPERATOR",
                "critical" if everything else "warning",
                operator,
                f"{', '.join(sorted(sites))} reach the internet through {operator} only"
                + (
                    ": the platform's internet is lost with it"
                    if everything
                    else ": one incident takes them all"
                ),
                "give each site an uplink of another operator (another AS), or a second uplink per site",
                path,
            )
        )
    return found
