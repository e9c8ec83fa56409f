"""Replies of flows from outside pass statelessly only when lines land at several sites (asymmetric paths),
in nftables and in OPNsense's rules."""

from __future__ import annotations

from tests.conftest import EXAMPLES
from trisite.model import load_design
from trisite.model.flows import FlowMatrix
from trisite.render.nftables import reply_rules
from trisite.render.opnsense import _reply_rules

REFERENCE = load_design(EXAMPLES / "three-sites" / "design.yaml").design


def test_each_inbound_tcp_or_udp_flow_gets_its_reply_rule_and_tcp_never_a_bare_syn() -> None:
    found = reply_rules(FlowMatrix(REFERENCE), REFERENCE.flows)
    inbound = [f for f in REFERENCE.flows if f.source == "outside" and f.protocol in ("tcp", "udp")]
    for flow in inbound:
        (rule,) = [r for r in found if r.endswith(f'"replies of {flow.name}"')]
        assert f"{flow.protocol} sport" in rule and "daddr != @internal_v4" in rule
        assert ("tcp flags & (syn | ack) != syn" in rule) == (flow.protocol == "tcp")
    assert any("icmp type destination-unreachable" in r for r in found)  # port unreachable, path MTU


def test_lines_at_one_site_keep_the_firewalls_fully_stateful() -> None:
    site = REFERENCE.uplinks[0].site
    one_site = REFERENCE.model_copy(update={"uplinks": [u for u in REFERENCE.uplinks if u.site == site]})
    assert reply_rules(FlowMatrix(one_site), one_site.flows) == []


def test_opnsense_gets_the_same_replies_as_stateless_rules() -> None:
    matrix = FlowMatrix(REFERENCE)
    calls = _reply_rules(REFERENCE, matrix, {"dmz": "ep_dmz", "ops-hosts": "ep_ops_hosts"}, "ix0", 200)
    rules = {c["body"]["rule"]["description"].split()[2]: c["body"]["rule"] for c in calls}
    assert set(rules) == {"web-in", "dns-in", "dns-in-tcp"}
    assert all(r["statetype"] == "none" and r["destination_not"] == "1" for r in rules.values())
    assert rules["web-in"]["source_net"] == "ep_dmz" and rules["web-in"]["source_port"] == "ports_web_in"
