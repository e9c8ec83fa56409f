"""What one service learns in a scenario and others read: typed facts, one field per kind.

An impacted-only evaluation starts from a copy of the all-up scenario's facts, and the services it recomputes
overwrite their own entries; the others stand, as their states do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import networkx as nx

from trisite.verify.state import Part

# Where a VM runs: (host, seconds until it is there again); None when it does not run.
Placement = tuple[str, float] | None


@dataclass(frozen=True)
class SiteGraph:
    """Which firewalls make two sites adjacent over the transit networks: (site a, site b) with a < b."""

    adjacent: dict[tuple[str, str], frozenset[str]]

    @cached_property
    def _reach(self) -> dict[str, frozenset[str]]:
        # Built once per graph: scenarios that leave the routing alone share the all-up graph and its answers.
        graph: Any = nx.Graph(list(self.adjacent))
        return {site: frozenset(part) for part in nx.connected_components(graph) for site in part}

    def reach(self, site: str) -> frozenset[str]:
        """The sites `site` reaches, directly or through other sites (itself included)."""
        return self._reach.get(site, frozenset({site}))


@dataclass
class Facts:
    placement: dict[str, Placement] = field(default_factory=dict)  # VM -> where it runs (placement/O)
    bgp_sessions: dict[str, frozenset[str]] = field(default_factory=dict)  # uplink -> firewalls in session
    entry_sites: dict[str, frozenset[str]] = field(
        default_factory=dict
    )  # public prefix -> sites it enters at
    site_graph: SiteGraph | None = None  # routing/adjacency; None when the design has no transit networks
    quorum_part: dict[str, Part | None] = field(default_factory=dict)  # Ceph cluster -> part of its quorum
    engine_outage: dict[str, float] = field(default_factory=dict)  # oVirt -> hosted-engine outage (INF: down)
    pool_present: dict[str, frozenset[str]] = field(default_factory=dict)  # pool service -> members there

    def overlaid(self, other: Facts, base: Facts) -> Facts:
        """A copy of these facts with the entries `other` changed from `base` written over them."""
        found = self.copy()
        _overlay(found.placement, other.placement, base.placement)
        _overlay(found.bgp_sessions, other.bgp_sessions, base.bgp_sessions)
        _overlay(found.entry_sites, other.entry_sites, base.entry_sites)
        _overlay(found.quorum_part, other.quorum_part, base.quorum_part)
        _overlay(found.engine_outage, other.engine_outage, base.engine_outage)
        _overlay(found.pool_present, other.pool_present, base.pool_present)
        if other.site_graph != base.site_graph:
            found.site_graph = other.site_graph
        return found

    def copy(self) -> Facts:
        """A copy whose entries a scenario may overwrite without touching the all-up facts."""
        return Facts(
            dict(self.placement),
            dict(self.bgp_sessions),
            dict(self.entry_sites),
            self.site_graph,
            dict(self.quorum_part),
            dict(self.engine_outage),
            dict(self.pool_present),
        )


V = TypeVar("V")


def _overlay(mine: dict[str, V], theirs: dict[str, V], before: dict[str, V]) -> None:
    for key, value in theirs.items():
        if key not in before or before[key] != value:
            mine[key] = value
