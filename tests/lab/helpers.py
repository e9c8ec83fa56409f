"""Polling helpers for lab tests: the lab converges (STP, BGP, CARP) in seconds, not instantly."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import EXAMPLES
from trisite import pipelines
from trisite.drivers.lab import LabDriver
from trisite.drivers.netns import namespace
from trisite.lab import build, session
from trisite.model import load_design

REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
# How long a test gives the services to read healthy again after its fault: what it proves is that they recover,
# and a reading of the whole lab takes seconds on two loaded cores (a CI machine busier than this one took 30 s
# for an etcd member's restart).
RECOVERY_S = 60.0


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


@contextmanager
def deployed_lab(
    tmp_path_factory: pytest.TempPathFactory, name: str, layers: Collection[str]
) -> Iterator[LabDriver]:
    """The reference lab brought up with these service layers and deployed (its state under a temporary
    directory), its driver while it lasts, and down afterwards whatever happened."""
    saved = build.STATE_ROOT
    build.STATE_ROOT = tmp_path_factory.mktemp("lab")
    loaded = load_design(REFERENCE)
    try:
        session.up(loaded, name, str(REFERENCE), layers=sorted(layers))
        pipelines.deploy_job(loaded, "lab", lab=name)
        yield session.driver_for(name)
    finally:
        build.down(name)
        build.STATE_ROOT = saved
