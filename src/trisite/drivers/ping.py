"""ICMP probes from inside a namespace: ping at a fixed interval, every sequence number answered or not."""

from __future__ import annotations

import ctypes
import re
import shutil
import signal
import subprocess
import tempfile

from trisite.drivers.protocols import ProbeResult
from trisite.errors import DriverError

IP = shutil.which("ip") or "/usr/sbin/ip"
ANSWER = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+).* time=(\d+(?:\.\d+)?) ms")
# An answer this late was queued (waiting for ARP, or in a dead path's buffers) while the path was down: the
# probe failed at the moment it was sent, whatever arrived later.
LATE_S = 0.25
MISSED = re.compile(r"^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """In the child before exec: when the campaign dies (`kill -9`), its ping dies too instead of probing on
    forever (the signal survives `ip netns exec`'s exec of ping)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class PingProbe:
    """`ping -D -O`: each line is timestamped, and a probe without answer is reported as such."""

    def __init__(self, netns: str, target: str, interval: float) -> None:
        self.interval = interval
        self.origin: float | None = None
        # A file, not a pipe: minutes of probes would fill a pipe and stall ping until it is read.
        self.output = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own arguments
            [IP, "netns", "exec", netns, "ping", "-D", "-O", "-n", "-W", "1", "-i", f"{interval:g}", target],
            stdout=self.output,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - one prctl, no lock taken, before exec
        )

    def stop(self) -> list[ProbeResult]:
        self.process.send_signal(signal.SIGINT)  # ping flushes its output on SIGINT, not on SIGTERM
        self.process.wait(timeout=10)
        self.output.seek(0)
        out = self.output.read()
        self.output.close()
        results, self.origin = parse_with_origin(out, self.interval)
        if not results and out.strip():
            raise DriverError(f"ping: {out.strip().splitlines()[-1]}")
        return results


def parse(output: str, interval: float) -> list[ProbeResult]:
    """Sequence numbers with the time each probe left, relative to the first; unanswered ones are failures."""
    return parse_with_origin(output, interval)[0]


def parse_with_origin(output: str, interval: float) -> tuple[list[ProbeResult], float | None]:
    """The probes, and the wall-clock time the first one left (their origin; None without any)."""
    answered: dict[int, float] = {}  # seq -> when it was sent
    missed: dict[int, float] = {}
    for line in output.splitlines():
        if m := ANSWER.match(line):
            rtt = float(m.group(3)) / 1000
            (answered if rtt <= LATE_S else missed)[int(m.group(2))] = float(m.group(1)) - rtt
        elif m := MISSED.match(line):
            missed.setdefault(int(m.group(2)), float(m.group(1)) - interval)  # stamped one interval after
    seqs = sorted(answered.keys() | missed.keys())
    if not seqs:
        return [], None
    sent = missed | answered
    start = min(sent.values())
    found: list[ProbeResult] = []
    for s in range(seqs[0], seqs[-1] + 1):
        at = sent.get(s, (found[-1].sent + start + interval) if found else start) - start
        found.append(ProbeResult(s, round(at, 4), s in answered))
    return found, start
