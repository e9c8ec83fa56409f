"""The twin: the platform's HA semantics, answering "what if these components fail?".

`Twin(design).evaluate(failed)` gives every service's state and predicted outage. Only the services whose
dependencies meet the failure set are recomputed; the others keep their all-up state, which is what makes
the N-2 sweep of a 2,000-server design tractable.

This is the only module that imports the layers; they see the twin through `view.TwinView`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import networkx as nx

from trisite.errors import VerifyError
from trisite.model import Design
from trisite.model.components import Component, enumerate_components, risk_groups
from trisite.model.devices import Firewall, Vm
from trisite.verify import layers_cloud, layers_network, layers_ops, layers_storage, layers_virt
from trisite.verify.convergence import SITE, Convergence
from trisite.verify.guests import vm_dependencies
from trisite.verify.service import Context, Presence, ServiceSpec, ServiceState
from trisite.verify.state import PhysicalState
from trisite.verify.topology import Topology

BUILDERS = (layers_network, layers_storage, layers_virt, layers_cloud, layers_ops)


@dataclass(frozen=True)
class Outcome:
    failed: frozenset[str]
    services: dict[str, ServiceState]


class Twin:
    def __init__(self, design: Design, convergence: Convergence = SITE) -> None:
        self.design = design
        self.convergence = convergence
        self.topology = Topology(design)
        self.components: list[Component] = enumerate_components(design)
        self.risks = risk_groups(design)
        specs: list[ServiceSpec] = []
        for builder in BUILDERS:
            specs.extend(builder.services(self))
        self.specs = _ordered(specs)
        self.by_component: dict[str, set[str]] = defaultdict(set)
        for spec in self.specs:
            for dep in spec.deps:
                self.by_component[dep].add(spec.name)
        self.base_context = self._run(frozenset(), None)
        self.base = Outcome(frozenset(), dict(self.base_context.results))

    # -- presence: where a host is, per network, for this scenario --------------------------------------------
    def presence(self, ctx: Context, host: str, network: str) -> Presence:
        key = (host, network)
        found = ctx.presence.get(key)
        if found is None:
            found = self._presence(ctx, host, network)
            ctx.presence[key] = found
        return found

    def _presence(self, ctx: Context, host: str, network: str) -> Presence:
        if host in self._guests:
            where = ctx.facts.placement.get(host)
            if where is None:
                return {}
            runs_on, delay = where
            parts = ctx.physical.parts(network)
            return {parts[n]: delay for n in ctx.physical.uplink_nodes(runs_on) if n in parts}
        return dict.fromkeys(ctx.physical.host_parts(host, network), 0.0)

    def host_deps(self, host: str) -> frozenset[str]:
        """Components whose failure can move or stop a host (for a VM: every host it may run on)."""
        if host in self._guests:
            return self._vm_deps[host]
        if host in self.topology.power:
            return self.topology.host_components(host)
        return frozenset()

    def direct_deps(self, host: str) -> frozenset[str]:
        """What decides whether a host is on its networks at all (its own parts and its switches)."""
        if host in self.topology.power:
            return self.topology.direct_components(host)
        return self.host_deps(host)

    @cached_property
    def _guests(self) -> frozenset[str]:
        """Hosts that are VMs: their presence follows their placement, not cables."""
        return frozenset(
            name
            for name, device in self.topology.ix.hosts.items()
            if isinstance(device, Vm) or (isinstance(device, Firewall) and device.kind == "virtual")
        )

    @cached_property
    def _vm_deps(self) -> dict[str, frozenset[str]]:
        return vm_dependencies(self.design, self.topology)

    # -- evaluation ---------------------------------------------------------------------------------------------
    def evaluate(self, failed: frozenset[str]) -> Outcome:
        unknown = [c for c in failed if c not in self._component_ids]
        if unknown:
            raise VerifyError(f"unknown component(s): {', '.join(sorted(unknown))}")
        return Outcome(failed, self.scenario(failed).results)

    def scenario(self, failed: frozenset[str]) -> Context:
        """The impacted-only evaluation of `failed`, kept whole so that `combine` can build on it."""
        return self._run(failed, self.base_context, self.impacted(failed))

    def combine(self, one: Context, other: Context) -> Outcome:
        """The union of two evaluated scenarios, recomputing only the services both of them touch.

        A service only one side touches has no dependency on the other side's failures, so its state and
        facts under both are those under its own side (the same argument as the impacted-only evaluation,
        one level up). This halves the N-2 sweep; tests check it against `evaluate` on every pair."""
        base = self.base_context
        touched_one, touched_other = self.impacted(one.failed), self.impacted(other.failed)
        ctx = Context(PhysicalState(self.topology, one.failed | other.failed), base)
        ctx.results = dict(base.results)
        ctx.results.update((n, one.results[n]) for n in touched_one)
        ctx.results.update((n, other.results[n]) for n in touched_other)
        ctx.facts = one.facts.overlaid(other.facts, base.facts)
        both = touched_one & touched_other
        for spec in self.specs:
            if spec.name in both:
                ctx.results[spec.name] = spec.evaluate(ctx)
        return Outcome(ctx.failed, ctx.results)

    def evaluate_all(self, failed: frozenset[str]) -> Outcome:
        """Recompute every service (the naive way; used as a baseline and as a cross-check)."""
        return Outcome(failed, self._run(failed, self.base_context).results)

    def impacted(self, failed: frozenset[str]) -> set[str]:
        found: set[str] = set()
        for component in self.with_risks(failed):
            found |= self.by_component.get(component, set())
        return found

    def with_risks(self, failed: frozenset[str]) -> frozenset[str]:
        """The failure set with the members of each failed shared risk (they fail with it)."""
        hit = [self.risks[c] for c in failed if c in self.risks]
        return failed.union(*hit) if hit else failed

    @cached_property
    def _component_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.components) | layers_network.events(self.design)

    def _run(self, failed: frozenset[str], base: Context | None, only: set[str] | None = None) -> Context:
        """One scenario against the all-up one (`base`, None while that is computed itself).

        With `only`, the other services keep their all-up states and facts."""
        ctx = Context(PhysicalState(self.topology, self.with_risks(failed)), base)
        if base is not None and only is not None:
            ctx.results = dict(base.results)
            ctx.facts = base.facts.copy()
        for spec in self.specs:
            if only is None or spec.name in only:
                ctx.results[spec.name] = spec.evaluate(ctx)
        return ctx

    def visible(self) -> list[ServiceSpec]:
        return [s for s in self.specs if not s.hidden]


def _ordered(specs: list[ServiceSpec]) -> list[ServiceSpec]:
    """Dependencies first (a service reads the states of the services it needs); deps flow upward.

    The order is the depth-first one of the specs as built (needs before the service that names them), so
    that reports list services in the same order from run to run."""
    by_name = {s.name: s for s in specs}
    graph: Any = nx.DiGraph()  # service -> the services it needs
    graph.add_nodes_from(by_name)
    graph.add_edges_from((s.name, n) for s in specs for n in s.needs if n in by_name)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = [a for a, _ in nx.find_cycle(graph)]
        raise VerifyError(
            f"services depend on each other in a cycle through {cycle[0]} ({' -> '.join([*cycle, cycle[0]])})"
        )
    done: dict[str, ServiceSpec] = {}
    for name in nx.dfs_postorder_nodes(graph):
        spec = by_name[name]
        deps = spec.deps.union(*(done[n].deps for n in spec.needs if n in by_name))
        done[name] = replace(spec, deps=frozenset(deps))
    return list(done.values())
