"""The VPN links in the lab: the rendered WireGuard configurations run (wireguard-go) on both firewalls of
dc1-wan-gw, an administrator's client in the internet namespace shakes hands with each and answers pings
through the tunnels; the rendered IPsec links between the sites run (charon with kernel-libipsec), come up
after the deployment, and carry the sites' traffic when the MAN is cut (the backups layer's sshd on dc2-ops1
is what dc1-ops1 reaches through them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lab.helpers import deployed_lab, until
from trisite.drivers import daemons
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_health import Health
from trisite.drivers.lab_ipsec import greeting, routed_into_tunnel

pytestmark = pytest.mark.lab
LAB = "pytest-vpn"
FIREWALLS = ("dc1-fw1", "dc1-fw2")
MAN = ("man:man-12", "man:man-13", "man:man-23")
PAIRS = {n: f"dc{n}-fw1/dc{n}-fw2" for n in (1, 2, 3)}
IPSEC_ENDS = {f"backup-{a}{b} {PAIRS[n]}" for a, b in ((1, 2), (1, 3), (2, 3)) for n in (a, b)}
SOURCE, TARGET = "dc1-ops1", "198.18.2.17"  # dc2-ops1, the backups' repository host: its sshd answers


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDriver]:
    with deployed_lab(tmp_path_factory, LAB, frozenset({"backups", "vpn", "ipsec"})) as found:
        yield found


def vpn(driver: LabDriver) -> list[Health]:
    return [h for h in driver.health() if h.layer == "vpn"]


def wireguard(driver: LabDriver) -> list[Health]:
    return [h for h in vpn(driver) if h.name.startswith("wg-")]


def ipsec(driver: LabDriver) -> list[Health]:
    return [h for h in vpn(driver) if h.name.startswith("backup-")]


def test_each_admin_wireguard_end_shakes_hands_and_passes_traffic(driver: LabDriver) -> None:
    def up() -> bool:
        found = wireguard(driver)
        return len(found) == 2 and all(h.ok for h in found)

    assert until(up, within=30), wireguard(driver)
    assert sorted(h.name for h in wireguard(driver)) == [f"wg-admin {fw}" for fw in FIREWALLS]


def test_restarting_wg_quick_brings_the_tunnel_back(driver: LabDriver) -> None:
    run = driver.services.run
    assert daemons.running(run, "dc1-fw1", "wireguard-go-wg-admin")
    driver.service("dc1-fw1", "wg-quick@wg-admin", "restart")
    assert until(lambda: all(h.ok for h in wireguard(driver)), within=30), wireguard(driver)


def test_every_ipsec_link_is_established_from_the_vip_holders_and_passes_pings(driver: LabDriver) -> None:
    def up() -> bool:
        found = ipsec(driver)
        return {h.name for h in found} == IPSEC_ENDS and all(h.ok for h in found)

    assert until(up, within=60), ipsec(driver)
    # Only the CARP masters (fw1 of each site) hold the WAN VIPs: the links are up from them alone.
    assert all(h.detail.startswith(f"dc{h.name.split()[1][2]}-fw1 holds") for h in ipsec(driver)), ipsec(
        driver
    )


def sent_into_tunnel(driver: LabDriver) -> int:
    """What dc1-fw1 has sent through backup-12 (packets out of its CHILD_SAs)."""
    return sum(
        c.packets_out for sa in driver.vpn.ipsec.sas("dc1-fw1") if sa.name == "backup-12" for c in sa.children
    )


def test_the_sites_reach_each_other_through_the_tunnels_while_the_man_is_cut(driver: LabDriver) -> None:
    assert until(lambda: all(h.ok for h in ipsec(driver)), within=60), ipsec(driver)
    assert greeting(SOURCE, TARGET, 22).startswith("SSH-")
    assert not routed_into_tunnel("dc1-fw1", TARGET)  # the MAN carries it while it is up
    try:
        for link in MAN:
            driver.set_component(link, up=False)
        assert until(lambda: routed_into_tunnel("dc1-fw1", TARGET), within=15), "the MAN's routes stayed"
        before = sent_into_tunnel(driver)
        assert until(lambda: greeting(SOURCE, TARGET, 22).startswith("SSH-"), within=30), "no answer"
        assert sent_into_tunnel(driver) > before
    finally:
        for link in MAN:
            driver.set_component(link, up=True)
    assert until(lambda: not routed_into_tunnel("dc1-fw1", TARGET), within=30), (
        "the MAN's routes are not back"
    )
    assert until(lambda: greeting(SOURCE, TARGET, 22).startswith("SSH-"), within=30)
    assert until(lambda: all(h.ok for h in ipsec(driver)), within=60), ipsec(driver)
