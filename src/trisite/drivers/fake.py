"""An in-memory driver: what tests use where no device exists. It keeps what was put and started.

It runs no commands (it would have to pretend their output): it does not declare `exec`, and says so when asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from trisite.drivers.protocols import CommandResult, PowerAction, ServiceAction
from trisite.errors import DriverError


@dataclass
class FakeDriver:
    capabilities: frozenset[str] = frozenset(
        {
            "put",
            "power",
            "service:frr",
            "service:nftables",
            "service:keepalived",
            "service:ucarp",
            "observe:files",
        }
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
        del timeout
        self._known(device)
        self.commands.append((device, tuple(args)))
        raise DriverError(
            f"{device}: the fake driver runs no command ({args[0] if args else 'nothing'})", device=device
        )

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
        """ "files": what was put and started, as text (enough for a test to see drift); nothing else."""
        self._known(device)
        if what != "files":
            raise DriverError(f"{device}: the fake driver cannot observe {what}", device=device)
        started = sorted(f"{n} {a}" for d, n, a in self.services if d == device)
        files = sorted(
            f"{p} {sha256(c.encode()).hexdigest()[:12]}"
            for (d, p), (c, _) in self.files.items()
            if d == device
        )
        return "\n".join([*started, *files])

    def service(self, device: str, name: str, action: ServiceAction) -> None:
        self._known(device)
        if f"service:{name.split('-', maxsplit=1)[0]}" not in self.capabilities:
            raise DriverError(f"{device}: the fake driver knows no service {name}", device=device)
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
