"""The lab's plans and pieces that need no root: BMCs, defects, the power watcher, the random port."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers.fake import FakeDriver
from trisite.drivers.protocols import parse_probe
from trisite.errors import LabError
from trisite.lab import bmc, build, defects
from trisite.lab.bmcwatch import PowerWatch
from trisite.lab.plan import plan
from trisite.model import load_design
from trisite.model.flows import FlowMatrix, Side
from trisite.prove.campaign import _components
from trisite.prove.scenarios import network_scenarios, with_probe
from trisite.verify.twin import Twin

REFERENCE = load_design(EXAMPLES / "three-sites" / "design.yaml").design
MINIMAL = load_design(EXAMPLES / "minimal" / "design.yaml").design


def test_every_server_gets_a_bmc_in_its_oob_network_patched_into_a_switch_of_its_site() -> None:
    lab = plan(REFERENCE)
    assert {b.server for b in lab.bmcs} == {s.name for s in REFERENCE.servers}
    for server in REFERENCE.servers:
        record = next(b for b in lab.bmcs if b.server == server.name)
        assert record.netns == f"ts-bmc-{server.bmc.network}" and record.port == 443
        assert any(
            a.ns == record.netns and a.cidr.startswith(f"{server.bmc.address}/") for a in lab.addresses
        )
        patched = next(link for link in lab.links if link.a_ns == record.netns)
        assert patched.b_ns == f"ts-{server.site}-sw1"  # the first switch of its site carrying the network
    assert ("ts-bmc-dc1-oob", "default", "198.18.11.1") in lab.routes


def test_guests_run_in_a_bridge_of_their_hypervisor_which_gets_an_uplink_for_their_networks() -> None:
    lab = plan(REFERENCE)
    vfw1 = [link for link in lab.links if link.a_ns == "ts-vfw1"]
    assert {(link.a_if, link.b_ns, link.cable) for link in vfw1} == {
        ("eth0", "ts-dc1-virt1", "vm:vfw1"),
        ("eth1", "ts-dc1-virt1", "vm:vfw1"),
    }
    host_ports = {(p.bridge, p.ifname) for p in lab.ports if p.ns == "ts-dc1-virt1"}
    assert {("vbr100", "vnet0.0"), ("vbr600", "vnet0.1"), ("vbr600", "eno1xv600")} <= host_ports
    uplink = next(link for link in lab.links if link.a_ns == "ts-dc1-virt1" and link.a_if == "eno1xv600")
    assert (uplink.b_ns, uplink.b_if) == ("ts-dc1-sw1", "swp5v600")
    assert uplink.cable == "cable:dc1-sw1:swp5|dc1-virt1:eno1"  # cutting the host's cable cuts its guests
    assert ("ts-ra-ctl1", "default", "198.18.40.1") in lab.routes  # VMs get their OS's default route
    assert not any(r[0] == "ts-vfw1" for r in lab.routes)  # firewalls get theirs from the deployment


def test_the_station_is_patched_into_its_network_and_multi_homed_hosts_answer_by_their_own_gateways() -> None:
    lab = plan(REFERENCE)
    (patch,) = [link for link in lab.links if link.a_ns == "ts-deployer"]
    assert (patch.b_ns, patch.cable) == ("ts-dc1-sw1", "station:deployer")
    assert ("ts-deployer", "default", "198.18.1.1") in lab.routes
    by_source = {(space, source): gateway for space, source, gateway, _ in lab.source_routes}
    assert by_source[("ts-dc1-ops1", "198.51.100.31")] == "198.51.100.1"  # the public DNS, by the DMZ
    assert by_source[("ts-dc1-ops1", "198.18.1.17")] == "198.18.1.1"
    assert len({table for *_, table in lab.source_routes}) == len(lab.source_routes)


def test_the_emulator_configuration_is_python_and_names_each_controllers_raid_types(tmp_path: Path) -> None:
    lab = plan(REFERENCE)
    dc1 = [b for b in lab.bmcs if b.netns == "ts-bmc-dc1-oob"]
    text = bmc._emulator_config(REFERENCE, dc1, tmp_path, {"dc1-ceph1": "raid-only"})
    settings = {
        node.targets[0].id: ast.literal_eval(node.value)  # type: ignore[attr-defined]
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign)
    }
    systems = {s["name"]: s["uuid"] for s in settings["SUSHY_EMULATOR_FAKE_SYSTEMS"]}
    assert set(systems) == {b.server for b in dc1}
    assert all(
        s["power_state"] == "On" and s["external_notifier"] for s in settings["SUSHY_EMULATOR_FAKE_SYSTEMS"]
    )
    storage = settings["SUSHY_EMULATOR_STORAGE"]
    raid = {
        name: storage[sid][0]["StorageControllers"][0]["SupportedRAIDTypes"] for name, sid in systems.items()
    }
    assert "None" not in raid["dc1-ceph1"] and "None" in raid["dc1-ceph2"]
    drives = settings["SUSHY_EMULATOR_DRIVES"][(systems["dc1-ceph2"], "1")]
    assert [d["Id"] for d in drives] == [d.name for d in REFERENCE.servers[1].disks]
    assert "password" not in text.lower()  # the account lives in the htpasswd file, hashed


def test_bmc_defects_pick_their_servers_and_refuse_designs_without_one() -> None:
    chosen = defects.chosen(["bmc-hangs", "no-jbod"])
    assert defects.bmc_quirks(REFERENCE, chosen) == {
        REFERENCE.servers[-1].name: "hangs",
        "dc1-ceph1": "raid-only",
    }
    without_osd = MINIMAL.model_copy(
        update={"servers": [s.model_copy(update={"disks": []}) for s in MINIMAL.servers]}
    )
    with pytest.raises(LabError, match="no-jbod: no server of the design wants JBOD"):
        defects.bmc_quirks(without_osd, defects.chosen(["no-jbod"]))


def test_the_power_watch_takes_the_server_down_when_the_change_takes_effect() -> None:
    applied: list[tuple[str, list[str]]] = []
    entry = {
        "server": "s1",
        "netns": "ts-s1",
        "interfaces": ["eno1"],
        "routes": ["route replace default via 198.18.1.1"],
    }
    watch = PowerWatch({"u1": entry}, lambda netns, lines: applied.append((netns, lines)))
    watch.notified(
        {
            "uuid": "u1",
            "power_state": "On",
            "pending_power": {"power_state": "Off", "apply_time": time.time() + 0.2},
        }
    )
    assert applied == []  # not yet: a BMC takes its time
    time.sleep(0.4)
    assert applied == [("ts-s1", ["link set eno1 down"])]
    watch.notified({"uuid": "u1", "power_state": "Off", "pending_power": None})
    assert len(applied) == 1  # the emulator confirming what already happened changes nothing
    watch.notified({"uuid": "u1", "power_state": "On", "pending_power": None})
    assert applied[-1] == ("ts-s1", ["link set eno1 up", "route replace default via 198.18.1.1"])
    watch.notified({"uuid": "other", "power_state": "Off"})
    assert len(applied) == 2


def test_the_random_port_is_drawn_from_network_device_cables_and_repeats_with_its_seed() -> None:
    servers = {s.name for s in REFERENCE.servers}

    def port(seed: int) -> str:
        return next(s.faults[0] for s in network_scenarios(REFERENCE, seed) if s.name.startswith("Random"))

    drawn = {port(seed) for seed in range(20)}
    assert len(drawn) > 3 and port(7) == port(7)
    assert not any(end.split(":")[0] in servers for fault in drawn for end in fault[6:].split("|"))


def test_bgp_failover_shuts_the_sessions_and_is_predicted_as_sessions_closed_by_the_operator() -> None:
    scenario = next(s for s in network_scenarios(REFERENCE) if s.name.startswith("BGP failover"))
    line = REFERENCE.uplinks[0].name
    assert scenario.faults == (f"bgp:{line}",)
    cut, failed = _components(FakeDriver(), Twin(REFERENCE), scenario)  # type: ignore[arg-type]
    assert cut == [f"bgp:{line}"] and failed == [f"session:{line}"]


def test_each_scenario_inside_probes_a_connection_the_flows_allow_between_two_networks() -> None:
    """The firewalls pass what a flow says and nothing more: a MAN scenario probing a connection no flow allows
    lost every probe, before the cut too (the lab found it once the policy landed). The probe survives --probe."""
    matrix = FlowMatrix(REFERENCE)
    inside = [s for s in network_scenarios(REFERENCE) if s.source != "internet"]
    assert len(inside) == 2
    for scenario in inside:
        source = matrix.sides(scenario.source)[0]
        target = next(
            side
            for server in REFERENCE.servers
            for side, a in zip(matrix.sides(server.name), server.addresses, strict=True)
            if str(a.ip) == scenario.target
        )
        kind, port = parse_probe(scenario.probe)
        assert source.network != target.network, scenario
        assert matrix.permits(source, target, kind, port or 0), scenario
        assert with_probe(REFERENCE, scenario, "icmp") == scenario


def test_the_extra_permitted_flow_is_one_vendor_rule_on_the_master_of_two_gateways() -> None:
    files = defects.delivered_files(REFERENCE, defects.chosen(["extra-permitted-flow"]))
    assert list(files) == [("dc1-fw1", defects.VENDOR_RULES)]
    rule = files["dc1-fw1", defects.VENDOR_RULES]
    assert "ip saddr 198.18.40.0/24 ip daddr 198.18.1.0/24 tcp dport 3306" in rule
    assert rule.count("\ninsert rule inet trisite forward ") == 1
    matrix = FlowMatrix(REFERENCE)  # and no flow of the design allows it, temporary ones included
    cloud, mgmt = Side(None, "cloud-internal", "cloud"), Side(None, "dc1-mgmt", "mgmt")
    assert matrix.flow_for(cloud, mgmt, "tcp", defects.EXTRA_PORT, bootstrap=True) is None
    without = REFERENCE.model_copy(update={"ha_groups": []})
    with pytest.raises(LabError, match="extra-permitted-flow: no firewall is the gateway of two zones"):
        defects.delivered_files(without, defects.chosen(["extra-permitted-flow"]))


def test_the_stp_root_is_placed_at_the_last_site_so_that_losing_the_first_keeps_it() -> None:
    lab = plan(load_design(EXAMPLES / "three-sites" / "design.yaml").design)
    ranked = sorted(lab.stp_priorities, key=lambda ns: lab.stp_priorities[ns])
    assert ranked[:2] == ["ts-dc3-sw1", "ts-dc3-sw2"] and ranked[-2:] == ["ts-dc1-sw1", "ts-dc1-sw2"]
    assert all(p % 4096 == 0 and 0 < p < 32768 for p in lab.stp_priorities.values())  # below the default
    added = [line for line in build._namespace_lines(lab, "ts-dc3-sw1") if line.startswith("link add")]
    assert added and all(line.endswith("priority 4096") for line in added)


def test_a_hosts_static_routes_are_kept_to_be_put_back_when_a_cut_is_mended() -> None:
    lab = plan(load_design(EXAMPLES / "three-sites" / "design.yaml").design)
    routes = build.static_routes(lab)
    controller = routes["ts-ra-ctl1"]
    assert "route replace default via 198.18.40.1" in controller  # its first network's gateway
    assert any(
        r.startswith("route replace default via 198.51.100.1 table ") for r in controller
    )  # source route
