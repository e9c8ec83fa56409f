"""A target: the drivers a deployment acts through, and where its journal, lock and logs are kept.

`twin` (a simulated platform), `lab` (the platform emulated in namespaces) and `site` (real hardware) are each
a `Target`; code above drivers/ asks a target what it can do (`missing`) and never which one it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trisite.drivers.protocols import ApiDriver, BmcDriver, DeviceDriver, ToolDriver


@dataclass
class Target:
    name: str  # twin, lab or site
    devices: DeviceDriver
    state_dir: Path  # the journal, the lock and the step logs
    bmcs: BmcDriver | None = None
    tools: ToolDriver | None = None
    apis: ApiDriver | None = None
    attempts: int = 1  # tries of a failing idempotent step (real sites: BMCs and APIs that answer late)
    backoff_s: float = 2.0  # the first wait between tries, doubled each time

    @property
    def capabilities(self) -> frozenset[str]:
        found: set[str] = set()
        for driver in (self.devices, self.bmcs, self.tools, self.apis):
            found |= set(getattr(driver, "capabilities", frozenset()))
        return frozenset(found)

    def missing(self, needs: Iterable[str]) -> frozenset[str]:
        """The capabilities among `needs` this target lacks (`service:*` grants every service)."""
        have = self.capabilities
        return frozenset(
            n for n in needs if n not in have and not (n.startswith("service:") and "service:*" in have)
        )


@dataclass(frozen=True)
class SiteAccess:
    """How trisite reaches a real site."""

    known_hosts: Path | None = None  # SSH to hosts (and their host keys checked against it); None: no SSH
    ssh_user: str = "root"
    ssh_key: Path | None = None  # none: ssh's own (the agent, ~/.ssh)
    bmc_ca: Path | None = None  # the CA bundle of the BMCs' certificates; none: the system's
    attempts: int = 3  # tries of an idempotent step that failed, before the deployment stops
