"""A server's BMC spoken to in Redfish, through sushy (OpenStack's Redfish client).

The same client serves the lab (its BMC emulators) and real sites; every failure becomes one DriverError naming
the BMC and the server, never the password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sushy
from sushy import exceptions as sushy_errors

from trisite.drivers.protocols import PowerAction
from trisite.errors import DriverError

RESETS = {"on": sushy.ResetType.ON, "off": sushy.ResetType.FORCE_OFF}
# sushy logs every request at debug and retries 5xx answers; neither helps a deployment that waits on a BMC.
logging.getLogger("sushy").setLevel(logging.WARNING)


@dataclass(frozen=True)
class BmcAccess:
    server: str
    address: str
    port: int
    user: str
    verify: str | bool  # a CA bundle path, or whether to check the certificate against the system's
    system: str = ""  # the system's id when known (the lab's), else the BMC's only system
    basic_auth: bool = False  # True where the BMC has no session service (the lab's emulator)
    timeout: float = 5.0
    attempts: int = 2  # a BMC busy with itself often answers the second time; a hung one never does

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.port}"


class RedfishBmc:
    def __init__(self, access: BmcAccess, password: str) -> None:
        self.access = access
        self._password = password

    def _fail(self, what: str, exc: Exception) -> DriverError:
        reason = "no answer" if isinstance(exc, sushy_errors.ConnectionError) else type(exc).__name__
        tries = f"{self.access.attempts} attempts" if self.access.attempts > 1 else "1 attempt"
        detail = (
            f" within {self.access.timeout:g} s ({tries})"
            if reason == "no answer"
            else f": {_first_line(exc)}"
        )
        return DriverError(
            f"BMC {self.access.address} of {self.access.server}: {what}: {reason}{detail}",
            device=self.access.server,
        )

    def _system(self) -> Any:
        auth = sushy.auth.BasicAuth if self.access.basic_auth else sushy.auth.SessionOrBasicAuth
        root = sushy.Sushy(
            self.access.url + "/redfish/v1/",
            auth=auth(self.access.user, self._password),
            verify=self.access.verify,
            read_timeout=self.access.timeout,
            connect_timeout=self.access.timeout,
            server_side_retries=self.access.attempts,  # sushy counts attempts here (0 means its default, 3)
            server_side_retries_delay=1,
        )
        if self.access.system:
            return root.get_system(f"/redfish/v1/Systems/{self.access.system}")
        return root.get_system()

    def power_state(self) -> str:
        try:
            return str(self._system().power_state.value)
        except (sushy_errors.SushyError, OSError) as exc:
            raise self._fail("reading the power state", exc) from None

    def power(self, action: PowerAction) -> None:
        try:
            self._system().reset_system(RESETS[action])
        except (sushy_errors.SushyError, OSError) as exc:
            raise self._fail(f"power {action}", exc) from None

    def raid_types(self) -> dict[str, list[str]]:
        """Each storage controller's supported RAID types ('None' is pass-through, what JBOD needs)."""
        try:
            found: dict[str, list[str]] = {}
            for storage in self._system().storage.get_members():
                for controller in storage.storage_controllers:
                    found[f"{storage.identity}/{controller.member_id}"] = sorted(
                        str(t.value) for t in controller.raid_types or []
                    )
            return found
        except (sushy_errors.SushyError, OSError) as exc:
            raise self._fail("reading the storage controllers", exc) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
