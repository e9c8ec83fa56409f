"""VPN renders: each firewall of a pair its own WireGuard address and key; IPsec backup links route-based,
so that they carry nothing while the MAN's routes exist."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.unit.render.test_checkers import tool
from trisite.errors import RenderError
from trisite.model import Design, Index, load_design
from trisite.render import vpn


@pytest.fixture(scope="module")
def design() -> Design:
    return load_design(EXAMPLES / "three-sites" / "design.yaml").design


def test_each_firewall_of_a_pair_has_its_own_wireguard_address_and_key(design: Design) -> None:
    confs = [a for a in vpn.render(design, Index(design)) if "/wireguard/" in a.path]
    assert {a.device for a in confs} == {"dc1-fw1", "dc1-fw2"}
    addresses = {re.search(r"^Address = (.*)$", a.content, re.MULTILINE).group(1) for a in confs}  # type: ignore[union-attr]
    keys = {re.search(r"^PrivateKey = (.*)$", a.content, re.MULTILINE).group(1) for a in confs}  # type: ignore[union-attr]
    assert addresses == {"198.18.250.1/32", "198.18.250.2/32"}
    assert keys == {"${secret:vpn-admin-key}", "${secret:vpn-admin-key-fw2}"}
    assert {a.secrets for a in confs} == {("vpn-admin-key",), ("vpn-admin-key-fw2",)}


def test_a_pair_without_endpoints_is_refused(design: Design) -> None:
    links = [v.model_copy(update={"endpoints": []}) for v in design.vpn]
    shared = design.model_copy(update={"vpn": links})
    with pytest.raises(RenderError, match="needs its own tunnel address and key"):
        vpn.render(shared, Index(shared))


def test_ipsec_children_are_route_based_and_started_from_one_side(design: Design) -> None:
    confs = {
        a.path: a.content for a in vpn.render(design, Index(design)) if a.path.endswith("backup-12.conf")
    }
    assert confs and not [p for p, text in confs.items() if "start_action = trap" in text]
    for text in confs.values():
        assert "if_id_in = 1" in text and "if_id_out = 1" in text
    assert "start_action = start" in confs["dc1/dc1-fw1/strongswan/backup-12.conf"]
    assert "start_action = none" in confs["dc2/dc2-fw1/strongswan/backup-12.conf"]


def test_the_updown_script_routes_the_remote_network_behind_the_mans_routes(
    design: Design, tmp_path: Path
) -> None:
    (script,) = [
        a.content for a in vpn.render(design, Index(design)) if a.path == "dc1/dc1-fw1/strongswan/xfrm-updown"
    ]
    (tmp_path / "bin").mkdir()
    ip = tmp_path / "bin" / "ip"
    ip.write_text(f'#!/bin/sh\necho "ip $*" >> "{tmp_path}/ip.log"\n[ "$1" != link ] || [ "$2" != show ]\n')
    ip.chmod(0o755)
    (tmp_path / "updown").write_text(script, encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "PLUTO_VERB": "up-client",
        "PLUTO_IF_ID_OUT": "1",
        "PLUTO_PEER_CLIENT": "198.18.2.0/24",
    }
    done = subprocess.run(
        [tool("sh"), str(tmp_path / "updown")], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (
        (tmp_path / "ip.log").read_text().splitlines()
        == [
            "ip link show xfrm1",
            "ip link add xfrm1 type xfrm if_id 1",
            "ip link set xfrm1 up",
            "ip route replace 198.18.2.0/24 dev xfrm1 metric 1000 proto kernel",  # zebra leaves proto kernel routes alone
        ]
    )
