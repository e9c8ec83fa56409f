"""What the checks read the delivered platform through: a target's device driver (commands and `observe`) and,
where the target has BMCs, something that inspects them. Which target it is never matters here; what it can
observe does (its capabilities), and what it cannot is reported as skipped, never guessed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from trisite.drivers.protocols import BmcInspectDriver, DeviceDriver, FlowScanDriver, ThroughputDriver


@dataclass
class Reality:
    devices: DeviceDriver
    bmcs: BmcInspectDriver | None = None
    capabilities: frozenset[str] = frozenset()
    bmc_timeout: float = 3.0  # a BMC that has not answered by then is hung (detected, not waited on)
    clock: Callable[[], float] | None = None  # the station's clock (time.time); tests pass their own
    parallel: int = 8  # BMCs and devices read at once
    notes: dict[str, list[str]] = field(default_factory=dict)
    scanner: FlowScanDriver | None = None  # what runs the flow scans (capability "scan:flows")
    scan_parallel: int = 2  # scans at once: more would starve the probes' answers on two cores
    scan_timeout: float = 90.0  # one vantage's scan, at most
    meter: ThroughputDriver | None = None  # what measures the links' throughput ("measure:throughput")
    journal: dict[str, str] = field(default_factory=dict)  # deployment step -> its last journaled state

    def can(self, what: str) -> bool:
        return what in self.capabilities
