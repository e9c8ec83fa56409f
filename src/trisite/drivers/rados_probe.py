"""A Ceph client's I/O as a probe: every INTERVAL seconds one write to each placement group of a pool (one object
per PG, as a VM's volume spreads its I/O over all of them), answered when every write is acknowledged within
TIMEOUT seconds. A Ceph stall blocks writes rather than failing them: a write that waits longer is a lost probe.

Run with Debian's /usr/bin/python3 (python3-rados; the standard library besides) inside a lab namespace:
`rados_probe.py CONF POOL INTERVAL TIMEOUT`. It prints `ready` once connected and writing, then, after SIGINT,
one JSON object: {"origin": wall-clock seconds of the first attempt, "attempts": [[sent, latency], ...]} with
`sent` seconds after the origin and `latency` None for a write not acknowledged (or refused) in time.
"""

import json
import os
import signal
import sys
import threading
import time
from typing import Any

import rados  # type: ignore[import-not-found]  # Debian's python3-rados, no stubs

MAX_OBJECTS = 32  # PGs covered at most: a big pool is sampled, the load stays a client's
# Writes in flight at most. librados blocks a new write once its objecter holds `objecter_inflight_ops` (1024):
# a stall of a few seconds at 16 writes every 0.1 s reaches it, and a blocked call would hold the probe's loop
# (and its SIGINT) until the cluster recovers. Past this, an attempt is recorded as lost without being sent.
MAX_IN_FLIGHT = 512
PAYLOAD = b"trisite probe\n" * 4


def mon(cluster: Any, **command: object) -> dict[str, Any]:
    code, out, said = cluster.mon_command(json.dumps({**command, "format": "json"}), b"")
    if code != 0:
        raise SystemExit(f"ceph {command['prefix']}: {said or code}")
    answer: dict[str, Any] = json.loads(out)
    return answer


def one_object_per_pg(cluster: Any, pool: str) -> list[str]:
    """Object names that map to distinct PGs of POOL, as many as it has (at most MAX_OBJECTS)."""
    pg_num = int(mon(cluster, prefix="osd pool get", pool=pool, var="pg_num")["pg_num"])
    wanted, found = min(pg_num, MAX_OBJECTS), dict[str, str]()
    for i in range(wanted * 64):
        name = f"trisite-probe-{i}"
        found.setdefault(mon(cluster, prefix="osd map", pool=pool, object=name)["pgid"], name)
        if len(found) == wanted:
            break
    return sorted(found.values())


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Attempts:
    """Each attempt's send time and, once every one of its writes is acknowledged, its latency."""

    def __init__(self, objects: int) -> None:
        self.objects = objects
        self.sent: list[float] = []
        self.latency: list[float | None] = []
        self.pending: list[int] = []
        self.failed: set[int] = set()
        self.lock = threading.Lock()

    def start(self, sent: float) -> int:
        with self.lock:
            self.sent.append(sent)
            self.latency.append(None)
            self.pending.append(self.objects)
            return len(self.sent) - 1

    def skipped(self, sent: float) -> None:
        """An attempt not sent (too many writes in flight): lost, as the stall that caused it."""
        with self.lock:
            self.sent.append(sent)
            self.latency.append(None)
            self.pending.append(0)

    def in_flight(self) -> int:
        with self.lock:
            return sum(self.pending)

    def acknowledged(self, seq: int, ok: bool, now: float) -> None:
        with self.lock:
            if not ok:
                self.failed.add(seq)
            self.pending[seq] -= 1
            if self.pending[seq] == 0 and seq not in self.failed:
                self.latency[seq] = round(now - self.sent[seq], 4)

    def outstanding(self) -> int:
        with self.lock:
            return sum(1 for p in self.pending if p > 0)


def main(conf: str, pool: str, interval: float, timeout: float) -> None:
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    # Writes wait for the cluster instead of failing (as a VM's do): a stall is seen as latency.
    cluster = rados.Rados(conffile=conf, conf={"rados_osd_op_timeout": "0"})
    cluster.connect(timeout=30)
    ioctx = cluster.open_ioctx(pool)
    names = one_object_per_pg(cluster, pool)
    attempts = Attempts(len(names))
    say("ready")
    began, origin, seq = time.monotonic(), time.time(), 0
    while not stopping.is_set():
        sent = round(time.monotonic() - began, 4)
        if attempts.in_flight() + len(names) > MAX_IN_FLIGHT:
            attempts.skipped(sent)
            seq += 1
            stopping.wait(max(0.0, began + seq * interval - time.monotonic()))
            continue
        index = attempts.start(sent)
        for name in names:

            def done(completion: Any, index: int = index) -> None:
                attempts.acknowledged(index, completion.get_return_value() >= 0, time.monotonic() - began)

            ioctx.aio_write_full(name, PAYLOAD, oncomplete=done)
        seq += 1
        stopping.wait(max(0.0, began + seq * interval - time.monotonic()))
    deadline = time.monotonic() + timeout  # the last attempts get their time to be acknowledged
    while attempts.outstanding() and time.monotonic() < deadline:
        time.sleep(0.01)
    with attempts.lock:
        found = [[s, lat] for s, lat in zip(attempts.sent, attempts.latency, strict=True)]
    say(json.dumps({"origin": origin, "objects": len(names), "attempts": found}))
    # Writes still blocked on a stalled cluster would hold a clean shutdown: the process leaves without it.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
