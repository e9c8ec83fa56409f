"""What is powered and connected once a set of components has failed (physical and layer 2)."""

from __future__ import annotations

from functools import cached_property

from trisite.verify.topology import Topology

Part = str  # a connected part of a network, named by its smallest node so that names are stable


class PhysicalState:
    """Answers 'is it powered', 'is it up', 'which part of network N is it in' for one failure set."""

    def __init__(self, topology: Topology, failed: frozenset[str]) -> None:
        self.topo = topology
        self.failed = failed
        self._parts: dict[str, dict[str, Part]] = {}

    @cached_property
    def dead_sites(self) -> frozenset[str]:
        return frozenset(c[5:] for c in self.failed if c.startswith("site:"))

    def powered(self, device: str) -> bool:
        """A physical device runs unless it, its site, or all of its power feeds failed."""
        if device not in self.topo.power:
            return False
        site, feeds = self.topo.power[device]
        if site in self.dead_sites or self.topo.device_component[device] in self.failed:
            return False
        return not feeds or any(f not in self.failed for f in feeds)

    def node_up(self, node: str) -> bool:
        if node.startswith("wire:"):
            return True
        return self.powered(node)

    def parts(self, network: str) -> dict[str, Part]:
        """Up node -> its part of the network's layer-2 graph (union-find over up edges).

        Shared across scenarios through the topology: most failures do not touch a network's switches."""
        cached = self._parts.get(network)
        if cached is not None:
            return cached
        key = (network, self.failed & self.topo.network_components(network))
        shared = self.topo.parts_cache.get(key)
        if shared is None:
            shared = self.topo.parts_cache[key] = self._compute_parts(network)
        self._parts[network] = shared
        return shared

    def _compute_parts(self, network: str) -> dict[str, Part]:
        nodes = [n for n in self.topo.network_nodes(network) if self.node_up(n)]
        parent = {n: n for n in nodes}

        def root(n: str) -> str:
            while parent[n] != n:
                parent[n] = parent[parent[n]]
                n = parent[n]
            return n

        for edge in self.topo.network_edges(network):
            if edge.component in self.failed or edge.a not in parent or edge.b not in parent:
                continue
            ra, rb = root(edge.a), root(edge.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        return {n: root(n) for n in nodes}

    def host_parts(self, host: str, network: str) -> frozenset[Part]:
        """The parts of `network` a powered physical host reaches through its up cables."""
        if not self.powered(host):
            return frozenset()
        parts = self.parts(network)
        return frozenset(
            parts[a.node]
            for a in self.topo.attachments(host, network)
            if a.cable not in self.failed and a.node in parts
        )

    def uplink_nodes(self, host: str) -> frozenset[str]:
        """The up nodes a powered host reaches through any up cable (what its VMs can use)."""
        if not self.powered(host):
            return frozenset()
        return frozenset(
            a.node for a in self.topo.uplinks(host) if a.cable not in self.failed and self.node_up(a.node)
        )
