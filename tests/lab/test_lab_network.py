"""The lab's network skeleton: what suppliers deliver, reachable as cabled, and gone without a trace."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import until
from trisite import pipelines
from trisite.drivers.host import LocalHost
from trisite.drivers.netns import PREFIX
from trisite.errors import DriverError, LabError
from trisite.lab import build, lldp, session
from trisite.lab.plan import plan
from trisite.model import LoadedDesign, load_design

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"


def ours() -> set[str]:
    return {n for n in build.existing_namespaces(LocalHost()) if n.startswith(PREFIX)}


def ping(netns: str, target: str, within: float) -> float | None:
    """Seconds until `target` answers from `netns` (None if it never does)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        done = subprocess.run(
            ["ip", "netns", "exec", netns, "ping", "-c1", "-W1", target], check=False, capture_output=True
        )
        if done.returncode == 0:
            return time.monotonic() - started
    return None


@pytest.fixture
def lab(lab_root: Path) -> Iterator[build.LabState]:
    assert lab_root.name == "state"  # the lab's state stays in this test's directory
    assert not ours(), "another lab is running: `trisite lab down` first"
    state = build.up(plan(load_design(REFERENCE).design), "pytest", str(REFERENCE))
    yield state
    build.down("pytest")


@pytest.mark.usefixtures("lab")
def test_every_device_has_its_namespace_and_cables() -> None:
    design = load_design(REFERENCE).design
    assert {f"{PREFIX}{s.name}" for s in design.servers} <= ours()
    listed = LocalHost().in_netns(f"{PREFIX}dc1-fw1", ["ip", "-br", "link"]).stdout
    assert "ix0@" in listed and "ix1.912@" in listed
    assert "198.18.1.2/24" in LocalHost().in_netns(f"{PREFIX}dc1-fw1", ["ip", "-br", "address"]).stdout


@pytest.mark.usefixtures("lab")
def test_networks_reach_across_the_man_and_the_handoff() -> None:
    # ceph-public is stretched: dc1-ceph1 reaches dc3-ceph1 through two switches and a MAN link (after STP).
    assert ping(f"{PREFIX}dc1-ceph1", "198.18.20.31", within=20) is not None
    assert ping(f"{PREFIX}dc2-fw2", "203.0.113.9", within=10) is not None  # the operator's router, via swp48


@pytest.mark.usefixtures("lab")
def test_up_twice_is_refused() -> None:
    with pytest.raises(LabError, match="already up"):
        build.up(plan(load_design(REFERENCE).design), "pytest", str(REFERENCE))


def test_down_leaves_nothing(lab_root: Path) -> None:
    build.up(plan(load_design(REFERENCE).design), "pytest", str(REFERENCE))
    assert ours()
    build.down("pytest")
    assert not ours()
    assert not (lab_root / "pytest").exists()


def test_down_cleans_up_after_kill_9_half_way(lab_root: Path) -> None:
    """`up` is killed right after the namespaces exist, before any cable: `down` still removes everything."""
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from trisite.drivers.host import LocalHost
        from trisite.lab import build, session
        from trisite.lab.plan import plan
        from trisite.model import LoadedDesign, load_design
        build.STATE_ROOT = Path({str(lab_root)!r})
        original = LocalHost.ip_batch
        def dying(self, lines, netns=None, *, force=False):
            original(self, lines, netns, force=force)
            if lines and lines[0].startswith("netns add"):
                os.kill(os.getpid(), signal.SIGKILL)
        LocalHost.ip_batch = dying
        build.up(plan(load_design({str(REFERENCE)!r}).design), "pytest", "x")
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, env=os.environ.copy()
    )
    assert done.returncode == -9, done.stderr
    assert ours(), "the killed `up` had created namespaces"
    assert build.status("pytest")["up"] is True
    build.down("pytest")
    assert not ours()


def test_down_after_deploy_leaves_no_process_namespace_or_file(lab_root: Path) -> None:
    loaded = load_design(REFERENCE)
    session.up(loaded, "pytest-down", str(REFERENCE))
    pipelines.deploy_job(loaded, "lab", lab="pytest-down")
    build.down("pytest-down")
    assert not {n for n in build.existing_namespaces(LocalHost()) if n.startswith(PREFIX)}
    assert not list(Path("/etc/frr").glob(f"{PREFIX}*")) and not list(Path("/run/frr").glob(f"{PREFIX}*"))
    assert not (Path("/run/frr") / "ospfd-gr.json").exists()
    assert not any(lab_root.iterdir())

    def alive() -> list[str]:
        ps = subprocess.run(["ps", "-eo", "stat=,args="], check=True, capture_output=True, text=True).stdout
        return [
            line
            for line in ps.splitlines()
            if (not line.startswith("Z") and f" -N {PREFIX}" in line)
            or ("ucarp --interface" in line and not line.startswith("Z"))
            or ("trisite.lab.bmc" in line and not line.startswith("Z"))
        ]

    assert until(lambda: not alive(), within=5) is not None, alive()


def test_lldp_neighbours_match_the_design_cables(lab_root: Path) -> None:
    assert lab_root.name == "state"
    loaded = load_design(REFERENCE)
    session.up(loaded, "pytest-lldp", str(REFERENCE))
    try:
        lab = session.lab_dir("pytest-lldp")
        cables = [(c.a.split(":"), c.b.split(":")) for c in loaded.design.cables]

        def all_seen() -> bool:
            seen = {d: lldp.neighbours(lab, d) for d in {a[0] for a, _ in cables} | {b[0] for _, b in cables}}
            return all(
                seen[a[0]].get(a[1]) == (b[0], b[1]) and seen[b[0]].get(b[1]) == (a[0], a[1])
                for a, b in cables
            )

        assert until(all_seen, within=15) is not None
    finally:
        build.down("pytest-lldp")


def test_defects_are_delivered_and_visible(lab_root: Path) -> None:
    assert lab_root.name == "state"
    loaded = load_design(REFERENCE)
    with pytest.raises(LabError, match="unknown defect 'bent-rack'"):
        session.up(loaded, "pytest-defects", str(REFERENCE), ["bent-rack"])
    assert not ours()  # a refused defect builds nothing
    delivered = ["swapped-man-cables", "slow-line", "switch-at-wrong-site", "bmc-hangs", "no-jbod"]
    session.up(loaded, "pytest-defects", str(REFERENCE), delivered)
    try:
        lab = session.lab_dir("pytest-defects")
        ordered = {(m.a, m.b) for m in loaded.design.man_links}
        assert build.status("pytest-defects")["defects"] == delivered

        def seen_man() -> set[tuple[str, str]]:
            found = set()
            for man in loaded.design.man_links:
                device, port = man.a.split(":")
                far = lldp.neighbours(lab, device).get(port)
                if far:
                    found.add((man.a, ":".join(far)))
            return found

        assert until(lambda: len(seen_man()) == len(ordered), within=15) is not None
        assert len(seen_man() - ordered) == 2  # two fibres land on the wrong far end; the third is right
        line = loaded.design.uplinks[0].name
        shaped = LocalHost().in_netns(f"{PREFIX}op-{line}", ["tc", "qdisc", "show", "dev", "customer"])
        assert "tbf" in shaped.stdout and "rate 1Gbit" in shaped.stdout
        switches = {s.name: s.site for s in loaded.design.switches}
        firewall = next(f for f in loaded.design.firewalls if f.kind == "physical")
        announced = {name for name, _ in lldp.neighbours(lab, firewall.name).values()}
        assert announced and all(name in switches for name in announced)
        assert any(switches[name] != firewall.site for name in announced)  # a switch of another site, here
        assert_bmc_defects_visible(loaded, "pytest-defects")
    finally:
        build.down("pytest-defects")


def assert_bmc_defects_visible(loaded: LoadedDesign, name: str) -> None:
    """The hung BMC does not answer while the others do; the RAID-only controller offers no pass-through."""
    driver = session.driver_for(name, loaded)
    hung, other = loaded.design.servers[-1].name, loaded.design.servers[0].name
    with pytest.raises(DriverError, match=rf"BMC .* of {hung}: reading the power state: no answer within"):
        driver.power_state(hung)
    assert driver.power_state(other) == "On"
    jbod_wanted = [s.name for s in loaded.design.servers if any(d.use == "osd" for d in s.disks)]
    raid_types = {server: driver.raid_types(server) for server in jbod_wanted[:2]}
    assert all("None" not in types for types in raid_types[jbod_wanted[0]].values()), raid_types
    assert all("None" in types for types in raid_types[jbod_wanted[1]].values()), raid_types
