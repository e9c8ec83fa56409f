"""Variants of the reference design that verify must answer cleanly: a removed public prefix, Ceph timers
set in the design, parallel MAN links; and the service order refusing a cycle."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.errors import VerifyError
from trisite.model import Design, Index, load_design
from trisite.model.services import CephTimers
from trisite.render import cephadm
from trisite.verify import rules_design
from trisite.verify.run import verify
from trisite.verify.service import UP, ServiceSpec
from trisite.verify.topology import Topology
from trisite.verify.twin import Twin, _ordered

PREFIX = """public_prefixes:
  - name: public
    prefix: 198.51.100.0/24
    announce:
      - {site: dc1, prepend: 0}
      - {site: dc2, prepend: 1}
      - {site: dc3, prepend: 2}
"""
MAN_13 = '{name: man-13, a: "dc1-sw2:swp49", b: "dc3-sw1:swp49",'


def variant(tmp_path: Path, old: str, new: str) -> Design:
    folder = tmp_path / "design"
    shutil.copytree(EXAMPLES / "three-sites", folder)
    path = folder / "design.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_design(path).design


@pytest.fixture(scope="module")
def reference() -> Design:
    return load_design(EXAMPLES / "three-sites" / "design.yaml").design


def test_a_region_outside_every_public_prefix_is_watched_by_its_api(tmp_path: Path) -> None:
    """The DNS failover record targeted public/region-a-api, which no longer exists (was a KeyError)."""
    design = variant(tmp_path, PREFIX, "public_prefixes: []\n")
    twin = Twin(design)
    assert not [s for s in twin.specs if s.name.startswith(("public/", "internet/"))]
    www = next(s for s in twin.specs if s.name == "dns/example.net/www")
    assert "openstack/region-a/api" in www.needs
    assert twin.base.services["dns/example.net/www"].status == "up"
    lost = twin.evaluate(frozenset({"site:dc1"})).services
    assert lost["dns/example.net/www"].status != "down"
    report = verify(design, today=dt.date(2026, 11, 25), double=False)
    assert report.singles


def test_ceph_timers_of_the_design_are_rendered_and_verified(reference: Design) -> None:
    timers = CephTimers(heartbeat_grace_s=12, down_out_interval_s=900, mon_election_timeout_s=2.5)
    cluster = reference.ceph[0].model_copy(update={"timers": timers})
    design = reference.model_copy(update={"ceph": [cluster]})
    conf = next(a for a in cephadm.render(design, Index.of(design)) if a.path.endswith("ceph.conf"))
    assert "osd_heartbeat_grace = 12\n" in conf.content
    assert "mon_osd_down_out_interval = 900\n" in conf.content
    assert "mon_election_timeout = 2.5\n" in conf.content
    got = Twin(design).evaluate(frozenset({"server:dc2-ceph1"})).services
    # the MON leader's loss: its lease runs out unrenewed (Ceph's 5 s x 2), then the 2.5 s election; no OSD is
    # marked down before a new leader, so the pool waits for the longer of that and the 12 s grace
    assert got["ceph/main/mons"].outage_s == 5.0 * 2 + 2.5
    assert got["ceph/main/pool/volumes"].outage_s == 12.5
    assert "re-replication from 900 s" in got["ceph/main/pool/volumes"].detail


def test_default_ceph_timers_render_no_election_line(reference: Design) -> None:
    conf = next(a for a in cephadm.render(reference, Index.of(reference)) if a.path.endswith("ceph.conf"))
    assert "mon_election_timeout" not in conf.content
    assert "osd_heartbeat_grace = 20\n" in conf.content


def test_a_parallel_man_link_is_a_second_path(tmp_path: Path) -> None:
    design = variant(tmp_path, MAN_13, '{name: man-13, a: "dc1-sw2:swp49", b: "dc2-sw2:swp50",')
    found = rules_design.check(design, Topology(design))
    assert sorted(f.subject for f in found if f.rule == "MAN-SINGLE-PATH") == ["man_links[man-23]"]


def test_services_that_need_each_other_in_a_cycle_are_refused() -> None:
    def spec(name: str, needs: tuple[str, ...]) -> ServiceSpec:
        return ServiceSpec(name, "network", frozenset({f"site:{name}"}), needs, lambda _ctx: UP)

    ordered = _ordered([spec("c", ("a", "b")), spec("a", ()), spec("b", ("a",))])
    assert [s.name for s in ordered] == ["a", "b", "c"]
    assert ordered[-1].deps == {"site:a", "site:b", "site:c"}
    with pytest.raises(VerifyError, match=r"in a cycle through . \((a -> b -> a|b -> a -> b)\)"):
        _ordered([spec("a", ("b",)), spec("b", ("a",))])
