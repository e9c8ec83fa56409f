"""A campaign interrupted between fault and rollback: SIGINT rolls back before exiting; after `kill -9` the
next run mends what the journal says is still injected before anything else, and says so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import until
from trisite import pipelines
from trisite.lab import build, session
from trisite.model import load_design
from trisite.prove import injected

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest"
ROW = "internet line"  # -k: the loss of dc1's line, uplink:dc1-transit


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    saved = build.STATE_ROOT
    build.STATE_ROOT = tmp_path_factory.mktemp("lab")
    loaded = load_design(REFERENCE)
    try:
        session.up(loaded, LAB, str(REFERENCE))
        pipelines.deploy_job(loaded, "lab", lab=LAB)
        session.wait_ready(loaded, LAB)
        yield build.STATE_ROOT
    finally:
        build.down(LAB)
        build.STATE_ROOT = saved


def prove(state_root: Path, *args: str) -> subprocess.Popen[str]:
    """`trisite prove` on the lab, as a user runs it, in its own session (a signal reaches it alone)."""
    command = [sys.executable, "-m", "trisite", "prove", str(REFERENCE), "--target", "lab", "--name", LAB]
    env = {**os.environ, "TRISITE_LAB_STATE": str(state_root), "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [*command, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def line_is_up(state_root: Path) -> bool:
    """Every veth of dc1's line administratively up, at both ends."""
    links = json.loads((state_root / LAB / "links.json").read_text(encoding="utf-8"))
    for a_ns, a_if, b_ns, b_if in links["uplink:dc1-transit"]:
        for netns, name in ((a_ns, a_if), (b_ns, b_if)):
            shown = subprocess.run(
                ["ip", "-n", netns, "-o", "link", "show", name], capture_output=True, text=True, check=True
            )
            flags = shown.stdout.split("<", 1)[1].split(">", 1)[0].split(",")
            if "UP" not in flags:
                return False
    return True


def injected_now(state_root: Path) -> bool:
    return injected.read(state_root / LAB) is not None and not line_is_up(state_root)


def pings_left() -> int:
    shown = subprocess.run(
        ["pgrep", "-fc", "ping -D -O -n -W 1 -i 0.02 198.51.100.1"],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(shown.stdout.strip() or 0)


def test_sigint_between_fault_and_rollback_rolls_back_before_exiting(deployed: Path) -> None:
    campaign = prove(deployed, "-k", ROW)
    assert until(lambda: injected_now(deployed), within=90) is not None, "the fault was never injected"
    campaign.send_signal(signal.SIGINT)
    _, stderr = campaign.communicate(timeout=30)
    assert campaign.returncode == 130, stderr
    assert line_is_up(deployed) and injected.read(deployed / LAB) is None, stderr


def test_after_kill_9_the_next_run_mends_the_fault_first_and_says_so(deployed: Path) -> None:
    killed = prove(deployed, "-k", ROW)
    assert until(lambda: injected_now(deployed), within=90) is not None, "the fault was never injected"
    killed.kill()
    killed.communicate(timeout=10)
    assert not line_is_up(deployed) and injected.read(deployed / LAB) is not None  # left broken, journaled
    assert until(lambda: pings_left() == 0, within=5) is not None, "the killed campaign's ping probes on"
    nxt = prove(deployed, "-k", ROW, "--format", "json")
    stdout, stderr = nxt.communicate(timeout=180)
    first = next(line for line in stderr.splitlines() if line.strip())
    assert first.startswith("rolled back what a killed campaign left injected"), stderr
    assert "uplink:dc1-transit" in first and line_is_up(deployed)
    journal = json.loads(stdout)
    assert journal["recovered_before"] == ["uplink:dc1-transit"]
    (row,) = journal["results"]
    assert row["baseline"]["ok"] and row["obtained"] == "measured", row  # the steady state held: mended first
    assert nxt.returncode == 0, (row, stderr)
