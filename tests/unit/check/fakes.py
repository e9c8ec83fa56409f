"""A delivered platform made from a design (what a supplier would hand over if everything were right), whose
observations the check categories read as a driver gives them: lldpcli's JSON, port states, FRR's JSON, BMCs."""

# ruff: noqa: ARG002 - the fake keeps the DeviceDriver signatures; checks never call those methods

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from trisite.check.reality import Reality
from trisite.drivers.protocols import CommandResult, ServiceAction
from trisite.errors import DriverError
from trisite.model import Design
from trisite.model.links import links
from trisite.model.types import split_endpoint

CAPABILITIES = frozenset(
    {"observe:lldp", "observe:ports", "operator-end", "observe:bgp", "observe:bfd", "inspect:bmc"}
)


def lldp_json(neighbours: dict[str, tuple[str, str]]) -> str:
    """What `lldpcli -f json show neighbors` prints (a mapping for one neighbour, a list for several)."""
    entries = [
        {port: {"chassis": {name: {"id": {"type": "mac"}}}, "port": {"id": {"type": "ifname", "value": far}}}}
        for port, (name, far) in sorted(neighbours.items())
    ]
    interface: Any = entries[0] if len(entries) == 1 else entries
    return json.dumps({"lldp": {"interface": interface} if entries else {}})


class Delivered:
    """Devices as a driver shows them; tests change the dictionaries to deliver a defect."""

    capabilities = CAPABILITIES

    def __init__(self, design: Design, *, renamed: dict[str, str] | None = None) -> None:
        self.lldp: dict[str, dict[str, tuple[str, str]]] = {}
        pairs = [(c.a, c.b) for c in design.cables] + [(m.a, m.b) for m in design.man_links]
        for a, b in pairs:
            (da, pa), (db, pb) = split_endpoint(a), split_endpoint(b)
            self.lldp.setdefault(da, {})[pa] = ((renamed or {}).get(db, db), pb)
            self.lldp.setdefault(db, {})[pb] = ((renamed or {}).get(da, da), pa)
        self.ports: dict[str, dict[str, dict[str, Any]]] = {}
        for link in links(design):
            for device, port in (link.a, link.b):
                state = {"mtu": link.mtu, "up": True, "speed_mbps": link.speed, "shaped_mbps": None}
                self.ports.setdefault(device, {})[port] = state
        self.bgp: dict[str, dict[str, Any]] = {}
        self.bfd: dict[str, list[dict[str, Any]]] = {}
        for up in design.uplinks:
            for firewall in up.firewalls:
                peer = {"state": "Established", "pfxRcd": 1, "pfxSnt": 1}
                self.bgp.setdefault(firewall, {})[str(up.bgp.peer_address)] = peer
                self.bfd.setdefault(firewall, []).append({"peer": str(up.bgp.peer_address), "status": "up"})
        self.silent: set[str] = set()  # devices that do not answer

    def observe(self, device: str, what: str) -> str:
        if device in self.silent:
            raise DriverError(f"{device}: no answer", device=device)
        if what == "lldp":
            return lldp_json(self.lldp.get(device, {}))
        if what == "ports":
            return json.dumps(self.ports.get(device, {}))
        if what == "bgp":
            return json.dumps({"ipv4Unicast": {"peers": self.bgp.get(device, {})}})
        if what == "bfd":
            return json.dumps(self.bfd.get(device, []))
        raise DriverError(f"{device}: cannot observe {what}", device=device)

    # The rest of the DeviceDriver Protocol: checks never call it.
    def exec(self, device: str, args: Sequence[str], *, timeout: float = 60) -> CommandResult:
        raise AssertionError("checks only observe")

    def put(self, device: str, path: str, content: str, mode: str = "0644") -> None:
        raise AssertionError("checks change nothing")

    def get(self, device: str, path: str) -> str | None:
        raise AssertionError("checks only observe")

    def delete(self, device: str, path: str) -> None:
        raise AssertionError("checks change nothing")

    def service(self, device: str, name: str, action: ServiceAction) -> None:
        raise AssertionError("checks change nothing")


NOW = 1_800_000_000.0


class Bmcs:
    """BMCs as delivered right: what `inspect_bmc` answers, per server (tests change it)."""

    def __init__(self, design: Design) -> None:
        self.facts: dict[str, dict[str, object]] = {
            s.name: {
                "health": "OK",
                "power": "On",
                "firmware": "1.00",
                "bios_version": "2.1",
                "datetime": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(NOW)),
                "offset": "+00:00",
                "read_at": NOW,
                "boot_mode": "UEFI",
                "bios_attributes": dict(s.bios.attributes),
                "raid_types": {"1/0": ["None", "RAID0", "RAID1"]},
                "nics": [f"nic{n}" for n in range(len(s.nics))],
            }
            for s in design.servers
        }
        self.hung: set[str] = set()
        self.timeouts: list[float] = []

    def inspect_bmc(self, server: str, timeout: float) -> dict[str, object]:
        self.timeouts.append(timeout)
        if server in self.hung:
            raise DriverError(f"BMC of {server}: inspecting: no answer within {timeout:g} s", device=server)
        return dict(self.facts[server])


def reality(
    devices: Delivered, bmcs: Bmcs | None = None, capabilities: frozenset[str] = CAPABILITIES
) -> Reality:
    return Reality(devices, bmcs, capabilities, bmc_timeout=1.5, parallel=2)


class Scanner:
    """Flow scans as a platform that enforces exactly the design's flows answers them: a probe some flow
    allows reaches its host (`closed`: nothing listens), any other is dropped (`filtered`). Tests add leaks
    (device, address, "tcp/PORT") and blocks, and say which firewall a trace crosses."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.leaks: set[tuple[str, str, str]] = set()
        self.blocks: set[tuple[str, str, str]] = set()
        self.hops: list[str] = []
        self.bootstrap = False
        self.scanned: list[str] = []

    def scan(
        self, device: str, targets: Sequence[str], tcp: Sequence[int], udp: Sequence[int], *, timeout: float
    ) -> dict[str, dict[str, str]]:
        from trisite.check.flowscan import ScanPlan  # noqa: PLC0415 - the fake answers what the plan expects

        self.scanned.append(device)
        plan = ScanPlan(self.design, internet=True, bootstrap=self.bootstrap)
        vantage = next(v for v in plan.vantages if v.device == device)
        found: dict[str, dict[str, str]] = {}
        for probe in plan.probes(vantage):
            if probe.target.address not in targets:
                continue
            key = (device, probe.target.address, probe.key)
            through = (probe.flow is not None or key in self.leaks) and key not in self.blocks
            found.setdefault(probe.target.address, {})[probe.key] = "closed" if through else "filtered"
        return found

    def trace(self, device: str, target: str, protocol: str, port: int, *, timeout: float) -> list[str]:
        return [*self.hops, target]
