"""TCP, UDP and HTTP probes from inside a namespace: one attempt per interval, each answered or not.

A TCP or UDP attempt is answered when the target's host answers at layer 4: TCP by SYN-ACK or reset, UDP by a
reply or an ICMP port-unreachable. What is measured is the path (routes, filters, virtual addresses) to a port,
without a service to install at the target; a drop by a filter, a dead path or a silent host is a failure. The
lab sets `net.ipv4.icmp_ratelimit=0` in its namespaces, else unreachables would be limited to one per second.

An HTTP attempt measures a service instead: a GET of / answered 200 (an API behind its virtual address and its
load balancer, as a user sees it); a reset, an error status or no answer within HTTP_TIMEOUT is a failure.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from typing import Literal

from trisite.drivers.netns import enter
from trisite.drivers.protocols import ProbeResult

Transport = Literal["tcp", "udp", "http"]
# An HTTP answer crosses a load balancer and an API process: on the lab's two shared cores it can take longer
# than the probes' interval without anything being down.
HTTP_TIMEOUT = 0.5


def _tcp(target: str, port: int, timeout: float) -> bool:
    try:
        socket.create_connection((target, port), timeout=timeout).close()
    except ConnectionRefusedError:
        return True  # a reset: the host is there
    except OSError:
        return False
    return True


def _udp(target: str, port: int, timeout: float, seq: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in target else socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((target, port))
            sock.send(f"trisite probe {seq}".encode())
            sock.recv(512)
        except ConnectionRefusedError:
            return True  # ICMP port unreachable: the host is there
        except OSError:
            return False
    return True


def _http(target: str, port: int) -> bool:
    host = f"[{target}]" if ":" in target else target
    try:
        # urllib honours proxy variables; the lab's probes go straight to the address
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://{host}:{port}/", timeout=HTTP_TIMEOUT) as answer:
            answer.read()
            return bool(answer.status == 200)
    except (OSError, ValueError):  # URLError and HTTPError are OSErrors
        return False


class SocketProbe:
    def __init__(self, netns: str, target: str, port: int, transport: Transport, interval: float) -> None:
        self.netns, self.target, self.port = netns, target, port
        self.transport, self.interval = transport, interval
        self.results: list[ProbeResult] = []
        self.origin: float | None = None
        self.failure: BaseException | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"probe-{netns}", daemon=True)
        self._thread.start()

    def _attempt(self, seq: int) -> bool:
        if self.transport == "tcp":
            return _tcp(self.target, self.port, self.interval)
        if self.transport == "http":
            return _http(self.target, self.port)
        return _udp(self.target, self.port, self.interval, seq)

    def _run(self) -> None:
        try:
            enter(self.netns)
        except BaseException as exc:  # reported by stop()
            self.failure = exc
            return
        started, seq = time.monotonic(), 0
        self.origin = time.time()
        while not self._stopping.is_set():
            sent = time.monotonic() - started
            self.results.append(ProbeResult(seq, round(sent, 4), self._attempt(seq)))
            seq += 1
            time.sleep(max(0.0, started + seq * self.interval - time.monotonic()))

    def stop(self) -> list[ProbeResult]:
        self._stopping.set()
        self._thread.join(timeout=10)
        if self.failure is not None:
            raise self.failure
        return list(self.results)
