"""An in-memory driver: what tests (and dry runs) use where no device exists. It keeps what was put and run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from trisite.drivers.protocols import CommandResult, PowerAction, ServiceAction
from trisite.errors import DriverError


@dataclass
class FakeDriver:
    capabilities: frozenset[str] = frozenset(
        {"exec", "put", "power", "service:frr", "service:nftables", "service:keepalived", "service:ucarp"}
    )
    devices: frozenset[str] = frozenset()
    files: dict[tuple[str, str], tuple[str, str]] = field(
        default_factory=dict
    )  # (device, path) -> content, mode
    services: list[tuple[str, str, str]] = field(default_factory=list)
    commands: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    fail_on: set[tuple[str, str]] = field(default_factory=set)  # (device, service) that fail to start
    powered: dict[str, str] = field(default_factory=dict)  # server -> "On" / "Off": the servers with a BMC

    def _known(self, device: str) -> None:
        if self.devices and device not in self.devices:
            raise DriverError(f"{device}: no such device", device=device)

    def exec(self, device: str, args: Sequence[str], *, timeout: float = 60) -> CommandResult:
        del timeout  # nothing here takes time
        self._known(device)

        self.commands.append((device, tuple(args)))
        return CommandResult(0, "", "")

    def put(self, device: str, path: str, content: str, mode: str = "0644") -> None:
        self._known(device)
        self.files[(device, path)] = (content, mode)

    def get(self, device: str, path: str) -> str | None:
        self._known(device)
        found = self.files.get((device, path))
        return None if found is None else found[0]

    def delete(self, device: str, path: str) -> None:
        self._known(device)
        self.files.pop((device, path), None)

    def observe(self, device: str, what: str) -> str:
        """What was put and started, as text: enough for a test to see drift."""
        self._known(device)
        started = sorted(f"{n} {a}" for d, n, a in self.services if d == device)
        files = sorted(
            f"{p} {sha256(c.encode()).hexdigest()[:12]}"
            for (d, p), (c, _) in self.files.items()
            if d == device
        )
        return "\n".join([what, *started, *files])

    def service(self, device: str, name: str, action: ServiceAction) -> None:
        self._known(device)
        if (device, name) in self.fail_on:
            raise DriverError(f"{device}: {name} failed to {action}", device=device)
        self.services.append((device, name, action))

    def power(self, server: str, action: PowerAction) -> None:
        self.power_state(server)
        self.powered[server] = "On" if action == "on" else "Off"

    def power_state(self, server: str) -> str:
        if server not in self.powered:
            raise DriverError(f"{server}: no BMC known for it", device=server)
        return self.powered[server]
