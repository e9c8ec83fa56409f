"""The `site` target: real hardware, through the site drivers (SSH for hosts, Redfish for BMCs).

What trisite may reach is what the operator gives it: with `known_hosts`, hosts over SSH (host keys always
checked); BMCs over Redfish with the design's accounts. What is not given is not reached: those steps show as
"not on this target" with the capability that is missing, never tried against a host whose key nobody vouched
for. Deployment tools (cephadm, Kayobe, Kubespray, the oVirt collection) and the OPNsense API need access the
design does not describe yet (playbooks, API keys): their steps are listed, not performed.
"""

# ruff: noqa: ARG002 - NoDevices keeps the DeviceDriver signatures and needs none of their arguments

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from trisite.drivers.protocols import CommandResult, ServiceAction
from trisite.drivers.redfish import RedfishDriver, access_of
from trisite.drivers.ssh import SshAccess, SshDriver
from trisite.drivers.targets import SiteAccess, Target
from trisite.errors import DriverError
from trisite.model import Design, Index
from trisite.render.artifact import Artifact

MANAGEMENT_ZONES = ("mgmt", "oob")  # where a host is reached from the station, in this order


class NoDevices:
    """Hosts when no SSH access was given: nothing declared, and a clear line if asked anyway (the Protocol's
    signatures are kept; their arguments do not matter here)."""

    capabilities: frozenset[str] = frozenset()

    def _refuse(self, device: str) -> DriverError:
        return DriverError(f"{device}: no access to hosts was given (--known-hosts)", device=device)

    def exec(self, device: str, args: Sequence[str], *, timeout: float = 60) -> CommandResult:
        raise self._refuse(device)

    def put(self, device: str, path: str, content: str, mode: str = "0644") -> None:
        raise self._refuse(device)

    def get(self, device: str, path: str) -> str | None:
        raise self._refuse(device)

    def delete(self, device: str, path: str) -> None:
        raise self._refuse(device)

    def service(self, device: str, name: str, action: ServiceAction) -> None:
        raise self._refuse(device)

    def observe(self, device: str, what: str) -> str:
        raise self._refuse(device)


def management_address(design: Design, host: str) -> str | None:
    """The address the station reaches a host at: on its management network, else its first."""
    ix = Index.of(design)
    device = ix.hosts.get(host)
    if device is None:
        return None
    addresses = ix.addresses(device)
    zone = {n.name: n.zone for n in design.networks}
    for wanted in MANAGEMENT_ZONES:
        found = next((a for a in addresses if zone.get(a.network) == wanted), None)
        if found is not None:
            return str(found.ip)
    return str(addresses[0].ip) if addresses else None


def _ssh(design: Design, access: SiteAccess) -> SshDriver | NoDevices:
    if access.known_hosts is None:
        return NoDevices()
    keys = (str(access.ssh_key),) if access.ssh_key else ()
    accesses = {
        host: SshAccess(host, address, str(access.known_hosts), user=access.ssh_user, client_keys=keys)
        for host in sorted(Index.of(design).hosts)
        if (address := management_address(design, host)) is not None
    }
    return SshDriver(accesses)


def site_target(
    design: Design,
    artifacts: Sequence[Artifact],
    state_dir: Path,
    secret: Callable[[str], str],
    access: SiteAccess,
) -> Target:
    ca: str | bool = str(access.bmc_ca) if access.bmc_ca else True
    rendered: Mapping[str, dict[str, object]] = {
        a.device: json.loads(a.content) for a in artifacts if a.apply.kind == "redfish"
    }
    bmcs = RedfishDriver({server: access_of(doc, ca=ca) for server, doc in rendered.items()}, secret)
    return Target("site", _ssh(design, access), state_dir, bmcs=bmcs, attempts=access.attempts)
