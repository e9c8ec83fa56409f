"""`--target site` with every BMC unreachable: the deployment tries, retries, and stops with one line that names
the server, its BMC and what to do. Run from a namespace of its own with nothing but loopback, so that no
packet leaves for the design's (lab) addresses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers.host import LocalHost
from trisite.drivers.netns import namespace

pytestmark = pytest.mark.lab
ISOLATED = namespace("site-isolated")
SECRETS = {
    "TRISITE_BMC_PASSWORD": "bmc-password",
    "TRISITE_BGP_MD5": "bgp-md5-key",
    "TRISITE_CARP_PASS": "carp-pass",
    "TRISITE_VPN_PSK": "vpn-pre-shared",
    "TRISITE_RESTIC_PASSWORD": "restic-password",
    "TRISITE_KEYSTONE_ADMIN_PASSWORD": "keystone-admin-password",
}


@pytest.fixture
def isolated() -> Iterator[str]:
    host = LocalHost()
    host.run(["ip", "netns", "add", ISOLATED])
    try:
        host.ip_batch(["link set lo up"], ISOLATED)
        yield ISOLATED
    finally:
        host.run(["ip", "netns", "del", ISOLATED], check=False)


def test_an_unreachable_bmc_stops_the_site_deployment_naming_the_server(
    isolated: str, tmp_path: Path
) -> None:
    design = tmp_path / "design"
    shutil.copytree(EXAMPLES / "three-sites", design)
    (design / "secrets").mkdir(exist_ok=True)
    for key in ("vpn-admin.key", "vpn-admin-fw2.key"):  # each firewall of the pair its own WireGuard key
        (design / "secrets" / key).write_text("a-real-site-key\n", encoding="utf-8")
    env = {**os.environ, **SECRETS, "TRISITE_STATE": str(tmp_path / "state")}
    trisite = str(Path(sys.executable).parent / "trisite")
    done = subprocess.run(
        ["ip", "netns", "exec", isolated, trisite, "deploy", str(design / "design.yaml"), "--target", "site"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 4, done.stderr  # the target failed, not the design
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("step ") and ":bmc: BMC 198.18." in last, last
    assert "no answer within" in last and "attempts" in last and "then deploy again" in last, last
    assert any("retrying" in line for line in done.stderr.splitlines())  # the engine's tries, before it stops
    # Hosts were not reached: no SSH access was given, and the plan says so instead of trying them.
    assert (
        "not on this target, 6 steps (the target cannot: put, service:lldpd, service:networking)"
        in done.stderr
    )
    for value in SECRETS.values():
        assert value not in done.stdout + done.stderr
