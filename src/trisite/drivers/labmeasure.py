"""What the lab's driver measures by running tools inside its namespaces: nmap's flow scans and traces, iperf3
between two devices. Kept apart from drivers/lab.py, which drives the daemons."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence

from trisite.drivers.host import LocalHost
from trisite.drivers.netns import NETNS_DIR, namespace
from trisite.drivers.scan import parse_scan, parse_trace, scan_args, trace_args
from trisite.drivers.throughput import SECONDS, client_args, mbps, server_args
from trisite.errors import DriverError
from trisite.model.links import OPERATOR

IP = "ip"
# The lab's links are veths through bridges on two shared cores: one TCP stream carries a few Gbit/s, not the
# 10 Gbit/s the optics they stand for would. What a lab link is held to (a 1 Gbit/s shaped line stays below it).
LAB_LINK_MBPS = 2000
STARTING = 5.0  # seconds an iperf3 server may take to listen


def netns_of(device: str) -> str:
    """A device's namespace; an operator's end of a line (model/links.py) is its router's."""
    if device.startswith(OPERATOR):
        return namespace(f"op-{device.removeprefix(OPERATOR)}")
    return namespace(device)


def _run(host: LocalHost, device: str, args: Sequence[str], timeout: float) -> str:
    netns = netns_of(device)
    if not (NETNS_DIR / netns).exists():
        raise DriverError(f"{device}: the lab has no such device (is the lab up?)", device=device)
    done = host.in_netns(netns, args, check=False, timeout=timeout)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()
        raise DriverError(f"{device}: {args[0]}: {last[-1] if last else 'failed'}", device=device)
    return done.stdout


def scan(
    host: LocalHost,
    device: str,
    targets: Sequence[str],
    ports: tuple[Sequence[int], Sequence[int]],
    *,
    timeout: float,
) -> dict[str, dict[str, str]]:
    """nmap from a device; `ports`: TCP's and UDP's."""
    tcp, udp = ports
    return parse_scan(_run(host, device, scan_args(targets, tcp, udp, timeout), timeout + 30))


def trace(host: LocalHost, device: str, target: str, probe: tuple[str, int], *, timeout: float) -> list[str]:
    protocol, port = probe
    return parse_trace(_run(host, device, trace_args(target, protocol, port, timeout), timeout + 30))


def throughput(host: LocalHost, device: str, peer: str, address: str, reverse: bool) -> float:
    """iperf3 from `device` to a server started on `peer` for one client (killed by its PID however it ends)."""
    server = subprocess.Popen(  # noqa: S603 - our own argument list
        [IP, "netns", "exec", netns_of(peer), *server_args(address)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTING
        while True:
            done = host.in_netns(
                netns_of(device), client_args(address, SECONDS, reverse), check=False, timeout=SECONDS + 20
            )
            try:
                return mbps(done.stdout, device)
            except DriverError as exc:
                if "refused" not in str(exc) or time.monotonic() > deadline or server.poll() is not None:
                    raise
            time.sleep(0.1)  # the server is not listening yet
    finally:
        server.kill()
        server.wait()
