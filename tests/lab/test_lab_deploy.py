"""The network layer deployed into the lab: BGP at every site, the public service reachable, nothing left after."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import answers, established, until
from trisite import pipelines
from trisite.drivers.host import LocalHost
from trisite.drivers.netns import namespace
from trisite.lab import build, session
from trisite.model import load_design
from trisite.prove import campaign
from trisite.prove.scenarios import network_scenarios, with_probe

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved = build.STATE_ROOT
    build.STATE_ROOT = tmp_path_factory.mktemp("lab")
    loaded = load_design(REFERENCE)
    try:
        session.up(loaded, "pytest", str(REFERENCE))
        pipelines.deploy_job(loaded, "lab", lab="pytest")
        yield
    finally:
        build.down("pytest")
        build.STATE_ROOT = saved


@pytest.mark.usefixtures("deployed")
def test_bgp_sessions_are_established_at_every_site() -> None:
    for firewall in ("dc1-fw1", "dc1-fw2", "dc2-fw1", "dc2-fw2", "dc3-fw1", "dc3-fw2"):
        assert until(lambda f=firewall: established(f), within=30) is not None, firewall


@pytest.mark.usefixtures("deployed")
def test_the_internet_client_reaches_the_public_service() -> None:
    # dc1-ops1 serves DNS on 198.51.100.31, behind the DMZ's CARP gateway and the nftables flow matrix.
    assert until(lambda: answers(namespace("internet"), "198.51.100.31"), within=30) is not None, (
        carp_picture()
    )


@pytest.mark.usefixtures("deployed")
def test_carp_gives_each_vip_one_master() -> None:
    one_master = until(lambda: sum(holds_dmz_vip(fw) for fw in DC1_PAIR) == 1, within=15)
    assert one_master is not None, carp_picture()


@pytest.mark.usefixtures("deployed")
def test_a_power_off_through_the_redfish_bmc_takes_the_server_away() -> None:
    driver = session.driver_for("pytest", load_design(REFERENCE))
    server, address = "dc1-ceph2", "198.18.1.12"  # its management address, seen from its site's firewall
    assert until(lambda: answers(namespace("dc1-fw1"), address), within=20) is not None
    assert driver.power_state(server) == "On"
    driver.power(server, "off")  # sushy-tools applies it 1 to 11 s later, as real BMCs take their time
    assert until(lambda: not answers(namespace("dc1-fw1"), address), within=20) is not None
    assert driver.power_state(server) == "Off"
    port = LocalHost().in_netns(namespace("dc1-sw1"), ["ip", "-br", "link", "show", "swp4"]).stdout
    assert port.split()[1] != "UP", port  # its switch port lost carrier, as with a real power cut
    driver.power(server, "on")
    assert until(lambda: answers(namespace("dc1-fw1"), address), within=30) is not None
    assert driver.power_state(server) == "On"


@pytest.mark.usefixtures("deployed")
def test_vms_run_on_their_hypervisor_and_the_virtual_firewalls_hold_the_tenant_gateway() -> None:
    # ra-ctl1 (on dc1-virt1) reaches its gateway, the physical firewalls' VIP, through its host's bridge.
    assert until(lambda: answers(namespace("ra-ctl1"), "198.18.40.1"), within=20) is not None

    # The tenant gateway is VRRP at 100 ms between vfw1 (dc1, priority 200) and vfw2 (dc2): vfw1 alone holds it.
    def holders() -> list[str]:
        return [
            vfw
            for vfw in ("vfw1", "vfw2")
            if " 198.18.60.1/24" in LocalHost().in_netns(namespace(vfw), ["ip", "-br", "address"]).stdout
        ]

    assert until(lambda: holders() == ["vfw1"], within=10) is not None, holders()
    assert answers(namespace("vfw2"), "198.18.60.1")  # across the MAN, on the stretched tenant network


@pytest.mark.usefixtures("deployed")
def test_the_station_reaches_a_bmc_of_another_site_on_the_bootstrap_flow_only() -> None:
    """deploy-redfish lets the deployer (dc1-mgmt) reach the OOB zone on tcp/443 through the firewalls and MAN;
    nothing else of the OOB zone (here ssh) passes."""
    driver = session.driver_for("pytest")

    def answered(kind: str) -> list[bool]:
        probe = driver.probe("deployer", "198.18.12.11", 0.1, kind)  # a BMC of dc2
        time.sleep(1.5)
        return [p.ok for p in probe.stop()]

    assert all(answered("tcp:443")[-5:])
    assert not any(answered("tcp:22"))


DC1_PAIR = ("dc1-fw1", "dc1-fw2")


def holds_dmz_vip(firewall: str) -> bool:
    listed = LocalHost().in_netns(namespace(firewall), ["ip", "-br", "address"], check=False).stdout
    return " 198.18.1.1/24" in listed


def carp_picture() -> str:
    """What a failed CARP expectation needs to be understood: who holds the DMZ VIP, which ucarp runs where."""
    lines = []
    for fw in DC1_PAIR:
        vip = holds_dmz_vip(fw)
        pids = LocalHost().run(["ip", "netns", "pids", namespace(fw)], check=False).stdout.split()
        comms = [Path(f"/proc/{p}/comm") for p in pids]
        ucarps = [
            c for c in comms if c.exists() and "ucarp" in c.read_text(encoding="utf-8", errors="replace")
        ]
        lines.append(f"{fw}: holds VIP {vip}, {len(ucarps)} ucarp processes")
    return "; ".join(lines)


@pytest.mark.usefixtures("deployed")
def test_losing_the_internet_line_of_site_1_is_measured_and_within_the_prediction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(campaign, "SETTLE", 1.0)
    design = load_design(REFERENCE).design
    scenario = next(s for s in network_scenarios(design) if "internet line" in s.name)
    (result,) = campaign.run(design, session.driver_for("pytest"), [scenario]).results
    assert result.measured.seconds is not None, "the public address never came back"
    assert result.ok, (result.measured, result.predicted)
    assert result.measured.probes > 500  # probes every 20 ms over the observation


@pytest.mark.usefixtures("deployed")
def test_bgp_failover_over_tcp_is_measured_and_the_sessions_come_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The operator shuts the line's sessions (the line stays up); TCP probes to the public service."""
    monkeypatch.setattr(campaign, "OBSERVE", 5.0)
    monkeypatch.setattr(campaign, "SETTLE", 1.0)
    design = load_design(REFERENCE).design
    scenario = next(s for s in network_scenarios(design) if s.name.startswith("BGP failover"))
    (result,) = campaign.run(
        design, session.driver_for("pytest"), [with_probe(design, scenario, "tcp:443")]
    ).results
    assert result.ok, (result.measured, result.predicted)
    assert until(lambda: established("dc1-fw1") and established("dc1-fw2"), within=30) is not None
