"""Polling helpers for lab tests: the lab converges (STP, BGP, CARP) in seconds, not instantly."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable

from trisite.drivers.netns import namespace


def until(check: Callable[[], bool], within: float) -> float | None:
    """Seconds until `check()` holds, or None if it never did within `within` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def established(firewall: str) -> bool:
    done = subprocess.run(
        ["vtysh", "-N", namespace(firewall), "-c", "show bgp summary json"],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not done.stdout.strip():
        return False
    peers = json.loads(done.stdout).get("ipv4Unicast", {}).get("peers", {})
    return bool(peers) and all(p.get("state") == "Established" for p in peers.values())


def answers(netns: str, target: str) -> bool:
    return (
        subprocess.run(
            ["ip", "netns", "exec", netns, "ping", "-c1", "-W1", target], check=False, capture_output=True
        ).returncode
        == 0
    )
