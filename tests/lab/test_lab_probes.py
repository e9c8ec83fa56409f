"""TCP and UDP probes from inside a namespace: a host that answers at layer 4 counts, silence does not."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trisite.drivers.lab import LabDriver
from trisite.errors import DriverError
from trisite.lab import build
from trisite.lab.plan import Address, LabPlan, Link

pytestmark = pytest.mark.lab


@pytest.fixture
def chain(lab_root: Path) -> Iterator[LabDriver]:
    """ts-probe-a (198.18.254.1) -- ts-probe-b (a router) -- ts-probe-c (198.18.254.6): the fault is cut beyond
    the router, so that the prober's own link stays up, as in the campaign."""
    lab = LabPlan(
        namespaces={"ts-probe-a": "a", "ts-probe-b": "b", "ts-probe-c": "c"},
        links=[
            Link("ts-probe-a", "eth0", "ts-probe-b", "eth0", "cable:a|b"),
            Link("ts-probe-b", "eth1", "ts-probe-c", "eth0", "cable:b|c"),
        ],
        addresses=[
            Address("ts-probe-a", "eth0", "198.18.254.1/30"),
            Address("ts-probe-b", "eth0", "198.18.254.2/30"),
            Address("ts-probe-b", "eth1", "198.18.254.5/30"),
            Address("ts-probe-c", "eth0", "198.18.254.6/30"),
        ],
        routes=[("ts-probe-a", "default", "198.18.254.2"), ("ts-probe-c", "default", "198.18.254.5")],
    )
    build.up(lab, "probes", "-")
    yield LabDriver(lab_root / "probes")
    build.down("probes")


@pytest.mark.parametrize("kind", ["tcp:53", "udp:53", "icmp"])
def test_a_probe_sees_the_cut_and_the_mend(chain: LabDriver, kind: str) -> None:
    probe = chain.probe("probe-a", "198.18.254.6", 0.02, kind)
    time.sleep(0.5)
    chain.host.ip_batch(["link set eth1 down"], "ts-probe-b")  # the router's side: c keeps its routes
    time.sleep(0.5)
    chain.host.ip_batch(["link set eth1 up"], "ts-probe-b")
    time.sleep(1.8)  # ARP forgets the failed neighbour within about a second
    history = probe.stop()
    assert len(history) > 60
    # Answered, then lost for a while, then answered again to the end: whatever the probe's start-up delay.
    pattern = "".join("o" if p.ok else "x" for p in history)
    assert re.fullmatch(r"o+x{3,}o{10,}", pattern.lstrip("x")), (kind, pattern)


def test_an_unknown_probe_kind_is_refused(chain: LabDriver) -> None:
    with pytest.raises(DriverError, match="icmp, tcp:PORT, udp:PORT, http:PORT or rados"):
        chain.probe("probe-a", "198.18.254.6", 0.02, "sctp:5")
