"""The seams every target implements: code above drivers/ talks to these and never asks which target it is.

A driver that cannot do something says so in `capabilities` before anyone asks it to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

ServiceAction = Literal["start", "stop", "restart", "reload"]


PowerAction = Literal["on", "off"]


def parse_probe(text: str) -> tuple[Literal["icmp", "tcp", "udp"], int | None]:
    """'icmp' -> ('icmp', None); 'tcp:53' -> ('tcp', 53). Raises ValueError with the accepted forms."""
    kind, _, port = text.partition(":")
    if kind == "icmp" and not port:
        return "icmp", None
    if kind in ("tcp", "udp") and port.isdigit() and 0 < int(port) < 65536:
        return ("tcp" if kind == "tcp" else "udp"), int(port)
    raise ValueError(f"probe {text!r}: use icmp, tcp:PORT or udp:PORT")


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


class DeviceDriver(Protocol):
    """Runs commands, places files and drives services on a device."""

    capabilities: frozenset[str]

    def exec(self, device: str, args: Sequence[str], *, timeout: float = 60) -> CommandResult: ...

    def put(self, device: str, path: str, content: str, mode: str = "0644") -> None: ...

    def service(self, device: str, name: str, action: ServiceAction) -> None: ...


class PowerDriver(Protocol):
    """Powers servers on and off through their management card."""

    def power(self, server: str, action: PowerAction) -> None: ...

    def power_state(self, server: str) -> str: ...


@dataclass(frozen=True)
class ProbeResult:
    seq: int
    sent: float  # seconds since the probe started
    ok: bool


class ProbeHandle(Protocol):
    def stop(self) -> list[ProbeResult]: ...


class FaultDriver(Protocol):
    """Breaks and mends what the design lists (cables, MAN links, lines), and probes reachability."""

    def set_component(self, component: str, up: bool) -> None: ...

    def components_of(self, device: str) -> list[str]: ...

    def probe(self, device: str, target: str, interval: float, kind: str = "icmp") -> ProbeHandle:
        """Probe `target` from `device` every `interval` s; kind is icmp, tcp:PORT or udp:PORT."""
        ...
