"""A deployment as data: steps with explicit dependencies, in the seed's phases, and what each step needs.

A step names the capability a target must have to perform it (`put`, `service:frr`, `redfish`,
`tool:cephadm`, ...). A target that lacks it does not perform the step, and every plan and deployment says so
step by step: nothing is skipped silently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, get_args

import networkx as nx

from trisite.drivers.protocols import ServiceAction
from trisite.errors import PlanError
from trisite.render.artifact import Artifact

# The seed's order: the network first, then what runs on it, then what the deployment itself needed goes away.
Phase = Literal[
    "switches",
    "bmcs",
    "firewalls",
    "access",
    "storage",
    "virtualization",
    "first-vms",
    "clouds",
    "containers",
    "vpn",
    "dns",
    "backups",
    "monitoring",
    "cleanup",
    "check",
]
PHASES: tuple[Phase, ...] = get_args(Phase)
StepKind = Literal["files", "redfish", "tool", "api", "remove", "check"]


@dataclass(frozen=True)
class Step:
    id: str
    phase: Phase
    kind: StepKind
    device: str  # "" for a step run from the deployment station against the platform (cephadm, kayobe, ...)
    site: str | None
    files: tuple[str, ...] = ()  # artifact paths the step applies, in order
    services: tuple[tuple[str, ServiceAction], ...] = ()  # started once the files are in place
    command: tuple[str, ...] = ()  # a `tool` step: (tool, unit)
    run: tuple[tuple[str, ...], ...] = ()  # commands run on the device, after its files and services
    absent: tuple[tuple[str, str], ...] = ()  # a `check` step: (observation, text it must not hold; "": any)
    observe: tuple[str, ...] = ()  # live state read back after the step (drift), e.g. "nftables"
    needs: frozenset[str] = frozenset()  # capabilities the target must have
    after: tuple[str, ...] = ()
    idempotent: bool = True  # False: running it twice does harm (a cluster bootstrap): re-checked first
    removed_by: str = ""  # a temporary step: this later step takes away what it put (the seed's cleanup)

    def input_hash(self, artifacts: Mapping[str, Artifact]) -> str:
        """What the step would apply, secrets as placeholders: the same hash, the same result."""
        parts = {
            "id": self.id,
            "kind": self.kind,
            "services": self.services,
            "command": self.command,
            "run": self.run,
            "absent": self.absent,
            "files": [
                [p, artifacts[p].apply.target, artifacts[p].apply.mode, artifacts[p].content]
                for p in self.files
            ],
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]

    @cached_property
    def graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_nodes_from(s.id for s in self.steps)
        known = set(graph.nodes)
        for step in self.steps:
            missing = [a for a in step.after if a not in known]
            if missing:
                raise PlanError(f"step {step.id} waits on unknown steps: {', '.join(missing)}")
            graph.add_edges_from((a, step.id) for a in step.after)
        if not nx.is_directed_acyclic_graph(graph):
            cycle = nx.find_cycle(graph)
            raise PlanError(f"steps wait on each other: {', '.join(a for a, _ in cycle)}")
        return graph

    @cached_property
    def by_id(self) -> dict[str, Step]:
        return {s.id: s for s in self.steps}

    def ordered(self) -> list[Step]:
        """Dependencies first, the seed's phases in order where the graph leaves a choice."""
        rank = {s.id: (PHASES.index(s.phase), s.id) for s in self.steps}
        return [self.by_id[i] for i in nx.lexicographical_topological_sort(self.graph, key=rank.__getitem__)]

    def waves(self) -> list[list[Step]]:
        """Groups of steps that may run together: every step's dependencies are in an earlier wave."""
        return [
            sorted((self.by_id[i] for i in g), key=lambda s: s.id)
            for g in nx.topological_generations(self.graph)
        ]

    def critical_path(self, seconds: Mapping[str, float]) -> tuple[list[str], float]:
        """The chain of steps that bounds the deployment's wall time, and that time."""
        graph = self.graph.copy()
        for step in self.steps:  # a node's weight moved onto its incoming edges, plus a source for the first
            graph.add_edge("", step.id)
        for a, b in graph.edges:
            graph.edges[a, b]["weight"] = seconds.get(b, 0.0)
        path = [n for n in nx.dag_longest_path(graph, weight="weight") if seconds.get(n, 0.0) > 0]
        return path, sum(seconds.get(n, 0.0) for n in path)

    def without(self, ids: Iterable[str]) -> Plan:
        drop = set(ids)
        return Plan(tuple(s for s in self.steps if s.id not in drop))
