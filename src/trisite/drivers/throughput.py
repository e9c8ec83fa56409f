"""Throughput between two devices with iperf3: the command lines and the reading of the client's JSON report.

One TCP stream for a second (what a link carries at least; a shaped line shows its rate within that time: tbf's
bucket is a few hundred kilobytes). The server serves one client and exits (-1); `reverse` makes it send, so
what is measured is what the far end's egress delivers (an operator's policer shapes that side)."""

from __future__ import annotations

import json

from trisite.errors import DriverError

PORT = 5201  # iperf3's own
SECONDS = 1.0


def server_args(address: str) -> list[str]:
    return ["iperf3", "-s", "-1", "-B", address, "-p", str(PORT)]


def client_args(address: str, seconds: float, reverse: bool) -> list[str]:
    args = ["iperf3", "-c", address, "-p", str(PORT), "-t", f"{seconds:g}", "-J", "--connect-timeout", "2000"]
    return [*args, "-R"] if reverse else args


def mbps(report: str, device: str) -> float:
    """Mbit/s the receiving side counted, or a DriverError with iperf3's own reason."""
    try:
        data = json.loads(report or "{}")
    except json.JSONDecodeError:
        raise DriverError(f"{device}: iperf3: unreadable report", device=device) from None
    if data.get("error"):
        raise DriverError(f"{device}: iperf3: {data['error']}", device=device)
    received = (data.get("end") or {}).get("sum_received") or {}
    if "bits_per_second" not in received:
        raise DriverError(f"{device}: iperf3: no measurement in its report", device=device)
    return float(received["bits_per_second"]) / 1e6
