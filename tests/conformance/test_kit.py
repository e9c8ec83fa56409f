"""The conformance kit itself: it sees a driver drift from the Protocols, and it imports without pytest."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from trisite.drivers.protocols import CommandResult, DeviceDriver, PowerDriver
from trisite.testing.conformance import capability_problems, signature_problems


class Drifted:
    """A driver whose exec lost its keyword-only timeout and whose power lacks the action."""

    capabilities = frozenset({"exec", "power", "Not A Name"})

    def exec(self, device: str, args: Sequence[str], timeout: float = 60) -> CommandResult:
        del device, args, timeout
        return CommandResult(0, "", "")

    def power(self, server: str) -> None:
        del server


def test_signatures_that_drift_from_the_protocol_are_named() -> None:
    problems = signature_problems(Drifted(), DeviceDriver)
    assert "exec(device, args, timeout=60): the Protocol has (device, args, *, timeout=60)" in problems
    assert {"put: missing", "get: missing", "delete: missing", "service: missing", "observe: missing"} <= set(
        problems
    )
    assert "power_state: missing" in signature_problems(Drifted(), PowerDriver)


def test_a_capability_promises_its_methods_and_a_well_formed_name() -> None:
    problems = capability_problems(Drifted())
    assert "'Not A Name': not NAME or NAME:WHAT" in problems
    assert "power promises power_state: missing" in problems
    assert "power promises power(server): the Protocol has (server, action)" in problems


def test_the_kit_imports_without_pytest() -> None:
    code = (
        "import sys; sys.modules['pytest'] = None; "
        "import trisite.testing.conformance, trisite.testing.redfish, trisite.testing.opnsense"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
