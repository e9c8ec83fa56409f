"""nmap's command line and XML report, as the flow check's drivers use them (drivers/scan.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trisite.drivers.scan import REACHED, parse_scan, parse_trace, scan_args, trace_args
from trisite.errors import DriverError

DATA = Path(__file__).parent / "data"
# nmap's traceroute element, as it reports a connection forwarded by one router (one hop before the target).
TRACE = """<?xml version="1.0"?><nmaprun><host><address addr="198.18.1.11" addrtype="ipv4"/>
<trace port="3306" proto="tcp"><hop ttl="1" ipaddr="198.18.40.242" rtt="0.31"/>
<hop ttl="2" ipaddr="198.18.1.11" rtt="0.40"/></trace></host></nmaprun>"""


def test_a_report_with_listed_and_folded_ports() -> None:
    # A real report (nmap 7.93 on 127.0.0.1): 60 TCP and 40 UDP ports folded into one "extraports" element.
    found = parse_scan((DATA / "nmap-scan.xml").read_text(encoding="utf-8"))
    assert set(found) == {"127.0.0.1"}
    states = found["127.0.0.1"]
    assert len([k for k in states if k.startswith("tcp/")]) == 60 and states["tcp/22"] == "closed"
    assert states["udp/53"] == "closed" and all(s in REACHED for s in states.values())


def test_the_command_line_names_every_port_and_target_once() -> None:
    args = scan_args(["198.18.1.12", "198.18.1.11", "198.18.1.11"], [443, 22, 22], [53], 30)
    assert args[args.index("-p") + 1] == "T:22,443,U:53"
    assert args[-2:] == ["198.18.1.11", "198.18.1.12"] and "-Pn" in args and "-sU" in args
    assert "-sU" not in scan_args(["198.18.1.11"], [22], [], 30)
    with pytest.raises(DriverError, match="needs targets and ports"):
        scan_args([], [22], [], 30)


def test_a_trace_lists_the_hops_in_order() -> None:
    assert parse_trace(TRACE) == ["198.18.40.242", "198.18.1.11"]
    assert trace_args("198.18.1.11", "udp", 623, 10)[4:7] == ["-p", "623", "--traceroute"]
    with pytest.raises(DriverError, match="unreadable report"):
        parse_trace("nmap: not XML")
