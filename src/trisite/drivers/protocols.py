"""The seams every target implements: code above drivers/ talks to these and never asks which target it is.

A driver that cannot do something says so in `capabilities` before anyone asks it to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

ServiceAction = Literal["start", "stop", "restart", "reload"]


PowerAction = Literal["on", "off"]
# A fault on a service daemon: stopped (it stays down), killed (a crash: restarted as systemd would), started.
ServiceFault = Literal["stop", "kill", "start"]


ProbeKind = Literal["icmp", "tcp", "udp", "http", "rados"]
PROBE_KINDS: tuple[ProbeKind, ...] = ("icmp", "tcp", "udp", "http")  # those with a port after the first


def parse_probe(text: str) -> tuple[ProbeKind, int | None]:
    """'icmp' -> ('icmp', None); 'tcp:53' -> ('tcp', 53); 'http:443' -> ('http', 443): an HTTP GET of / that
    must answer 200 (a service, not only a path); 'rados' -> ('rados', None): a Ceph client's writes to the
    pool the target names as CLUSTER/POOL. Raises ValueError with the accepted forms."""
    kind, _, port = text.partition(":")
    if kind in ("icmp", "rados") and not port:
        return ("icmp" if kind == "icmp" else "rados"), None
    for known in PROBE_KINDS[1:]:
        if kind == known and port.isdigit() and 0 < int(port) < 65536:
            return known, int(port)
    raise ValueError(f"probe {text!r}: use icmp, tcp:PORT, udp:PORT, http:PORT or rados")


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


class DeviceDriver(Protocol):
    """Runs commands, places and reads back files, drives services and reports live state on a device.

    Capabilities (`capabilities`): "exec", "put" (put, get, delete), "service:FAMILY" (frr, nftables,
    keepalived, ucarp, ...), "observe:WHAT" (see `observe`)."""

    capabilities: frozenset[str]

    def exec(self, device: str, args: Sequence[str], *, timeout: float = 60) -> CommandResult: ...

    def put(self, device: str, path: str, content: str, mode: str = "0644") -> None: ...

    def get(self, device: str, path: str) -> str | None:
        """A file's content, or None when it is absent (what a plan compares with what it would put)."""
        ...

    def delete(self, device: str, path: str) -> None:
        """Remove a file; an absent one is not an error."""
        ...

    def service(self, device: str, name: str, action: ServiceAction) -> None: ...

    def observe(self, device: str, what: str) -> str:
        """Live state as text, for drift: "nftables" (the loaded ruleset, without counters), "frr" (the running
        configuration), "bootstrap-rules" (the rules left in the temporary deployment chain, empty when none),
        "routes" (routes set by commands, not learned by a routing protocol), "accounts" (passwd lines);
        for acceptance checks: "lldp" (`lldpcli -f json show neighbors`), "ports" (JSON {port: {"mtu", "up",
        "speed_mbps", "shaped_mbps"}}, null where unknown), "bgp" (`show bgp summary json`), "bfd" (`show bfd
        peers json`)."""
        ...


class BmcDriver(Protocol):
    """Applies a server's rendered Redfish operations (render/redfish.py) through its BMC. Capability "redfish"."""

    def apply_redfish(self, server: str, operations: Sequence[dict[str, object]]) -> None: ...

    def read_redfish(self, server: str) -> dict[str, object]:
        """What the operations set, read back (BIOS attributes, boot order, controller mode, clock offset)."""
        ...


class BmcInspectDriver(Protocol):
    """Reads what acceptance checks compare on a BMC, without changing anything and without retrying past
    `timeout` (a hung BMC is reported, not waited on). Capability "inspect:bmc".

    The answer: "health", "power", "firmware", "bios_version", "datetime" (ISO 8601 as the BMC says it),
    "offset" (DateTimeLocalOffset), "read_at" (the station's clock when it was read, seconds since the epoch),
    "boot_mode", "bios_attributes" (None without a Bios resource), "raid_types" (per controller), "nics"."""

    def inspect_bmc(self, server: str, timeout: float) -> dict[str, object]: ...


class FlowScanDriver(Protocol):
    """Probes connections from a device as the flow check does (a TCP SYN and a UDP scan, drivers/scan.py).
    Capability "scan:flows"; "scan:internet" when it can also scan from an address on the internet (the device
    "internet"). Neither retries past `timeout`."""

    def scan(
        self, device: str, targets: Sequence[str], tcp: Sequence[int], udp: Sequence[int], *, timeout: float
    ) -> dict[str, dict[str, str]]:
        """address -> {"tcp/22": nmap's state of that port ("open", "closed", "filtered", "open|filtered")}."""
        ...

    def trace(self, device: str, target: str, protocol: str, port: int, *, timeout: float) -> list[str]:
        """The addresses of the hops a connection takes from the device (the routers that forward it)."""
        ...


class ThroughputDriver(Protocol):
    """Measures what the path between two devices carries (iperf3). Capability "measure:throughput"."""

    def throughput(self, device: str, peer: str, address: str, *, reverse: bool = False) -> float:
        """Mbit/s of one TCP stream from `device` to `peer` listening on `address` (reverse: `peer` sends)."""
        ...

    def nominal_mbps(self, designed: int) -> int:
        """What a link ordered at `designed` Mbit/s carries on this target at best (a lab's veths on shared
        cores carry less than the optics they stand for)."""
        ...


class ToolDriver(Protocol):
    """Runs a deployment tool from the station with rendered files (cephadm, Kayobe, Kubespray, the oVirt
    collection through Ansible). Capability "tool:NAME"."""

    def run_tool(self, tool: str, unit: str, files: dict[str, str]) -> CommandResult: ...


class ApiDriver(Protocol):
    """Applies a device's rendered API calls (OPNsense), with a savepoint that rolls back by itself unless the
    change is confirmed. Capability "api:KIND"."""

    def apply_api(self, device: str, calls: Sequence[dict[str, object]]) -> None: ...


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
    # Wall clock (Unix seconds) of the first probe, the origin of every `sent`, once stopped (None: unknown).
    # A probe process starts a little after it is asked for: a fault's moment is placed on the probes' time
    # with it, not with the time the probe was asked for.
    origin: float | None

    def stop(self) -> list[ProbeResult]: ...


class FaultDriver(Protocol):
    """Breaks and mends what the design lists (cables, MAN links, lines), and probes reachability."""

    def set_component(self, component: str, up: bool) -> None: ...

    def set_components(self, components: Sequence[str], up: bool) -> None:
        """Several components at once, as one event (a site's power loss is not a sequence of cuts)."""
        ...

    def components_of(self, device: str) -> list[str]: ...

    def probe(self, device: str, target: str, interval: float, kind: str = "icmp") -> ProbeHandle:
        """Probe `target` from `device` every `interval` s; kind is icmp, tcp:PORT, udp:PORT or http:PORT."""
        ...


class ServiceFaultDriver(Protocol):
    """Breaks the upper layers' daemons (etcd, HAProxy, keepalived, PowerDNS, ...) one at a time; a node's
    fault is every daemon of a device, a site's every daemon of its devices. Capability "fault:service"."""

    def service_fault(self, device: str, service: str, action: ServiceFault) -> None: ...

    def service_daemons(self, device: str) -> list[str]:
        """The daemons started on a device (running or not)."""
        ...
