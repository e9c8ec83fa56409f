"""The VPN links in the lab: the rendered WireGuard configurations run (wireguard-go) on both firewalls of
dc1-wan-gw, an administrator's client in the internet namespace shakes hands with each and answers pings
through the tunnels; what this kernel lacks for the rendered IPsec links is recorded, in its own words."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import deployed_lab, until
from trisite.drivers import daemons
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_health import Health

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-vpn"
FIREWALLS = ("dc1-fw1", "dc1-fw2")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDriver]:
    with deployed_lab(tmp_path_factory, LAB, frozenset({"vpn"})) as found:
        yield found


def vpn(driver: LabDriver) -> list[Health]:
    return [h for h in driver.health() if h.layer == "vpn"]


def test_each_admin_wireguard_end_shakes_hands_and_passes_traffic(driver: LabDriver) -> None:
    assert until(lambda: len(vpn(driver)) == 2 and all(h.ok for h in vpn(driver)), within=30), vpn(driver)
    assert sorted(h.name for h in vpn(driver)) == [f"wg-admin {fw}" for fw in FIREWALLS]


def test_restarting_wg_quick_brings_the_tunnel_back(driver: LabDriver) -> None:
    run = driver.services.run
    assert daemons.running(run, "dc1-fw1", "wireguard-go-wg-admin")
    driver.service("dc1-fw1", "wg-quick@wg-admin", "restart")
    assert until(lambda: all(h.ok for h in vpn(driver)), within=30), vpn(driver)


def test_what_the_kernel_lacks_for_ipsec_is_recorded(driver: LabDriver) -> None:
    recorded = json.loads((driver.lab_dir / "ipsec.json").read_text(encoding="utf-8"))
    assert {"dc1-fw1", "dc2-fw1", "dc3-fw1"} <= set(recorded)
    assert all(reasons for reasons in recorded.values()), recorded
