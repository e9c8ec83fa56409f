"""The twin: the platform's HA semantics, answering "what if these components fail?".

`Twin(design).evaluate(failed)` gives every service's state and predicted outage. Only the services whose
dependencies meet the failure set are recomputed; the others keep their all-up state, which is what makes
the N-2 sweep of a 2,000-server design tractable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from trisite.errors import VerifyError
from trisite.model import Design
from trisite.model.devices import Firewall, Vm
from trisite.verify import layers_cloud, layers_network, layers_ops, layers_storage, layers_virt
from trisite.verify.components import Component, enumerate_components
from trisite.verify.service import Context, Presence, ServiceSpec, ServiceState
from trisite.verify.state import PhysicalState
from trisite.verify.topology import Topology

BUILDERS = (layers_network, layers_storage, layers_virt, layers_cloud, layers_ops)


@dataclass(frozen=True)
class Outcome:
    failed: frozenset[str]
    services: dict[str, ServiceState]


class Twin:
    def __init__(self, design: Design) -> None:
        self.design = design
        self.topology = Topology(design)
        self.components: list[Component] = enumerate_components(design)
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
        device = self.topology.ix.hosts.get(host)
        if isinstance(device, Vm) or (isinstance(device, Firewall) and device.kind == "virtual"):
            where = ctx.extra.get(f"vm:{host}")
            if not isinstance(where, tuple):
                return {}
            runs_on, delay = where
            parts = ctx.physical.parts(network)
            return {parts[n]: delay for n in ctx.physical.uplink_nodes(runs_on) if n in parts}
        return dict.fromkeys(ctx.physical.host_parts(host, network), 0.0)

    def host_deps(self, host: str) -> frozenset[str]:
        """Components whose failure can move or stop a host (for a VM: every host it may run on)."""
        device = self.topology.ix.hosts.get(host)
        if isinstance(device, Vm) or (isinstance(device, Firewall) and device.kind == "virtual"):
            return self._vm_deps[host]
        if host in self.topology.power:
            return self.topology.host_components(host)
        return frozenset()

    def direct_deps(self, host: str) -> frozenset[str]:
        """What decides whether a host is on its networks at all (its own parts and its switches)."""
        if host in self.topology.power:
            return self.topology.direct_components(host)
        return self.host_deps(host)

    def pool_presence(
        self, ctx: Context, service: str, hosts: list[str], hit: set[str], present: Callable[[str], bool]
    ) -> frozenset[str]:
        """The members of a pool that are there: all of them checked in the all-up case, then only `hit`."""
        key = f"present:{service}"
        base = getattr(self, "base_context", None)
        if base is None:
            found = frozenset(h for h in hosts if present(h))
        else:
            before = base.extra[key]
            assert isinstance(before, frozenset)
            found = (before - hit) | frozenset(h for h in hit if present(h))
        ctx.extra[key] = found
        return found

    @property
    def _vm_deps(self) -> dict[str, frozenset[str]]:
        deps = getattr(self, "_vm_deps_cache", None)
        if deps is None:
            deps = layers_virt.vm_dependencies(self)
            self._vm_deps_cache = deps
        return deps

    # -- evaluation ---------------------------------------------------------------------------------------------
    def evaluate(self, failed: frozenset[str]) -> Outcome:
        unknown = [c for c in failed if c not in self._component_ids]
        if unknown:
            raise VerifyError(f"unknown component(s): {', '.join(sorted(unknown))}")
        ctx = self._run(failed, self.impacted(failed))
        return Outcome(failed, ctx.results)

    def evaluate_all(self, failed: frozenset[str]) -> Outcome:
        """Recompute every service (the naive way; used as a baseline and as a cross-check)."""
        return Outcome(failed, self._run(failed, None).results)

    def impacted(self, failed: frozenset[str]) -> set[str]:
        found: set[str] = set()
        for component in failed:
            found |= self.by_component.get(component, set())
        return found

    @property
    def _component_ids(self) -> frozenset[str]:
        ids = getattr(self, "_ids_cache", None)
        if ids is None:
            ids = frozenset(c.id for c in self.components)
            self._ids_cache = ids
        return ids

    def _run(self, failed: frozenset[str], only: set[str] | None) -> Context:
        ctx = Context(PhysicalState(self.topology, failed))
        if only is not None:
            ctx.results = dict(self.base.services)
            ctx.extra = dict(self.base_context.extra)
        for spec in self.specs:
            if only is None or spec.name in only:
                ctx.results[spec.name] = spec.evaluate(ctx)
        return ctx

    def visible(self) -> list[ServiceSpec]:
        return [s for s in self.specs if not s.hidden]


def _ordered(specs: list[ServiceSpec]) -> list[ServiceSpec]:
    """Dependencies first (a service reads the states of the services it needs); deps flow upward."""
    by_name = {s.name: s for s in specs}
    done: dict[str, ServiceSpec] = {}
    visiting: set[str] = set()

    def visit(spec: ServiceSpec) -> frozenset[str]:
        if spec.name in done:
            return done[spec.name].deps
        if spec.name in visiting:
            raise VerifyError(f"services depend on each other in a cycle through {spec.name}")
        visiting.add(spec.name)
        deps = set(spec.deps)
        for need in spec.needs:
            if need in by_name:
                deps |= visit(by_name[need])
        visiting.discard(spec.name)
        done[spec.name] = replace(spec, deps=frozenset(deps))
        return done[spec.name].deps

    for spec in specs:
        visit(spec)
    return list(done.values())
