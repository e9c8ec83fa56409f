"""The twin's answers for the seed's failover scenarios on the reference design, from the documented timers."""

from __future__ import annotations

import pytest

from designgen import generate
from tests.conftest import EXAMPLES
from trisite.drivers.lab_overlay import LAB as LAB_OVERLAY
from trisite.errors import VerifyError
from trisite.model import load_design, timers
from trisite.model.design import Design
from trisite.verify import sweep
from trisite.verify.convergence import LAB, SITE, for_target
from trisite.verify.layers_network import ucarp_late_s
from trisite.verify.twin import Twin


@pytest.fixture(scope="module")
def twin() -> Twin:
    return Twin(load_design(EXAMPLES / "three-sites" / "design.yaml").design)


def states(twin: Twin, *failed: str) -> dict[str, tuple[str, float | None]]:
    outcome = twin.evaluate(frozenset(failed))
    return {n: (s.status, s.finite_outage) for n, s in outcome.services.items()}


def test_all_up_is_clean(twin: Twin) -> None:
    assert {s.status for s in twin.base.services.values()} == {"up"}
    assert all(s.outage_s == 0 for s in twin.base.services.values())


def test_internet_line_lost_moves_traffic_after_bfd(twin: Twin) -> None:
    got = states(twin, "uplink:dc1-transit")
    bfd = 0.1 * 3
    assert got["bgp/dc1-transit"] == ("down", None)
    assert got["internet/public"] == ("degraded", round(bfd + timers.BGP_PROPAGATION_S, 3))
    assert got["public/region-a-api"][0] != "down"


def test_sessions_the_operator_closes_are_noticed_at_once_and_only_the_internet_converges(twin: Twin) -> None:
    got = states(twin, "session:dc1-transit")  # a NOTIFICATION: no detection time to wait
    assert got["bgp/dc1-transit"] == ("down", None)
    assert got["internet/public"] == ("degraded", timers.BGP_PROPAGATION_S)


def test_the_lab_profile_predicts_the_lab_internet_convergence() -> None:
    lab = Twin(load_design(EXAMPLES / "three-sites" / "design.yaml").design, LAB)
    assert lab.convergence is LAB and LAB.bgp_propagation_s < SITE.bgp_propagation_s
    assert states(lab, "uplink:dc1-transit")["internet/public"] == ("degraded", 0.3 + LAB.bgp_propagation_s)
    assert states(lab, "session:dc1-transit")["internet/public"] == ("degraded", LAB.bgp_propagation_s)
    assert for_target("lab") is LAB and for_target("site") is SITE and for_target("twin") is SITE


def test_firewall_pair_of_site_1_lost(twin: Twin) -> None:
    got = states(twin, "firewall:dc1-fw1", "firewall:dc1-fw2")
    assert got["vip/dc1-mgmt-gw"] == ("down", None)
    assert got["internet/public"][0] == "degraded"
    # The DMZ gateway moves to dc2-fw1 (priority 200): 3 adverts of 1 s plus (256-200)/256 s of skew.
    assert got["vip/dmz-gw"] == ("degraded", round(3 + 56 / 256, 3))
    assert got["dns/example.net"][0] == "up"
    # The backup's timer runs from the last advert it heard, up to one advert before the failure: the outage
    # ends between 2.22 and 3.22 s (the lab measured 2.34, 3.02 and 3.14 s), the worst case is the outage.
    outcome = twin.evaluate(frozenset({"firewall:dc1-fw1", "firewall:dc1-fw2"}))
    assert outcome.services["vip/dmz-gw"].phase_s == 1.0
    assert outcome.services["vip/dc1-mgmt-gw"].phase_s == 0.0  # down: no takeover to time
    assert twin.evaluate(frozenset({"man:man-12"})).services["route/dc1-dc2"].phase_s == 0.0  # BFD: no phase


def test_the_lab_runs_carp_with_ucarp_whose_backups_read_adverts_a_capture_late() -> None:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    kernel = 3 + 56 / 256  # dc2-fw1 (priority 200) takes dc1's gateways, as OPNsense's kernel CARP does
    site = Twin(design).evaluate(frozenset({"site:dc1"})).services["vip/cloud-gw"]
    assert (site.outage_s, site.phase_s) == (pytest.approx(kernel), 1.0)
    # In the lab ucarp runs them: read late, seen late; and dc2-fw2, 10/256 s of skew behind, may take the
    # address too until dc2-fw1 reads its advert and announces it again (the lab's Godzilla: 3.5 to 5.5 s).
    lab = Twin(design, LAB).evaluate(frozenset({"site:dc1"})).services["vip/cloud-gw"]
    capture = timers.UCARP_CAPTURE_S
    assert (lab.outage_s, lab.phase_s) == (pytest.approx(kernel + 4 * capture), 1.0 + 4 * capture)
    kept = Twin(design, LAB).evaluate(frozenset({"firewall:dc2-fw1"})).services["vip/cloud-gw"]
    assert (kept.outage_s, kept.phase_s) == (0.0, 0.0)  # a backup lost: the master keeps the address


def test_carp_on_linux_firewalls_is_ucarp_on_the_site_too() -> None:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    linux = [
        f.model_copy(update={"platform": "linux"}) if f.kind == "physical" else f for f in design.firewalls
    ]
    twin = Twin(design.model_copy(update={"firewalls": linux}))
    got = twin.evaluate(frozenset({"firewall:dc1-fw1"})).services["vip/dc1-mgmt-gw"]
    # dc1-fw2 alone takes over: no other backup to race it, the two capture timeouts only
    assert got.outage_s == pytest.approx(3 + 156 / 256 + 2 * timers.UCARP_CAPTURE_S)


def test_ucarp_lateness_counts_a_second_master_only_when_a_backup_can_race_the_first() -> None:
    capture = timers.UCARP_CAPTURE_S
    assert ucarp_late_s([3.2]) == 2 * capture
    assert ucarp_late_s([3.25, 3.2]) == 4 * capture
    # The second reads the first's advert up to three captures after the first's timer ran out: it may race
    assert ucarp_late_s([3.2, 3.2 + 2.5 * capture]) == 4 * capture
    assert ucarp_late_s([3.2, 3.2 + 3 * capture]) == 2 * capture


def test_only_backups_in_one_part_race_and_vrrp_is_not_ucarp() -> None:
    lab = Twin(load_design(EXAMPLES / "three-sites" / "design.yaml").design, LAB)
    # dc1 lost, dc2-fw2 too, and man-23 cut: dc2-fw1 alone in its part takes the DMZ's gateway (no race there);
    # dc3's two firewalls, in the other part, race each other later
    split = lab.evaluate(frozenset({"site:dc1", "firewall:dc2-fw2", "man:man-23"})).services["vip/dmz-gw"]
    assert "2 separated parts" in split.detail
    assert (split.outage_s, split.phase_s) == (pytest.approx(3 + 56 / 256 + 2 * timers.UCARP_CAPTURE_S), 3.0)
    # the virtual firewalls' VRRP (keepalived) keeps the RFC's master-down interval in the lab
    tenant = lab.evaluate(frozenset({"vm:vfw1"})).services["vip/tenant-gw"]
    assert tenant.phase_s == pytest.approx(0.1)


def test_single_firewall_loss_is_a_carp_failover(twin: Twin) -> None:
    got = states(twin, "firewall:dc1-fw1")
    assert got["vip/dc1-mgmt-gw"] == ("degraded", round(3 + 156 / 256, 3))
    assert got["bgp/dc1-transit"] == ("degraded", 0.3)
    assert got["internet/public"] == ("up", 0.0)


def test_man_link_cut_reroutes_through_the_third_site(twin: Twin) -> None:
    outcome = twin.evaluate(frozenset({"man:man-12"}))
    route = outcome.services["route/dc1-dc2"]
    assert (route.status, route.finite_outage, route.detail) == ("degraded", 0.3, "through another site")


def test_two_man_cuts_isolate_a_site_as_a_split(twin: Twin) -> None:
    outcome = twin.evaluate(frozenset({"man:man-12", "man:man-13"}))
    mons = outcome.services["ceph/main/mons"]
    assert mons.status == "degraded" and mons.detail == "2/3 MONs in quorum"
    assert "separated parts" in outcome.services["vip/dmz-gw"].detail
    # ra-ctl1 (dc1) restarts on the majority side: Galera only waits for the suspect timeout, and HAProxy for
    # its checks to take the controller out (the longer of the two).
    api = outcome.services["openstack/region-a/api"]
    assert (api.status, api.finite_outage) == ("up", SITE.api_backend_detect_s)
    assert SITE.api_backend_detect_s > timers.GALERA_SUSPECT_S

    # The engine ran on dc1-virt1, cut from the Ceph quorum: it restarts on the majority side.
    assert outcome.services["ovirt/virt/engine"].finite_outage == timers.OVIRT_ENGINE_RESTART_S


def test_ceph_node_loss_costs_the_heartbeat_grace(twin: Twin) -> None:
    got = states(twin, "server:dc2-ceph1")
    # the leader's lease runs out unrenewed, then an election (any MON may be the leader)
    leader_lost = timers.CEPH_MON_LEASE_S * timers.CEPH_MON_LEASE_ACK_FACTOR + timers.CEPH_MON_ELECTION_S
    assert got["ceph/main/mons"] == ("degraded", leader_lost)
    assert got["ceph/main/pool/volumes"] == ("degraded", timers.CEPH_OSD_HEARTBEAT_GRACE_S)


def test_ovirt_node_loss_restarts_its_vms(twin: Twin) -> None:
    outcome = twin.evaluate(frozenset({"server:dc2-virt1"}))
    vm = outcome.services["vm/ra-ctl2"]
    assert vm.status == "degraded"
    assert vm.finite_outage == timers.OVIRT_HOST_FENCE_S + timers.OVIRT_VM_BOOT_S
    api = outcome.services["openstack/region-a/api"]
    assert api.finite_outage == SITE.api_backend_detect_s and api.phase_s == SITE.api_check_inter_s


def test_site_loss_keeps_every_quorum(twin: Twin) -> None:
    for site in ("dc1", "dc2", "dc3"):
        got = states(twin, f"site:{site}")
        for service in ("ceph/main/mons", "openstack/region-a/api", "kubernetes/core/api", "internet/public"):
            assert got[service][0] != "down", (site, service)


def test_impacted_only_evaluation_matches_a_full_recompute(twin: Twin) -> None:
    for component in twin.components:
        failed = frozenset({component.id})
        assert twin.evaluate(failed).services == twin.evaluate_all(failed).services, component.id


def _every_pair_combines_as_evaluated(twin: Twin) -> int:
    alone = {c.id: twin.scenario(frozenset({c.id})) for c in twin.components}
    checked = 0
    for i, first in enumerate(twin.components):
        for second in twin.components[i + 1 :]:
            failed = frozenset({first.id, second.id})
            combined = twin.combine(alone[first.id], alone[second.id])
            assert combined.services == twin.evaluate(failed).services, sorted(failed)
            checked += 1
    return checked


def test_a_pair_built_on_its_two_sides_matches_its_evaluation(twin: Twin) -> None:
    assert _every_pair_combines_as_evaluated(twin) > 7000


@pytest.mark.slow
def test_a_pair_built_on_its_two_sides_matches_its_evaluation_on_a_generated_design() -> None:
    """Interchangeable servers, large pools and stretched networks: what the 2,000-server sweep meets."""
    assert _every_pair_combines_as_evaluated(Twin(Design.model_validate(generate(40)))) > 12000


def test_unknown_component_is_refused(twin: Twin) -> None:
    with pytest.raises(VerifyError, match="unknown component"):
        twin.evaluate(frozenset({"server:nope"}))


def test_interchangeable_components_fail_alike() -> None:
    twin = Twin(Design.model_validate(generate(90)))
    groups = [g for g in sweep.classes(twin) if len(g) > 1]
    assert groups, "the generated design has interchangeable servers"
    for group in groups[:20]:
        shapes = []
        for member in group[:3]:
            outcome = twin.evaluate(frozenset({member.id}))
            shapes.append(sorted((n, s.status, s.outage_s) for n, s in outcome.services.items()))
        assert all(shape == shapes[0] for shape in shapes), group[0].id


def test_a_lost_controller_costs_haproxys_checks_with_the_targets_timers() -> None:
    """Requests still go to a lost controller until HAProxy's checks take it out: Kolla's 5 x 2 s on a site,
    the lab overlay's 2 x 0.5 s in the lab (the overlay takes its timers from the lab's profile)."""
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    for profile, outage in ((SITE, 12.0), (LAB, 1.5)):
        api = Twin(design, profile).evaluate(frozenset({"vm:ra-ctl2"})).services["public/region-a-api"]
        assert (api.finite_outage, api.phase_s) == (outage, profile.api_check_inter_s)
    assert LAB_OVERLAY.haproxy_check_inter_ms == 500 and LAB_OVERLAY.haproxy_check_fall == LAB.api_check_fall
