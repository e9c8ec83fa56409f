"""Paths: a MAN link or an internet line is only as fast as the slowest port between it and what uses it.

SPEED-MISMATCH compares the two ends of each cable; here the whole way is followed. Inside each site, switches
and firewalls form a graph whose edges carry the speed of their slowest port (or the cable's own, when lower);
the widest path between two devices is the one in the maximum spanning tree, and its narrowest edge is the
most the path can carry. A 10G MAN link landing on a switch that reaches the rest of its site at 1G is a 1G
link; a 10G internet line handed off two 1G hops away from its firewalls is a 1G line.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import networkx as nx

from trisite.model import Design, Index
from trisite.model.devices import Firewall, Switch
from trisite.model.types import format_speed, split_endpoint
from trisite.verify.findings import Finding


def check(design: Design, ix: Index) -> list[Finding]:
    tree, links = _widest_trees(design, ix), _links(design, ix)
    found: list[Finding] = []
    for i, man in enumerate(design.man_links):
        want = (man.speed, f"MAN link {man.name}", ("man_links", i))
        for end in (man.a, man.b):
            device = split_endpoint(end)[0]
            others = [d for d in _site_devices(design, ix.site_of(device)) if d != device]
            found += _narrowest(tree, links, device, others, want)
    for i, up in enumerate(design.uplinks):
        if up.handoff is not None:
            want = (up.speed, f"uplink {up.name}", ("uplinks", i))
            # The line reaches each firewall on the NICs that carry its hand-off network, not on any NIC.
            wan = [link for link in links if _carries(ix, link, up.network)]
            found += _narrowest(tree, wan, split_endpoint(up.handoff)[0], list(up.firewalls), want)
    return found


def _carries(ix: Index, link: Link, network: str) -> bool:
    """Whether a cable's firewall end is a NIC that carries `network` (switch-to-switch cables: always)."""
    for end in link[3].split(" - "):
        device, port = split_endpoint(end)
        host = ix.hosts.get(device)
        if isinstance(host, Firewall):
            nics = {n for a in ix.addresses(host) if a.network == network for n in ix.carrier_nics(host, a)}
            return port in nics
    return True


# Light in fibre covers about 200 km per millisecond: 10 microseconds of round trip per km of path.
RTT_MS_PER_KM = 0.01
# Synchronous replication and quorum heartbeats (etcd, Galera, Ceph MONs and stretch mode) are designed for
# metro distances: past 10 ms of round trip, their timers and write latencies are out of their documented range.
MAX_QUORUM_RTT_MS = 10.0


def latency(design: Design, ix: Index) -> list[Finding]:
    """The round trip between each two sites over the shortest MAN path, and over the path left after the
    worst single cut: quorum traffic takes whichever is up."""
    graph: Any = nx.MultiGraph()
    for m in design.man_links:
        a, b = (ix.site_of(split_endpoint(e)[0]) for e in (m.a, m.b))
        if a and b and a != b and m.length_km is not None:
            graph.add_edge(a, b, key=m.name, rtt=m.length_km * RTT_MS_PER_KM)
    found = []
    sites = sorted(graph.nodes)
    for i, a in enumerate(sites):
        for b in sites[i + 1 :]:
            worst = _worst_rtt(graph, a, b)
            if worst is not None and worst[0] > MAX_QUORUM_RTT_MS:
                found.append(
                    Finding(
                        "PATH-LATENCY",
                        "warning",
                        f"sites {a}-{b}",
                        f"{a} and {b} are {worst[0]:.1f} ms apart (round trip) {worst[1]}: more than the "
                        f"{MAX_QUORUM_RTT_MS:g} ms quorum and synchronous replication are designed for",
                        "keep quorum members on sites joined by shorter paths, or add a shorter link",
                        ("man_links",),
                    )
                )
    return found


def _worst_rtt(graph: Any, a: str, b: str) -> tuple[float, str] | None:
    if not nx.has_path(graph, a, b):
        return None
    best = (nx.shortest_path_length(graph, a, b, weight="rtt"), "on the shortest path")
    for u, v, key in list(graph.edges(keys=True)):
        cut = graph.copy()
        cut.remove_edge(u, v, key=key)
        if nx.has_path(cut, a, b):
            rtt = nx.shortest_path_length(cut, a, b, weight="rtt")
            best = max(best, (rtt, f"once {key} is cut"))
    return best


def _site_devices(design: Design, site: str | None) -> list[str]:
    switches = [w.name for w in design.switches if w.site == site]
    return switches + [f.name for f in design.firewalls if f.kind == "physical" and f.site == site]


def _widest_trees(design: Design, ix: Index) -> Any:
    """Switches joined by cables, each edge the speed of its slowest part; the maximum spanning forest keeps,
    between any two switches, the path whose narrowest edge is widest. Firewalls are ends, not transit: they
    route, they do not bridge the site's switches together."""
    graph: Any = nx.Graph()
    for a, b, speed, via in _links(design, ix):
        both_switches = isinstance(ix.hosts.get(a), Switch) and isinstance(ix.hosts.get(b), Switch)
        if both_switches and not (graph.has_edge(a, b) and graph[a][b]["speed"] >= speed):
            graph.add_edge(a, b, speed=speed, via=via)  # the fastest of parallel cables
    return nx.maximum_spanning_tree(graph, weight="speed")


Link = tuple[str, str, int, str]  # device, device, speed, "a:port - b:port"


def _links(design: Design, ix: Index) -> list[Link]:
    """(device, device, speed of the slowest of both ports and the cable, 'a - b') for each cable between
    switches and physical firewalls."""
    found = []
    for cable in design.cables:
        (a, port_a), (b, port_b) = split_endpoint(cable.a), split_endpoint(cable.b)
        if _is_network_device(ix, a) and _is_network_device(ix, b):
            speeds = [s for s in (_speed(ix, a, port_a), _speed(ix, b, port_b), cable.speed) if s]
            if speeds:
                found.append((a, b, min(speeds), f"{a}:{port_a} - {b}:{port_b}"))
    return found


def _is_network_device(ix: Index, name: str) -> bool:
    device = ix.hosts.get(name)
    return isinstance(device, Switch) or (isinstance(device, Firewall) and device.kind == "physical")


def _speed(ix: Index, device: str, port: str) -> int | None:
    host = ix.hosts.get(device)
    return ix.ports(host).get(port) if host is not None else None


def _narrowest(
    tree: Any,
    links: list[Link],
    start: str,
    targets: list[str],
    want: tuple[int, str, tuple[str | int, ...]],
) -> list[Finding]:
    speed, what, path = want
    found = []
    for target in targets:
        best = _best_path(tree, links, start, target)
        if best is None or best[0] >= speed:
            continue  # not joined by cables (the topology rules and the sweeps say so), or fast enough
        found.append(
            Finding(
                "PATH-BOTTLENECK",
                "warning",
                what,
                f"{what} runs at {format_speed(speed)}, but {start} reaches {target} at "
                f"{format_speed(best[0])} at most (cable {best[1]})",
                "give that hop the link's speed, or plug the link where the path is as fast",
                path,
            )
        )
    return found


def _best_path(tree: Any, links: list[Link], start: str, target: str) -> tuple[int, str] | None:
    """(narrowest speed, its cable) of the widest path from switch `start` to a switch or a firewall."""
    if target in tree:
        return _bottleneck(tree, start, target)
    entries = [(a, speed, via) for a, b, speed, via in links if b == target] + [
        (b, speed, via) for a, b, speed, via in links if a == target
    ]
    options = []
    for switch, speed, via in entries:
        inside = (10**9, "") if switch == start else _bottleneck(tree, start, switch)
        if inside is not None:
            options.append(min(inside, (speed, via)))
    return max(options, default=None)


def _bottleneck(tree: Any, start: str, target: str) -> tuple[int, str] | None:
    if start not in tree or target not in tree or not nx.has_path(tree, start, target):
        return None
    nodes = nx.shortest_path(tree, start, target)
    edges = [tree[a][b] for a, b in pairwise(nodes)]
    return min(((e["speed"], e["via"]) for e in edges), default=(10**9, ""))
