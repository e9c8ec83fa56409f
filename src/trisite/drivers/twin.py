"""The `twin` target: a simulated platform that a deployment acts on like a real one.

It keeps what every device holds (files, services, the live ruleset and routing configuration, BMC settings,
tool runs, API calls) in one JSON file, rewritten atomically after each operation: like a real platform it
outlives a deployer killed half-way, which is what the resume tests need. Each operation takes its modelled
time (a real site's order of magnitude, scaled down by `scale`), so that plans and critical paths are
measured on something shaped like the real thing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trisite.drivers.protocols import CommandResult, ServiceAction
from trisite.errors import DriverError
from trisite.plan.steps import Plan

BOOTSTRAP_PREFIX = "add rule inet trisite bootstrap "
# What an operation takes on a real site, in seconds (orders of magnitude: a reload, a BMC job and reboot,
# a cephadm bootstrap, a Kayobe deployment of a region).
MODELLED_S = {
    "put": 0.5,
    "service": 2.0,
    "exec": 0.5,
    "redfish": 180.0,
    "api": 20.0,
    "tool:cephadm": 600.0,
    "tool:ovirt": 2400.0,
    "tool:kayobe": 5400.0,
    "tool:kubespray": 2700.0,
}
DEFAULT_SCALE = 1e-4  # a modelled hour takes 0.36 s


class TwinPlatform:
    capabilities = frozenset(
        {"exec", "put", "service:*", "accounts", "redfish"}
        | {"observe:nftables", "observe:frr", "observe:bootstrap-rules", "observe:routes", "observe:accounts"}
        | {"tool:cephadm", "tool:ovirt", "tool:kayobe", "tool:kubespray", "api:opnsense"}
    )

    def __init__(self, path: Path, scale: float = DEFAULT_SCALE) -> None:
        self.path = path
        self.scale = scale
        self._lock = threading.Lock()
        self._state: dict[str, Any] = (
            json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"devices": {}, "runs": {}}
        )

    # -- the state, kept like a platform keeps it ------------------------------------------------------------------
    def _device(self, device: str) -> dict[str, Any]:
        found: dict[str, Any] = self._state["devices"].setdefault(
            device, {"files": {}, "services": {}, "live": {}, "bmc": {}, "api": []}
        )
        return found

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._state, sort_keys=True), encoding="utf-8")
        temporary.replace(self.path)  # a reader (or the next deployer) sees the old state or the new one

    def _take(self, operation: str) -> None:
        time.sleep(MODELLED_S.get(operation, 1.0) * self.scale)

    def runs(self, key: str) -> int:
        """How many times a non-repeatable operation ran (what the resume tests count)."""
        return int(self._state["runs"].get(key, 0))

    # -- DeviceDriver -----------------------------------------------------------------------------------------
    def exec(self, device: str, args: Sequence[str], *, timeout: float = 60) -> CommandResult:
        del timeout
        self._take("exec")
        with self._lock:
            _play(self._device(device)["live"], list(args))
            self._save()
        return CommandResult(0, "", "")

    def put(self, device: str, path: str, content: str, mode: str = "0644") -> None:
        self._take("put")
        with self._lock:
            self._device(device)["files"][path] = [content, mode]
            self._save()

    def get(self, device: str, path: str) -> str | None:
        found = self._device(device)["files"].get(path)
        return None if found is None else str(found[0])

    def delete(self, device: str, path: str) -> None:
        with self._lock:
            self._device(device)["files"].pop(path, None)
            self._save()

    def service(self, device: str, name: str, action: ServiceAction) -> None:
        self._take("service")
        with self._lock:
            state = self._device(device)
            state["services"][name] = "stopped" if action == "stop" else "running"
            if name == "nftables":
                state["live"]["nftables"] = self._ruleset(state["files"]) if action != "stop" else ""
            elif name == "frr":
                state["live"]["frr"] = (
                    state["files"].get("/etc/frr/frr.conf", [""])[0] if action != "stop" else ""
                )
            self._save()

    @staticmethod
    def _ruleset(files: dict[str, list[str]]) -> str:
        """What `nft -f` of the ruleset and the files beside it loads (the twin's `nft list ruleset`)."""
        texts = [files.get("/etc/nftables.conf", [""])[0]]
        texts += [
            content for path, (content, _) in sorted(files.items()) if path.startswith("/etc/nftables.d/")
        ]
        return _joined(line for text in texts for line in text.splitlines())

    def observe(self, device: str, what: str) -> str:
        live = self._device(device)["live"]
        if what in ("nftables", "frr", "routes", "accounts"):
            return str(live.get(what, ""))
        if what == "bootstrap-rules":
            return _joined(
                r for r in str(live.get("nftables", "")).splitlines() if r.startswith(BOOTSTRAP_PREFIX)
            )
        raise DriverError(f"{device}: the twin cannot observe {what}", device=device)

    def tamper(self, device: str, rule: str) -> None:
        """A rule added by hand on a device, as an operator in a hurry would (what drift detection must see)."""
        with self._lock:
            live = self._device(device)["live"]
            live["nftables"] = _joined([*str(live.get("nftables", "")).splitlines(), rule])
            self._save()

    # -- BMCs, tools and APIs ---------------------------------------------------------------------------------
    def apply_redfish(self, server: str, operations: Sequence[dict[str, object]]) -> None:
        self._take("redfish")
        with self._lock:
            self._device(server)["bmc"] = {str(op.get("id")): op for op in operations}
            self._save()

    def read_redfish(self, server: str) -> dict[str, object]:
        return dict(self._device(server)["bmc"])

    def run_tool(self, tool: str, unit: str, files: dict[str, str]) -> CommandResult:
        self._take(f"tool:{tool}")
        with self._lock:
            key = f"{tool}/{unit}"
            self._state["runs"][key] = int(self._state["runs"].get(key, 0)) + 1
            self._device(f"tool:{tool}")["files"].update({p: [c, "0644"] for p, c in files.items()})
            self._save()
        return CommandResult(0, f"{tool} {unit}: done", "")

    def apply_api(self, device: str, calls: Sequence[dict[str, object]]) -> None:
        self._take("api")
        with self._lock:
            self._device(device)["api"] = list(calls)
            self._save()


def _play(live: dict[str, str], args: list[str]) -> None:
    """The commands a deployment runs, as they change a device's live state."""
    if args == ["nft", "flush", "chain", "inet", "trisite", "bootstrap"]:
        live["nftables"] = _joined(
            r for r in live.get("nftables", "").splitlines() if not r.startswith(BOOTSTRAP_PREFIX)
        )
    elif args[:3] in (["ip", "route", "replace"], ["ip", "route", "flush"]):
        route = " ".join(a for a in args[3:] if a not in ("proto", "boot"))
        kept = [r for r in live.get("routes", "").splitlines() if r != route]
        live["routes"] = _joined(kept + ([route] if args[2] == "replace" else []))
    elif args[0] in ("useradd", "userdel"):
        name = args[-1]
        kept = [a for a in live.get("accounts", "").splitlines() if not a.startswith(f"{name}:")]
        live["accounts"] = _joined(
            kept + ([f"{name}:x:1001:1001::/nonexistent:/bin/sh"] if args[0] == "useradd" else [])
        )


def _joined(lines: Any) -> str:
    return "".join(f"{line}\n" for line in lines)


def estimates(plan: Plan) -> dict[str, float]:
    """Each step's modelled time on a real site, in seconds (what the twin plays, scaled down)."""
    found: dict[str, float] = {}
    for step in plan.steps:
        if step.kind == "files":
            seconds = MODELLED_S["put"] * len(step.files) + MODELLED_S["service"] * len(step.services)
        elif step.kind == "tool":
            seconds = MODELLED_S.get(f"tool:{step.command[0]}", 600.0)
        else:
            seconds = MODELLED_S.get(step.kind, MODELLED_S["exec"])
        found[step.id] = seconds
    return found
