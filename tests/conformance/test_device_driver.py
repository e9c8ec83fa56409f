"""The DeviceDriver suite of the conformance kit (trisite.testing.conformance) for every device driver: the fake
one always; the lab's (a namespace) and the SSH driver's (a real sshd in a namespace) as root, marker `lab`.

What a driver is known to do differently from the Protocol is an expected failure here (strict: it turns into
a failure the day the driver is fixed), named with the reason, never a branch in the suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.conftest import needs_root
from tests.lab.sshd_lab import sshd_lab
from trisite.drivers.fake import FakeDriver
from trisite.drivers.lab import LabDriver
from trisite.drivers.ssh import SshDriver
from trisite.lab import build
from trisite.lab.plan import LabPlan
from trisite.testing.conformance import DeviceDriverSuite, DeviceSubject

DEVICE = "conformance"
# Known gaps, owned by the drivers' authors: none today. A gap goes here with its reason (an expected failure,
# strict: it turns into a failure the day the driver is fixed), never as a branch in the suite.
GAPS: dict[str, dict[str, str]] = {}


def _fake(tmp_path: Path) -> Iterator[DeviceSubject]:
    del tmp_path
    fake = FakeDriver(devices=frozenset({DEVICE}))
    yield DeviceSubject(
        fake, DEVICE, "/srv/conformance", mode_of=lambda path: fake.files[(DEVICE, path)][1].lstrip("0")
    )


def _lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeviceSubject]:
    needs_root()
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path / "state")
    build.up(LabPlan(namespaces={f"ts-{DEVICE}": DEVICE}), "conformance", "-")
    lab = LabDriver(tmp_path / "state" / "conformance")

    def mode_of(path: str) -> str:
        return oct((lab.root(DEVICE) / path.lstrip("/")).stat().st_mode & 0o7777)[2:]

    try:
        yield DeviceSubject(lab, DEVICE, "/srv/conformance", mode_of=mode_of)
    finally:
        build.down("conformance")


def _ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeviceSubject]:
    needs_root()
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path / "state")
    keys = tmp_path / "keys"
    keys.mkdir()
    with sshd_lab("conf-ssh", keys) as host, SshDriver({host.device: host.access}, netns=host.station) as ssh:

        def mode_of(path: str) -> str:
            return ssh.exec(host.device, ["stat", "-c", "%a", path]).stdout.strip()

        yield DeviceSubject(ssh, host.device, str(tmp_path / "scratch"), mode_of=mode_of)


@pytest.fixture(
    params=["fake", pytest.param("lab", marks=pytest.mark.lab), pytest.param("ssh", marks=pytest.mark.lab)]
)
def device_subject(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DeviceSubject]:
    gap = GAPS.get(request.param, {}).get(request.function.__name__)
    if gap:
        request.applymarker(
            pytest.mark.xfail(reason=gap, strict=True, raises=(AssertionError, pytest.fail.Exception))
        )
    if request.param == "fake":
        yield from _fake(tmp_path)
    elif request.param == "lab":
        yield from _lab(tmp_path, monkeypatch)
    else:
        yield from _ssh(tmp_path, monkeypatch)


class TestDeviceDrivers(DeviceDriverSuite):
    """Every test of the kit, for each driver above."""


@pytest.mark.lab
def test_the_lab_starts_the_filter_it_was_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the kit: a service the lab declares really starts (nftables in the device's namespace)."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    for subject in _lab(tmp_path, monkeypatch):
        ruleset = "flush ruleset\ntable inet t {\n  chain c {\n    type filter hook input priority 0; policy accept;\n  }\n}\n"
        subject.driver.put(DEVICE, "/etc/nftables.conf", ruleset, "0640")
        subject.driver.service(DEVICE, "nftables", "start")
        assert "table inet t" in subject.driver.observe(DEVICE, "nftables")
