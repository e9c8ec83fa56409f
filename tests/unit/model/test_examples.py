"""The bundled designs load, say what the seed's platform has, and load the same way twice."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import EXAMPLES
from trisite.model import Index, load_design


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    return load_design(EXAMPLES / "three-sites" / "design.yaml").design


def test_minimal_is_valid_and_single_site() -> None:
    design = load_design(EXAMPLES / "minimal" / "design.yaml").design
    assert [s.name for s in design.sites] == ["site1"]
    assert len(design.servers) == 1


def test_reference_has_three_sites_in_a_man_triangle(reference) -> None:  # type: ignore[no-untyped-def]
    ix = Index(reference)
    assert [s.name for s in reference.sites] == ["dc1", "dc2", "dc3"]
    pairs = {frozenset(ix.site_of(e.split(":")[0]) for e in (m.a, m.b)) for m in reference.man_links}
    assert pairs == {frozenset(p) for p in (("dc1", "dc2"), ("dc1", "dc3"), ("dc2", "dc3"))}


def test_reference_has_bgp_on_every_site_with_bfd(reference) -> None:  # type: ignore[no-untyped-def]
    assert sorted(u.site for u in reference.uplinks) == ["dc1", "dc2", "dc3"]
    assert len({u.operator for u in reference.uplinks}) == 3
    assert all(u.bgp.bfd is not None and len(u.firewalls) == 2 for u in reference.uplinks)
    announced = {a.site for p in reference.public_prefixes for a in p.announce}
    assert announced == {"dc1", "dc2", "dc3"}


def test_reference_firewalls_are_carp_pairs_plus_virtual(reference) -> None:  # type: ignore[no-untyped-def]
    physical = Counter(f.site for f in reference.firewalls if f.kind == "physical")
    assert physical == {"dc1": 2, "dc2": 2, "dc3": 2}
    assert {f.name for f in reference.firewalls if f.kind == "virtual"} == {"vfw1", "vfw2"}
    wan = [g for g in reference.ha_groups if g.name.endswith("-wan-gw")]
    assert len(wan) == 3 and all(g.protocol == "carp" for g in wan)


def test_reference_ceph_spreads_mons_and_copies_over_sites(reference) -> None:  # type: ignore[no-untyped-def]
    ix = Index(reference)
    (ceph,) = reference.ceph
    assert Counter(ix.site_of(m) for m in ceph.mons) == {"dc1": 1, "dc2": 1, "dc3": 1}
    assert all(p.failure_domain == "datacenter" and p.size == 3 for p in ceph.pools)


def test_reference_upper_layers(reference) -> None:  # type: ignore[no-untyped-def]
    assert [r.name for r in reference.openstack] == ["region-a", "region-b"]
    assert reference.openstack[1].keystone_from == "region-a"
    assert len(reference.kubernetes) == 1 and len(reference.kubernetes[0].etcd) == 3
    assert {b.from_site != b.to_site for b in reference.backups} == {True}
    assert reference.bootstrap.flows and reference.bootstrap.accounts
    assert reference.monitoring is not None and reference.dns[0].records


def test_every_server_port_is_cabled_once(reference) -> None:  # type: ignore[no-untyped-def]
    ends = [e for c in reference.cables for e in (c.a, c.b)]
    assert len(ends) == len(set(ends))
    for server in reference.servers:
        assert {f"{server.name}:{n.name}" for n in server.nics} <= set(ends)


def test_loading_is_deterministic() -> None:
    path = EXAMPLES / "three-sites" / "design.yaml"
    assert load_design(path).design == load_design(path).design
