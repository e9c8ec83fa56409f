"""Zone files: values checked and escaped, an SOA serial that follows the content and nothing else."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES
from trisite.errors import RenderError
from trisite.model import Index, load_design
from trisite.model.operations import DnsFailover, DnsRecord, DnsZone, HealthCheck
from trisite.render import dns_health
from trisite.render.dns import render as render_dns
from trisite.render.dns import zone_file
from trisite.render.dns_records import quoted


def zone(*records: DnsRecord) -> DnsZone:
    return DnsZone(
        name="example.net",
        servers=["ns"],
        records=[DnsRecord(name="ns1", type="A", values=["192.0.2.1"]), *records],
    )


def serial_of(text: str) -> int:
    (soa,) = [line for line in text.splitlines() if " SOA " in line]
    return int(soa.split()[6])


def test_the_serial_is_the_same_for_the_same_content_and_changes_with_any_record() -> None:
    www = DnsRecord(name="www", type="A", values=["192.0.2.10"])
    first = serial_of(zone_file(zone(www)))
    assert first == serial_of(zone_file(zone(www)))
    assert 1 <= first < 2**31
    moved = DnsRecord(name="www", type="A", values=["192.0.2.11"])
    assert serial_of(zone_file(zone(moved))) != first
    slower = DnsRecord(name="www", type="A", values=["192.0.2.10"], ttl=600)
    assert serial_of(zone_file(zone(slower))) != first


def test_txt_values_are_quoted_escaped_and_split_into_strings_of_255_bytes() -> None:
    assert quoted('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert quoted("line\nnext") == '"line\\010next"'  # a newline cannot start another record
    assert quoted("é") == '"\\195\\169"'
    long = quoted("x" * 300)
    assert long == '"' + "x" * 255 + '" "' + "x" * 45 + '"'
    text = zone_file(zone(DnsRecord(name="@", type="TXT", values=['v=spf1 "quoted"'])))
    assert '@ 300 IN TXT "v=spf1 \\"quoted\\""' in text.splitlines()


@pytest.mark.parametrize(
    ("kind", "value", "says"),
    [
        ("A", "192.0.2.300", "not an IPv4 address"),
        ("AAAA", "192.0.2.1", "not an IPv6 address"),
        ("CNAME", "www.example.net.\n@ IN A 192.0.2.66", "not a domain name"),
        ("CNAME", "a..b", "not a domain name"),
        ("MX", "ten mail", "not a number"),
        ("MX", "10", "needs 2 fields"),
        ("SRV", "0 5 70000 sip", "not a number from 0 to 65535"),
        ("CAA", "0 is-sue letsencrypt.org", "CAA tag"),
    ],
)
def test_values_that_are_not_what_their_type_says_are_refused(kind: str, value: str, says: str) -> None:
    record = DnsRecord.model_construct(name="x", type=kind, ttl=300, values=[value], failover=None)
    with pytest.raises(RenderError, match=says):
        zone_file(zone(record))


def test_plain_records_of_every_type_render() -> None:
    records = [
        DnsRecord(name="@", type="MX", values=["10 mail.example.net."]),
        DnsRecord(name="_sip._tcp", type="SRV", values=["0 5 5060 sip"]),
        DnsRecord(name="@", type="CAA", values=['0 issue "letsencrypt.org"']),
        DnsRecord(name="v6", type="AAAA", values=["2001:DB8::0:1"]),
    ]
    lines = zone_file(zone(*records)).splitlines()
    assert "@ 300 IN MX 10 mail.example.net." in lines
    assert "_sip._tcp 300 IN SRV 0 5 5060 sip" in lines
    assert '@ 300 IN CAA 0 issue "letsencrypt.org"' in lines
    assert "v6 300 IN AAAA 2001:db8::1" in lines


def test_an_owner_label_longer_than_63_characters_is_refused() -> None:
    with pytest.raises(RenderError, match="1-63 character labels"):
        zone_file(zone(DnsRecord(name="a" * 64, type="A", values=["192.0.2.1"])))


def test_a_failover_record_returns_the_first_live_target_in_order() -> None:
    check = HealthCheck(type="tcp", port=443)
    record = DnsRecord(
        name="www", type="A", failover=DnsFailover(targets=["192.0.2.20", "192.0.2.21"], check=check)
    )
    (line,) = [x for x in zone_file(zone(record)).splitlines() if x.startswith("www ")]
    assert line.startswith("www 300 IN LUA A \";local T = {'192.0.2.20', '192.0.2.21'} local up = {}")
    assert "ifportup(443, T, " in line and "{{" not in line  # 4.7: a flat list, no sets
    assert line.replace('" "', " ").endswith(
        'for _, a in ipairs(T) do if up[a] then return a end end return T[1]"'
    )


def test_a_failover_record_reads_the_agent_state_while_it_is_fresh() -> None:
    """The agent's word counts for three of its rounds plus a check's timeout (3 s at the least), in the
    whole seconds Lua's os.time() counts; older, PowerDNS's own checks decide."""
    for interval, timeout, stale in ((0.1, 2.0, 3), (5, 2, 17), (1, 0.5, 4)):
        check = HealthCheck(type="tcp", port=443, interval_s=interval, timeout_s=timeout)
        record = DnsRecord(
            name="@", type="AAAA", failover=DnsFailover(targets=["2001:db8::1", "2001:db8::2"], check=check)
        )
        text = zone_file(zone(record))
        assert "io.open('/run/trisite-dns-health/example.net-AAAA')" in text.replace('" "', " ")
        assert f"math.abs(os.time() - s) <= {stale} then" in text.replace('" "', " ")


def test_an_http_check_path_cannot_break_out_of_the_lua_string() -> None:
    check = HealthCheck(type="https", port=443, path="/health')os.exit(")
    record = DnsRecord(
        name="www", type="A", failover=DnsFailover(targets=["192.0.2.20", "192.0.2.21"], check=check)
    )
    with pytest.raises(RenderError, match="not a plain URL path"):
        zone_file(zone(record))


def test_two_failover_records_with_one_state_file_on_a_server_are_refused() -> None:
    """`www` of example.net and `@` of www.example.net are one name: the agent would write one state for both."""
    check = HealthCheck(type="tcp", port=443)
    www = DnsRecord(
        name="www", type="A", failover=DnsFailover(targets=["192.0.2.20", "192.0.2.21"], check=check)
    )
    apex = DnsRecord(
        name="@", type="A", failover=DnsFailover(targets=["192.0.2.30", "192.0.2.31"], check=check)
    )
    here = ["dc1-ops1"]
    zones = [
        zone(www).model_copy(update={"servers": here}),
        zone(apex).model_copy(update={"name": "www.example.net", "servers": here}),
    ]
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design.model_copy(update={"dns": zones})
    with pytest.raises(RenderError, match=r"two failover records of dc1-ops1 .*: www\.example\.net-A"):
        dns_health.config(design, "dc1-ops1")
    assert json.loads(dns_health.config(design.model_copy(update={"dns": zones[:1]}), "dc1-ops1"))["records"]


@pytest.mark.parametrize(("interval", "rendered"), [(0.1, 1), (1, 1), (2.5, 3), (5, 5)])
def test_powerdns_checks_as_often_as_the_design_in_whole_seconds(interval: float, rendered: int) -> None:
    """PowerDNS's own checks, the agent's fallback, count whole seconds: the design's interval rounded up."""
    check = HealthCheck(type="tcp", port=443, interval_s=interval)
    record = DnsRecord(
        name="www", type="A", failover=DnsFailover(targets=["192.0.2.20", "192.0.2.21"], check=check)
    )
    zones = [zone(record).model_copy(update={"servers": ["dc1-ops1"]})]
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design.model_copy(update={"dns": zones})
    (conf,) = [a.content for a in render_dns(design, Index(design)) if a.path.endswith("pdns.d/trisite.conf")]
    assert f"lua-health-checks-interval={rendered}\n" in conf
