"""The lab's IPsec configuration (pure): the rendered swanctl files read as swanctl reads them, charon's own
strongswan.conf, the lab's overlay on the rendered links, its updown script, and swanctl's SAs read back."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers import lab_ipsec_config as config
from trisite.drivers.lab_overlay import IPSEC
from trisite.errors import DriverError
from trisite.model import Index, load_design
from trisite.render import vpn as render_vpn

DESIGN = load_design(EXAMPLES / "three-sites" / "design.yaml").design
RENDERED = {a.path: a.content for a in render_vpn.render(DESIGN, Index.of(DESIGN))}
DC2 = "dc2/dc2-fw1/strongswan"
SECRET = "s3cret-not-to-be-seen"  # noqa: S105 - a test value


def filled(path: str) -> str:
    """A rendered file as the deployment puts it on the firewall: its secret filled in."""
    return RENDERED[path].replace("${secret:vpn-psk}", SECRET)


def test_the_rendered_links_are_read_with_their_selectors_and_who_starts_them() -> None:
    responder = config.links(filled(f"{DC2}/backup-12.conf"))
    starter = config.links(filled(f"{DC2}/backup-23.conf"))
    assert responder == [
        config.Link(
            "backup-12",
            "203.0.113.12",
            "203.0.113.4",
            (config.Child("backup-12", ("198.18.2.0/24",), ("198.18.1.0/24",), initiator=False),),
        )
    ]
    assert starter[0].initiator and starter[0].remote_addrs == "203.0.113.20"
    assert starter[0].children[0].remote_ts == ("198.18.3.0/24",)


def test_a_line_the_reader_cannot_take_is_named_but_a_secret_never_shown() -> None:
    with pytest.raises(DriverError, match="line 2: neither a section") as caught:
        config.parse(f"secrets {{\n secret {SECRET}\n}}\n")
    assert SECRET not in str(caught.value)
    with pytest.raises(DriverError, match="not closed"):
        config.parse("connections {\n")
    with pytest.raises(DriverError, match="closes nothing"):
        config.parse("}\n")


def test_the_overlay_replaces_the_updown_and_keeps_the_starter_trying_over_the_rendered_values() -> None:
    rendered = filled(f"{DC2}/backup-23.conf") + filled(f"{DC2}/backup-12.conf")
    found = config.links(rendered)
    overlay = config.overlay_conf(found, "/run/lab-updown")
    merged = config.parse(rendered + overlay)  # swanctl includes the overlay last: a later value wins
    starter, responder = walk(merged, "connections", "backup-23"), walk(merged, "connections", "backup-12")
    assert starter["keyingtries"] == str(IPSEC.keyingtries)
    assert "keyingtries" not in responder  # it answers: nothing to retry
    child = walk(starter, "children", "backup-23")
    assert child["updown"] == "/run/lab-updown"
    assert child["if_id_in"] == "3" and child["start_action"] == "start"
    assert SECRET not in overlay
    assert walk(config.parse(rendered), "secrets", "ike-backup-23")["secret"] == SECRET


def walk(section: config.Section, *names: str) -> config.Section:
    for name in names:
        found = section[name]
        assert isinstance(found, dict), name
        section = found
    return section


def test_charon_loads_libipsec_before_netlink_and_routes_nothing_itself() -> None:
    charon = walk(config.parse(config.charon_conf()), "charon")
    load = str(charon["load"]).split()
    assert load.index("kernel-libipsec") < load.index("kernel-netlink")
    assert {"vici", "updown", "socket-default", "nonce", "random"} <= set(load)
    assert charon["install_routes"] == "no"


def test_the_lab_swanctl_conf_includes_the_deployed_files_then_the_overlay() -> None:
    text = config.swanctl_conf(["/lab/root/fw/etc/swanctl/conf.d/backup-12.conf"], "/lab/overlay.conf")
    includes = [line.split()[1] for line in text.splitlines() if line.startswith("include ")]
    assert includes == ["/lab/root/fw/etc/swanctl/conf.d/backup-12.conf", "/lab/overlay.conf"]


def run_updown(tmp_path: Path, verb: str) -> list[str]:
    """The lab's updown run with a stand-in `ip` that records its arguments (and lists one address)."""
    calls = tmp_path / "calls"
    fake = tmp_path / "ip"
    fake.write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\n'
        'case "$*" in *"addr show"*) echo "5: ix1.10    inet 198.18.1.2/24 brd 198.18.1.255 scope global";; esac\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    script = tmp_path / "updown"
    script.write_text(config.updown(), encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "PLUTO_VERB": verb,
        "PLUTO_MY_CLIENT": "198.18.1.0/24",
        "PLUTO_PEER_CLIENT": "198.18.2.0/24",
    }
    subprocess.run(["sh", str(script)], env=env, check=True)
    return calls.read_text(encoding="utf-8").splitlines()


def test_the_updown_routes_the_remote_network_into_the_tunnel_at_the_rendered_metric(tmp_path: Path) -> None:
    assert run_updown(tmp_path, "up-client")[-1] == (
        f"route replace 198.18.2.0/24 dev {IPSEC.tunnel_device} metric 1000 src 198.18.1.2"
    )
    assert run_updown(tmp_path, "down-client")[-1] == (
        f"route del 198.18.2.0/24 dev {IPSEC.tunnel_device} metric 1000"
    )
    assert f"metric {IPSEC.route_metric}" in render_vpn.XFRM_UPDOWN  # the same as the rendered one


def test_the_own_address_inside_a_selector_is_found() -> None:
    found = ["203.0.113.2/29", "198.18.1.2/24", "198.18.1.1/24"]
    assert config.own_address(found, ("198.18.1.0/24",)) == "198.18.1.2"
    assert config.own_address(found, ("198.18.9.0/24",)) is None
