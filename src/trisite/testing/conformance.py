"""The conformance kit: one suite per driver Protocol, the same for every driver (the fake, the lab's, a site's).

Use it from a test module: give a fixture named `device_subject` (`power_subject`, `bmc_subject`) that yields a
Subject for your driver, and subclass the suite under a name pytest collects:

    @pytest.fixture
    def device_subject(tmp_path):
        yield DeviceSubject(MyDriver(...), "host1", scratch="/tmp/conformance", mode_of=...)

    class TestMyDriver(DeviceDriverSuite):
        pass

The suites never ask which driver they test: what a driver cannot do it leaves out of `capabilities`, and the
tests that need it are skipped. Signatures are checked against the Protocols (inspect.signature), so a driver
that drifts from drivers/protocols.py fails here before a deployment calls it wrongly.

This module imports pytest only when a suite runs: trisite.testing stays importable without it.
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from trisite.drivers.protocols import ApiDriver, BmcDriver, DeviceDriver, PowerDriver, ToolDriver
from trisite.errors import DriverError

CAPABILITY = re.compile(r"^[a-z][a-z-]*(:[A-Za-z0-9*._-]+)?$")
# A capability promises methods: the Protocol whose methods a driver declaring it must have.
PROMISES: dict[str, type] = {"power": PowerDriver, "redfish": BmcDriver, "tool": ToolDriver, "api": ApiDriver}
UNKNOWN_SERVICE = "trisite-conformance-no-such-service"
UNKNOWN_KIND = "trisite-conformance-no-such-state"
CONTENT = "first line: ünïcödé\nsecond line\tand a tab\n"


def _skip(reason: str) -> None:
    import pytest  # noqa: PLC0415 - only when a suite runs: the kit imports without pytest

    pytest.skip(reason)


def _raises(pattern: str = "") -> Any:
    import pytest  # noqa: PLC0415

    return pytest.raises(DriverError, match=pattern or None)


def signature_problems(driver: object, protocol: type) -> list[str]:
    """How the driver's methods differ from the Protocol's: missing ones, parameters (name, kind, default)."""
    problems = []
    for name, wanted in inspect.getmembers(protocol, inspect.isfunction):
        if name.startswith("_"):
            continue
        method = getattr(driver, name, None)
        if not callable(method):
            problems.append(f"{name}: missing")
            continue
        want = list(inspect.signature(wanted).parameters.values())[1:]  # without self
        have = list(inspect.signature(method).parameters.values())
        if [_shape(p) for p in want] != [_shape(p) for p in have]:
            problems.append(f"{name}({_shown(have)}): the Protocol has ({_shown(want)})")
    return problems


def _shape(parameter: inspect.Parameter) -> tuple[str, Any, object]:
    return parameter.name, parameter.kind, parameter.default


def _shown(parameters: Sequence[inspect.Parameter]) -> str:
    """Names, defaults and the keyword-only mark: what a caller relies on (annotations are mypy's business)."""
    shown, starred = [], False
    for p in parameters:
        if p.kind is p.KEYWORD_ONLY and not starred:
            shown.append("*")
            starred = True
        prefix = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
        default = "" if p.default is p.empty else f"={p.default!r}"
        shown.append(f"{prefix}{p.name}{default}")
    return ", ".join(shown)


def capability_problems(driver: object) -> list[str]:
    """Declarations that are not a frozenset of well-formed names, or that promise methods the driver lacks."""
    declared = getattr(driver, "capabilities", None)
    if not isinstance(declared, frozenset) or not all(isinstance(c, str) for c in declared):
        return [f"capabilities must be a frozenset of names, not {type(declared).__name__}"]
    problems = [f"{c!r}: not NAME or NAME:WHAT" for c in sorted(declared) if not CAPABILITY.match(c)]
    for capability in sorted(declared):
        protocol = PROMISES.get(capability.split(":")[0])
        if protocol is not None:
            problems += [f"{capability} promises {p}" for p in signature_problems(driver, protocol)]
    return problems


def _declared(driver: object, prefix: str) -> list[str]:
    return sorted(
        c.split(":", 1)[1] for c in getattr(driver, "capabilities", ()) if c.startswith(prefix + ":")
    )


def _needs(driver: object, *capabilities: str) -> None:
    lacking = [c for c in capabilities if c not in getattr(driver, "capabilities", ())]
    if lacking:
        _skip(f"the driver does not declare {', '.join(lacking)}")


def _one_line(error: BaseException, *names: str) -> None:
    text = str(error)
    assert "\n" not in text, f"an error is one line: {text!r}"
    for name in names:
        assert name in text, f"the error names {name}: {text!r}"


# -- DeviceDriver -----------------------------------------------------------------------------------------------
@dataclass
class DeviceSubject:
    driver: DeviceDriver
    device: str  # a device the driver reaches
    scratch: str  # a directory on the device the suite may write below (made by put)
    mode_of: Callable[[str], str] | None = None  # a file's mode as octal digits ("640"); None: not checked
    unknown_device: str = "trisite-conformance-no-such-device"


class DeviceDriverSuite:
    def test_methods_have_the_protocols_signatures(self, device_subject: DeviceSubject) -> None:
        assert signature_problems(device_subject.driver, DeviceDriver) == []

    def test_capabilities_are_declared_and_kept(self, device_subject: DeviceSubject) -> None:
        assert capability_problems(device_subject.driver) == []

    def test_exec_reports_exit_status_and_output(self, device_subject: DeviceSubject) -> None:
        driver, device = device_subject.driver, device_subject.device
        _needs(driver, "exec")
        assert driver.exec(device, ["true"]).returncode == 0
        assert driver.exec(device, ["false"]).returncode != 0
        said = driver.exec(device, ["printf", "%s|%s", "two words", "it's"])
        assert (said.returncode, said.stdout) == (0, "two words|it's")  # arguments arrive as they were given

    def test_put_get_delete_round_trip(self, device_subject: DeviceSubject) -> None:
        driver, device = device_subject.driver, device_subject.device
        _needs(driver, "put")
        path = f"{device_subject.scratch}/nested/dir/conformance.conf"
        assert driver.get(device, path) is None
        driver.put(device, path, CONTENT)
        assert driver.get(device, path) == CONTENT
        driver.put(device, path, "replaced\n")  # a second put replaces the whole file
        assert driver.get(device, path) == "replaced\n"
        driver.delete(device, path)
        assert driver.get(device, path) is None
        driver.delete(device, path)  # deleting what is absent is no error

    def test_put_sets_the_mode(self, device_subject: DeviceSubject) -> None:
        driver, device, mode_of = device_subject.driver, device_subject.device, device_subject.mode_of
        _needs(driver, "put")
        if mode_of is None:
            _skip("the subject gives no way to read a file's mode")
            return
        for mode in ("0640", "0600", "0755"):
            path = f"{device_subject.scratch}/mode-{mode}"
            driver.put(device, path, "x\n", mode)
            assert mode_of(path) == mode.lstrip("0"), path
            driver.delete(device, path)

    def test_an_unknown_service_is_a_driver_error(self, device_subject: DeviceSubject) -> None:
        driver, device = device_subject.driver, device_subject.device
        if not _declared(driver, "service"):
            _skip("the driver declares no service")
        with _raises() as caught:
            driver.service(device, UNKNOWN_SERVICE, "start")
        _one_line(caught.value, device)

    def test_an_unsupported_observation_is_a_driver_error(self, device_subject: DeviceSubject) -> None:
        driver, device = device_subject.driver, device_subject.device
        with _raises() as caught:
            driver.observe(device, UNKNOWN_KIND)
        _one_line(caught.value, device, UNKNOWN_KIND)

    def test_each_declared_observation_answers_text(self, device_subject: DeviceSubject) -> None:
        driver, device = device_subject.driver, device_subject.device
        kinds = _declared(driver, "observe")
        if not kinds:
            _skip("the driver declares no observation")
        for kind in kinds:
            assert isinstance(driver.observe(device, kind), str), kind

    def test_a_device_it_does_not_know_is_a_driver_error(self, device_subject: DeviceSubject) -> None:
        driver, unknown = device_subject.driver, device_subject.unknown_device
        _needs(driver, "exec")
        with _raises() as caught:
            driver.exec(unknown, ["true"])
        _one_line(caught.value, unknown)


# -- PowerDriver ------------------------------------------------------------------------------------------------
@dataclass
class PowerSubject:
    driver: PowerDriver
    server: str
    settle: float = 15.0  # seconds a power change may take to show (real BMCs and the lab's take seconds)
    unknown_server: str = "trisite-conformance-no-such-server"


def settles(driver: PowerDriver, server: str, want: str, within: float) -> bool:
    """Whether the power state reads `want` within `within` seconds (asked every 0.3 s)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if driver.power_state(server) == want:
            return True
        time.sleep(0.3)
    return driver.power_state(server) == want


class PowerDriverSuite:
    def test_methods_have_the_protocols_signatures(self, power_subject: PowerSubject) -> None:
        assert signature_problems(power_subject.driver, PowerDriver) == []
        assert "power" in getattr(power_subject.driver, "capabilities", ())

    def test_power_off_then_on_is_reported(self, power_subject: PowerSubject) -> None:
        driver, server, settle = power_subject.driver, power_subject.server, power_subject.settle
        assert driver.power_state(server) == "On"
        driver.power(server, "off")
        assert settles(driver, server, "Off", settle)
        driver.power(server, "on")
        assert settles(driver, server, "On", settle)

    def test_a_server_without_bmc_is_a_driver_error(self, power_subject: PowerSubject) -> None:
        unknown = power_subject.unknown_server
        with _raises() as caught:
            power_subject.driver.power(unknown, "off")
        _one_line(caught.value, unknown)


# -- BmcDriver --------------------------------------------------------------------------------------------------
@dataclass
class BmcSubject:
    driver: BmcDriver
    server: str
    operations: Sequence[dict[str, object]] = field(default_factory=list)  # what this BMC can be asked
    unknown_server: str = "trisite-conformance-no-such-server"


class BmcDriverSuite:
    def test_methods_have_the_protocols_signatures(self, bmc_subject: BmcSubject) -> None:
        assert signature_problems(bmc_subject.driver, BmcDriver) == []
        assert "redfish" in getattr(bmc_subject.driver, "capabilities", ())

    def test_applied_operations_read_back_the_same_when_applied_again(self, bmc_subject: BmcSubject) -> None:
        driver, server = bmc_subject.driver, bmc_subject.server
        driver.apply_redfish(server, list(bmc_subject.operations))
        first = driver.read_redfish(server)
        assert isinstance(first, dict) and first
        driver.apply_redfish(server, list(bmc_subject.operations))
        assert driver.read_redfish(server) == first

    def test_a_server_without_bmc_is_a_driver_error(self, bmc_subject: BmcSubject) -> None:
        unknown = bmc_subject.unknown_server
        with _raises() as caught:
            bmc_subject.driver.apply_redfish(unknown, list(bmc_subject.operations))
        _one_line(caught.value, unknown)
