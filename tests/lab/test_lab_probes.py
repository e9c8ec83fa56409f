"""TCP and UDP probes from inside a namespace: a host that answers at layer 4 counts, silence does not."""

from __future__ import annotations

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
def pair(lab_root: Path) -> Iterator[LabDriver]:
    """Two namespaces on one cable: ts-probe-a (198.18.254.1) and ts-probe-b (198.18.254.2)."""
    lab = LabPlan(
        namespaces={"ts-probe-a": "a", "ts-probe-b": "b"},
        links=[Link("ts-probe-a", "eth0", "ts-probe-b", "eth0", "cable:a|b")],
        addresses=[
            Address("ts-probe-a", "eth0", "198.18.254.1/30"),
            Address("ts-probe-b", "eth0", "198.18.254.2/30"),
        ],
    )
    build.up(lab, "probes", "-")
    yield LabDriver(lab_root / "probes")
    build.down("probes")


@pytest.mark.parametrize("kind", ["tcp:53", "udp:53", "icmp"])
def test_a_probe_sees_the_cut_and_the_mend(pair: LabDriver, kind: str) -> None:
    probe = pair.probe("probe-a", "198.18.254.2", 0.02, kind)
    time.sleep(0.5)
    pair.host.ip_batch(["link set eth0 down"], "ts-probe-b")
    time.sleep(0.5)
    pair.host.ip_batch(["link set eth0 up"], "ts-probe-b")
    time.sleep(1.8)  # ARP forgets the failed neighbour within about a second
    history = probe.stop()
    # ping slows down while unanswered (iputils), so only the socket probes keep their pace through the cut
    assert len(history) > (60 if kind != "icmp" else 20)
    early = [p.ok for p in history if p.sent < 0.4]
    cut = [p.ok for p in history if 0.6 < p.sent < 0.9]
    late = [p.ok for p in history if p.sent > 2.4]
    assert all(early) and not any(cut) and all(late), (kind, early, cut, late)


def test_an_unknown_probe_kind_is_refused(pair: LabDriver) -> None:
    with pytest.raises(DriverError, match="icmp, tcp:PORT or udp:PORT"):
        pair.probe("probe-a", "198.18.254.2", 0.02, "sctp:5")
