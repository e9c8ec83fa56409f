"""Active flow scans with nmap, as every driver that can run it on a device does (the lab's namespaces, a host
reached over SSH): the command line and the reading of its XML report.

A SYN scan (-sS) and a UDP scan (-sU), with no host discovery (-Pn: a firewall that drops pings must not hide
the host). What a port's state says about the firewalls between: `open` or `closed` (a SYN-ACK, a RST, an ICMP
port unreachable from the host itself) means the probe reached the host, so every firewall on the way let it
pass; `filtered` or `open|filtered` (nothing came back, or an ICMP refusal from a router) means it did not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from trisite.errors import DriverError

NMAP = "nmap"
# States in which the probe reached the destination host (nmap's port states).
REACHED = frozenset({"open", "closed", "unfiltered", "closed|filtered"})


def _ports(tcp: Sequence[int], udp: Sequence[int]) -> str:
    parts = [f"T:{','.join(map(str, sorted(set(tcp))))}"] if tcp else []
    parts += [f"U:{','.join(map(str, sorted(set(udp))))}"] if udp else []
    return ",".join(parts)


def scan_args(targets: Sequence[str], tcp: Sequence[int], udp: Sequence[int], timeout: float) -> list[str]:
    """nmap's arguments for one scan from a device: every target, the TCP and UDP ports, XML on stdout.

    A dropped probe is only known by its silence: the timing bounds how long nmap waits for it (a LAN's round
    trip is below a millisecond; 250 ms is generous) and one retry tells a lost probe from a dropped one."""
    if not targets or not (tcp or udp):
        raise DriverError("a flow scan needs targets and ports")
    kinds = (["-sS"] if tcp else []) + (["-sU"] if udp else [])
    return [
        NMAP,
        "-n",
        "-Pn",
        *kinds,
        "-p",
        _ports(tcp, udp),
        "--max-retries",
        "1",
        "--initial-rtt-timeout",
        "50ms",
        "--max-rtt-timeout",
        "250ms",
        "--min-rate",
        "2000",
        "--host-timeout",
        f"{max(1, int(timeout))}s",
        "-oX",
        "-",
        *sorted(set(targets)),
    ]


def _root(text: str, what: str) -> ET.Element:
    try:
        return ET.fromstring(text)  # noqa: S314 - nmap's own report, produced here
    except ET.ParseError as exc:
        raise DriverError(f"nmap {what}: unreadable report ({exc})") from None


def parse_scan(text: str) -> dict[str, dict[str, str]]:
    """nmap's XML -> address -> {"tcp/22": state, ...}: every port nmap reported, listed or folded into an
    "extraports" element (more than 25 ports in one state), whose reasons list the ports."""
    found: dict[str, dict[str, str]] = {}
    for host in _root(text, "scan").iter("host"):
        address = next((a.get("addr") for a in host.iter("address") if a.get("addrtype") == "ipv4"), None)
        if address is None:
            continue
        states = found.setdefault(address, {})
        for extra in host.iter("extraports"):
            for reason in extra.iter("extrareasons"):
                for number in _expand(reason.get("ports", "")):
                    states[f"{reason.get('proto')}/{number}"] = extra.get("state", "")
        for port in host.iter("port"):
            state = port.find("state")
            states[f"{port.get('protocol')}/{port.get('portid')}"] = (
                state.get("state", "") if state is not None else ""
            )
    return found


def _expand(ports: str) -> list[int]:
    """'1-3,9' -> [1, 2, 3, 9]."""
    found: list[int] = []
    for part in filter(None, ports.split(",")):
        lo, _, hi = part.partition("-")
        found += range(int(lo), int(hi or lo) + 1)
    return found


def trace_args(target: str, protocol: str, port: int, timeout: float) -> list[str]:
    """nmap's traceroute towards one connection (the routers that forward it answer each TTL)."""
    kind = "-sS" if protocol == "tcp" else "-sU"
    return [
        NMAP,
        "-n",
        "-Pn",
        kind,
        "-p",
        str(port),
        "--traceroute",
        "--host-timeout",
        f"{max(1, int(timeout))}s",
        "-oX",
        "-",
        target,
    ]


def parse_trace(text: str) -> list[str]:
    """The hops' addresses in order (the last one is the destination)."""
    return [hop.get("ipaddr", "") for hop in _root(text, "traceroute").iter("hop")]
