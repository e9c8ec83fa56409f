"""Replies of flows whose ends may sit at different sites pass statelessly (a request may cross one firewall
pair, its reply another), only for declared flows, TCP only with ACK set; in nftables and in OPNsense's rules."""

from __future__ import annotations

from tests.conftest import EXAMPLES
from trisite.model import Index, load_design
from trisite.render.nftables import nft_rules
from trisite.render.opnsense import filter_rule
from trisite.render.policy import PolicyBuilder, policy

REFERENCE = load_design(EXAMPLES / "three-sites" / "design.yaml").design
FW = next(f for f in REFERENCE.firewalls if f.name == "dc1-fw1")


def test_each_cross_site_tcp_or_udp_flow_gets_its_reply_rule_and_tcp_only_with_ack() -> None:
    p = policy(REFERENCE, Index.of(REFERENCE), FW)
    replies = {r.comment.removeprefix("replies of "): r for r in p.rules if r.reply}
    for flow in REFERENCE.flows:
        if flow.protocol not in ("tcp", "udp") or FW.name in PolicyBuilder(
            REFERENCE, Index.of(REFERENCE)
        ).firewalls_named(flow.destination):
            continue
        rule = replies[flow.name]
        assert (rule.source.name, rule.destination.name, rule.sports) == (
            flow.destination,
            flow.source,
            tuple(flow.ports),
        )
        (line,) = nft_rules([rule])
        assert f"{flow.protocol} sport" in line and ("tcp flags & ack == ack" in line) == (
            flow.protocol == "tcp"
        )
        assert "ct state" not in line


def test_flows_inside_one_site_keep_the_firewalls_fully_stateful() -> None:
    site = REFERENCE.uplinks[0].site
    one_site = REFERENCE.model_copy(update={
        "uplinks": [u for u in REFERENCE.uplinks if u.site == site],
        "networks": [n.model_copy(update={"sites": [site]}) for n in REFERENCE.networks],
    })  # fmt: skip
    assert [r for r in policy(one_site, Index.of(one_site), FW).rules if r.reply] == []


def test_opnsense_gets_the_same_replies_as_stateless_rules_with_flags_a_out_of_a() -> None:
    p = policy(REFERENCE, Index.of(REFERENCE), FW)
    web = next(r for r in p.rules if r.comment == "replies of web-in")
    rule = filter_rule(web, 100, "ix0")
    assert rule["statetype"] == "none" and (rule["tcpflags1"], rule["tcpflags2"]) == ("ack", "ack")
    assert (rule["source_net"], rule["source_port"], rule["destination_net"], rule["destination_not"]) == (
        "ep_dmz", "ports_80_443", "internal", "1")  # fmt: skip
