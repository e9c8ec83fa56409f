"""The handle of a Ceph client probe (drivers/rados_probe.py, run by Debian's Python in a lab namespace): started
once the client is connected and writing, stopped with SIGINT, its attempts read back as probe results."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import time
from pathlib import Path

from trisite.drivers.ping import IP, die_with_parent
from trisite.drivers.protocols import ProbeResult
from trisite.errors import DriverError

SCRIPT = Path(__file__).with_name("rados_probe.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # python3-rados is Debian's: the venv's Python does not see it
# A write acknowledged later than this waited on the cluster (peering, an OSD not yet marked down): on the lab's
# two loaded cores a healthy write takes milliseconds, and a stall seconds.
TIMEOUT_S = 0.5
STOP_WITHIN_S = 30.0  # its loop ends at once; only a write blocked in librados could hold it (rados_probe.py)
READY_WITHIN_S = 60.0  # connecting, and mapping an object to each PG (one MON command per candidate name)


class RadosProbe:
    def __init__(self, netns: str, conf: Path, pool: str, interval: float) -> None:
        self.origin: float | None = None
        self.process = subprocess.Popen(  # noqa: S603 - our own arguments
            [
                IP,
                "netns",
                "exec",
                netns,
                SYSTEM_PYTHON,
                str(SCRIPT),
                str(conf),
                pool,
                f"{interval:g}",
                f"{TIMEOUT_S:g}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - one prctl, no lock taken, before exec
        )
        self._await_ready(netns, pool)

    def _await_ready(self, netns: str, pool: str) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + READY_WITHIN_S
        while time.monotonic() < deadline and self.process.poll() is None:
            if select.select([self.process.stdout], [], [], 0.2)[0]:
                if self.process.stdout.readline().strip() == "ready":
                    return
                break
        self.process.kill()
        _, said = self.process.communicate(timeout=10)
        last = (said or "").strip().splitlines()[-1:] or [f"not ready within {READY_WITHIN_S:g} s"]
        raise DriverError(f"{netns}: Ceph client probe of pool {pool}: {last[0]}")

    def stop(self) -> list[ProbeResult]:
        self.process.send_signal(signal.SIGINT)
        try:
            out, said = self.process.communicate(timeout=TIMEOUT_S + STOP_WITHIN_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate(timeout=10)
            raise DriverError(f"Ceph client probe: did not stop within {STOP_WITHIN_S:g} s") from None
        lines = out.strip().splitlines()
        if self.process.returncode != 0 or not lines:
            last = (said or "").strip().splitlines()[-1:] or [f"exit {self.process.returncode}"]
            raise DriverError(f"Ceph client probe: {last[0]}")
        return self.read(lines[-1])

    def read(self, line: str) -> list[ProbeResult]:
        """The attempts of the probe's last line; an attempt is answered when acknowledged within TIMEOUT_S."""
        found = json.loads(line)
        self.origin = float(found["origin"])
        return [
            ProbeResult(seq, float(sent), latency is not None and float(latency) <= TIMEOUT_S)
            for seq, (sent, latency) in enumerate(found["attempts"])
        ]
