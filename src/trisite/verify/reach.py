"""Questions several layers ask of a scenario: did a failure move a host, which pool members are there,
which sites reach each other, does a host reach its Ceph quorum, which public prefix holds an address.

Shared here so that no layer imports another: every layer depends on this module, `service` and `view` only.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address

from trisite.model import Design
from trisite.verify.service import Context, Presence
from trisite.verify.view import TwinView


def base_presence(twin: TwinView, ctx: Context, host: str, network: str) -> Presence | None:
    """The host's presence in the all-up scenario (None while that scenario is computed itself)."""
    return None if ctx.base is None else twin.presence(ctx.base, host, network)


def moved(
    twin: TwinView, ctx: Context, host: str, network: str, presence: Presence, *, part: str | None = None
) -> bool:
    """Whether a failure took a host away from a network (or from `part` of it) even for a moment.

    Part names follow the surviving nodes, so a host that stays connected is not 'moved' when a part is
    renamed; never true in the all-up case."""
    before = base_presence(twin, ctx, host, network)
    if not before or 0.0 not in before.values():
        return False
    if part is None:
        return 0.0 not in presence.values()
    return presence.get(part) != 0.0


def pool_presence(
    ctx: Context, service: str, hosts: list[str], hit: set[str], present: Callable[[str], bool]
) -> frozenset[str]:
    """The members of a pool that are there: all of them checked in the all-up case, then only `hit`.

    Only the members a failure can touch are looked at again, which keeps a pool of a thousand computes
    cheap in the N-2 sweep."""
    if ctx.base is None:
        found = frozenset(h for h in hosts if present(h))
    else:
        before = ctx.base.facts.pool_present[service]
        found = (before - hit) | frozenset(h for h in hit if present(h))
    ctx.facts.pool_present[service] = found
    return found


def sites_reached(ctx: Context, site: str) -> frozenset[str]:
    """The sites traffic at `site` reaches over the transit networks (just itself without inter-site routing)."""
    graph = ctx.facts.site_graph
    return frozenset({site}) if graph is None else graph.reach(site)


def reaches_storage(twin: TwinView, ctx: Context, host: str, cluster_name: str) -> bool:
    """A host uses Ceph on the quorum's side: on the public network itself, or routed from its site."""
    cluster = next(c for c in twin.design.ceph if c.name == cluster_name)
    part = ctx.facts.quorum_part.get(cluster.name)
    if part is None:
        return False
    ix = twin.topology.ix
    if any(a.network == cluster.public_network for a in ix.addresses(ix.hosts[host])):
        return part in twin.presence(ctx, host, cluster.public_network)
    site = ix.site_of(host)
    if ctx.facts.site_graph is None or site is None:
        return True
    quorum_sites = {
        ix.site_of(m) for m in cluster.mons if part in twin.presence(ctx, m, cluster.public_network)
    }
    return bool(sites_reached(ctx, site) & quorum_sites)


def prefix_of(design: Design, ip: str) -> str | None:
    """The public prefix an address belongs to (None: not announced to the internet)."""
    address = ip_address(ip)
    for prefix in design.public_prefixes:
        if address.version == prefix.prefix.version and address in prefix.prefix:
            return prefix.name
    return None
