"""The lab's IPsec configuration (pure): the rendered swanctl files read as swanctl reads them, charon's own
strongswan.conf, the lab's overlay on the rendered links, its updown script, and swanctl's SAs read back."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers import lab_ipsec
from trisite.drivers import lab_ipsec_config as config
from trisite.drivers.lab_overlay import IPSEC
from trisite.errors import DriverError
from trisite.model import Index, load_design
from trisite.render import vpn as render_vpn

DESIGN = load_design(EXAMPLES / "three-sites" / "design.yaml").design
RENDERED = {a.path: a.content for a in render_vpn.render(DESIGN, Index.of(DESIGN))}
DC2 = "dc2/dc2-fw1/strongswan"
SECRET = "s3cret#not to be seen"  # noqa: S105 - a test value


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
        f"route replace 198.18.2.0/24 dev {IPSEC.tunnel_device} metric 1000 proto kernel src 198.18.1.2"
    )
    assert run_updown(tmp_path, "down-client")[-1] == (
        f"route del 198.18.2.0/24 dev {IPSEC.tunnel_device} metric 1000 proto kernel"
    )
    assert f"metric {IPSEC.route_metric} proto kernel" in render_vpn.XFRM_UPDOWN  # as the rendered one


def test_the_own_address_inside_a_selector_is_found() -> None:
    found = ["203.0.113.2/29", "198.18.1.2/24", "198.18.1.1/24"]
    assert config.own_address(found, ("198.18.1.0/24",)) == "198.18.1.2"
    assert config.own_address(found, ("198.18.9.0/24",)) is None


# `swanctl --list-sas --pretty` prints each SA as a vici message: `label {`, `key = value`, `key = [` ... `]`.
LIST_SAS = """list-sa event {
  backup-12 {
    uniqueid = 3
    version = 2
    state = ESTABLISHED
    local-host = 203.0.113.4
    remote-host = 203.0.113.12
    child-sas {
      backup-12-4 {
        name = backup-12
        state = INSTALLED
        encap = yes
        bytes-in = 840
        packets-in = 10
        bytes-out = 168
        packets-out = 2
        local-ts = [
          198.18.1.0/24
        ]
        remote-ts = [
          198.18.2.0/24
        ]
      }
    }
  }
}
list-sa event {
  backup-13 {
    uniqueid = 5
    state = CONNECTING
    child-sas {
    }
  }
}
"""


def test_the_sas_are_read_back_with_their_children_and_counters() -> None:
    sas = config.list_sas(LIST_SAS)
    assert [(sa.name, sa.state) for sa in sas] == [("backup-12", "ESTABLISHED"), ("backup-13", "CONNECTING")]
    child = sas[0].installed("backup-12")
    assert child == config.ChildSa("backup-12", "INSTALLED", 10, 2, 840, 168)
    assert sas[1].installed("backup-13") is None
    assert config.list_sas("") == []


def test_a_link_end_is_healthy_only_from_its_vip_holder_with_pings_arriving_at_the_far_end() -> None:
    link = config.links(filled("dc1/dc1-fw1/strongswan/backup-12.conf"))[0]
    pair = ("dc1-fw1", "dc1-fw2")
    up = config.list_sas(LIST_SAS)
    grown = config.list_sas(LIST_SAS.replace("packets-in = 10", "packets-in = 12"))
    nobody = lab_ipsec.End(link, pair, None, "dc2-fw1")
    end = lab_ipsec.End(link, pair, "dc1-fw1", "dc2-fw1")
    assert not lab_ipsec.judge(nobody, {}, {}, probed=False).ok
    assert "no firewall of dc1-fw1/dc1-fw2 holds 203.0.113.4" in lab_ipsec.judge(nobody, {}, {}, False).detail
    before = {"dc1-fw1": up, "dc2-fw1": up}
    assert lab_ipsec.judge(end, before, {"dc1-fw1": up, "dc2-fw1": grown}, probed=True).ok
    silent = lab_ipsec.judge(end, before, {"dc1-fw1": up, "dc2-fw1": up}, probed=True)
    assert not silent.ok and "did not arrive" in silent.detail
    down = lab_ipsec.judge(
        end, before, {"dc1-fw1": "dc1-fw1: swanctl --list-sas: refused", "dc2-fw1": up}, True
    )
    assert not down.ok and "refused" in down.detail


def test_charons_own_routing_table_is_looked_up_after_the_main_one() -> None:
    charon = walk(config.parse(config.charon_conf()), "charon")
    assert int(str(charon["routing_table_prio"])) > 32766  # the main table's rule
