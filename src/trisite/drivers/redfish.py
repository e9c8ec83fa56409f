"""A server's BMC spoken to in Redfish, through sushy (OpenStack's Redfish client).

The same client serves the lab (its BMC emulators) and real sites; every failure becomes one DriverError naming
the BMC and the server, never the password. The HTTP connector is a parameter (sushy's `connector=`), so that
tests put a recorded BMC behind it (trisite.testing.redfish) and nothing else changes.

A BMC that does not answer is tried again with growing waits; if it still does not answer and its manager is
known from an earlier answer, it is reset once through Redfish (Manager.Reset), given time to come back, and
tried again; then the driver stops with one line saying what was tried and what to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sushy
from sushy import connector as sushy_connector
from sushy import exceptions as sushy_errors

from trisite.drivers import redfish_ops
from trisite.drivers.protocols import PowerAction
from trisite.drivers.retry import Backoff, retried, wait_until
from trisite.errors import DriverError, TrisiteError

T = TypeVar("T")
RESETS = {"on": sushy.ResetType.ON, "off": sushy.ResetType.FORCE_OFF}
# A manager restarted gracefully keeps its settings; forced only when that is all it offers.
MANAGER_RESETS = (sushy.ResetType.GRACEFUL_RESTART, sushy.ResetType.FORCE_RESTART)
ADVICE = "check its network, reset it from the chassis (or remove its power), then deploy again"
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
    backoff: float = 1.0  # seconds before the second attempt, doubled each time
    reset_wait: float = 180.0  # a BMC takes one to three minutes to restart
    credentials: str = ""  # the secret's name (the design's bmc.credentials)

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.port}"

    @property
    def patience(self) -> Backoff:
        return Backoff(self.attempts, self.backoff)


ConnectorFactory = Callable[[BmcAccess], Any]


def site_connector(access: BmcAccess) -> Any:
    """sushy's own connector, making one attempt per call: the retries are ours (with backoff and a reset)."""
    return sushy_connector.Connector(
        access.url,
        verify=access.verify,
        server_side_retries=1,
        server_side_retries_delay=access.backoff,
        default_request_timeout=access.timeout,
        connect_timeout=access.timeout,
    )


def _unanswered(exc: Exception) -> bool:
    return isinstance(exc, sushy_errors.ConnectionError)


def _transient(exc: Exception) -> bool:
    """No answer, or a BMC busy with itself (5xx): worth another try. A 4xx or a missing resource is not."""
    return isinstance(exc, sushy_errors.ConnectionError | sushy_errors.ServerSideError | OSError)


class RedfishBmc:
    def __init__(
        self,
        access: BmcAccess,
        password: str,
        *,
        connector: ConnectorFactory = site_connector,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.access = access
        self._password = password
        self._make_connector = connector
        self._sleep, self._clock = sleep, clock
        self._conn: Any = None
        self._found: redfish_ops.Found | None = None
        self._manager: Any = None  # known once the BMC has answered: what a reset is sent to
        self.reset_sent = False  # at most one reset per client: a BMC that hangs again needs a human

    @property
    def _label(self) -> str:
        return f"BMC {self.access.address} of {self.access.server}"

    def _connector(self) -> Any:
        if self._conn is None:
            self._conn = self._make_connector(self.access)
        return self._conn

    def _discover(self) -> redfish_ops.Found:
        if self._found is None:
            kind = sushy.auth.BasicAuth if self.access.basic_auth else sushy.auth.SessionOrBasicAuth
            auth = kind(self.access.user, self._password)
            root = sushy.Sushy(self.access.url + "/redfish/v1/", auth=auth, connector=self._connector())
            if self.access.system:
                system = root.get_system(f"/redfish/v1/Systems/{self.access.system}")
            else:
                system = root.get_system()
            self._found = redfish_ops.Found(self._connector(), root, auth, system)
            managers = self._found.managers()
            self._manager = managers[0] if managers else self._manager
        return self._found

    def _call(self, what: str, work: Callable[[redfish_ops.Found], T]) -> T:
        """`work` on the discovered BMC, with retries, one reset of a BMC that stopped answering, one line."""

        def attempt() -> T:
            try:
                return work(self._discover())
            except Exception as exc:
                if _transient(exc):
                    self._found = None  # discover again: the BMC may have restarted, its resources moved
                raise

        return self._retrying(what, attempt, lambda: self._after_reset(what, attempt))

    def _retrying(self, what: str, attempt: Callable[[], T], when_silent: Callable[[], T]) -> T:
        """`attempt` with the access's patience; a BMC that never answered is handed to `when_silent`."""
        try:
            return retried(attempt, self.access.patience, transient=_transient, sleep=self._sleep)
        except redfish_ops.UnfitError as exc:
            raise DriverError(f"{self._label}: {what}: {exc}", device=self.access.server) from None
        except sushy_errors.SushyError as exc:
            if _unanswered(exc):
                return when_silent()
            raise self._fail(what, exc) from None
        except OSError as exc:
            raise self._fail(what, exc) from None

    def _after_reset(self, what: str, attempt: Callable[[], T]) -> T:
        if self._manager is None or self.reset_sent:
            raise self._no_answer(what, "") from None
        if "#Manager.Reset" not in (self._manager.json.get("Actions") or {}):
            raise self._no_answer(what, ", and its manager offers no Manager.Reset") from None
        self.reset_sent = True
        if not self._reset_manager():
            raise self._no_answer(what, ", and Manager.Reset was not answered either") from None
        back = wait_until(
            self._answers, self.access.reset_wait, self.access.backoff, sleep=self._sleep, clock=self._clock
        )
        if not back:
            raise self._no_answer(
                what, f", then Manager.Reset, and no answer within {self.access.reset_wait:g} s after it"
            )

        def give_up() -> T:
            raise self._no_answer(
                what, f", then Manager.Reset and {self.access.patience.describe()}"
            ) from None

        return self._retrying(what, attempt, give_up)

    def _reset_manager(self) -> bool:
        """One reset through Redfish, with the action the manager listed when it last answered."""
        try:
            allowed = self._manager.get_allowed_reset_manager_values()
            kind = next((k for k in MANAGER_RESETS if k in allowed), MANAGER_RESETS[0])
            self._manager.reset_manager(kind)
        except (sushy_errors.SushyError, OSError):
            return False
        return True

    def _answers(self) -> bool:
        try:
            self._connector().get("/redfish/v1/")
        except (sushy_errors.SushyError, OSError):
            return False
        return True

    def _no_answer(self, what: str, reset: str) -> DriverError:
        tried = self.access.patience.describe()
        return DriverError(
            f"{self._label}: {what}: no answer within {self.access.timeout:g} s ({tried}{reset}); {ADVICE}",
            device=self.access.server,
        )

    def _fail(self, what: str, exc: Exception) -> DriverError:
        return DriverError(
            f"{self._label}: {what}: {type(exc).__name__}: {_first_line(exc)}", device=self.access.server
        )

    def close(self) -> None:
        """Log out (BMCs have few session slots); a BMC that does not answer lets its session time out."""
        found, self._found = self._found, None
        if found is not None:
            with contextlib.suppress(sushy_errors.SushyError, OSError):
                found.auth.close()

    # -- what the drivers ask, each a session of its own ---------------------------------------------------------
    def power_state(self) -> str:
        with self._session():
            return self._call("reading the power state", lambda f: str(f.system.power_state.value))

    def power(self, action: PowerAction) -> None:
        with self._session():
            self._call(f"power {action}", lambda f: f.system.reset_system(RESETS[action]))

    @contextlib.contextmanager
    def _session(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.close()

    def raid_types(self) -> dict[str, list[str]]:
        """Each storage controller's supported RAID types ('None' is pass-through, what JBOD needs)."""

        def read(found: redfish_ops.Found) -> dict[str, list[str]]:
            types: dict[str, list[str]] = {}
            for storage in found.storages():
                for controller in storage.storage_controllers:
                    key = f"{storage.identity}/{controller.member_id}"
                    types[key] = sorted(str(t.value) for t in controller.raid_types or [])
            return types

        with self._session():
            return self._call("reading the storage controllers", read)

    def impatient(self, timeout: float) -> RedfishBmc:
        """A client of the same BMC that tries once within `timeout` (for a look, not for a deployment)."""
        access = dataclasses.replace(self.access, timeout=timeout, attempts=1)
        return RedfishBmc(
            access, self._password, connector=self._make_connector, sleep=self._sleep, clock=self._clock
        )

    def inspect(self) -> dict[str, object]:
        """What acceptance checks compare, in one session, with the access's patience and never a reset (a
        check reads, it does not repair): a BMC that does not answer raises the one-line DriverError."""

        def attempt() -> dict[str, object]:
            found = self._discover()
            return {**redfish_ops.inspect(found), "read_at": time.time()}

        def silent() -> dict[str, object]:
            raise self._no_answer("inspecting", "") from None

        with self._session():
            return self._retrying("inspecting", attempt, silent)

    def apply(self, operations: Sequence[Mapping[str, object]]) -> None:
        """Each operation in order (render/redfish.py); each is safe to apply again."""
        with self._session():
            for op in operations:
                self._call(str(op.get("id", "an operation")), functools.partial(_apply_one, op=op))

    def read(self) -> dict[str, object]:
        """What the operations set, as the BMC says now (a session of its own: nothing cached)."""
        with self._session():
            return self._call("reading back", redfish_ops.read)


class RedfishDriver:
    """A site's BmcDriver and PowerDriver: every server's BMC in Redfish, the password read when first used."""

    capabilities = frozenset({"redfish", "power", "inspect:bmc"})

    def __init__(
        self,
        accesses: Mapping[str, BmcAccess],
        secret: Callable[[str], str],
        *,
        connector: ConnectorFactory = site_connector,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._accesses = dict(accesses)
        self._secret = secret
        self._options: dict[str, Any] = {"connector": connector, "sleep": sleep, "clock": clock}
        self._clients: dict[str, RedfishBmc] = {}

    def bmc(self, server: str) -> RedfishBmc:
        if server not in self._clients:
            access = self._accesses.get(server)
            if access is None:
                raise DriverError(
                    f"{server}: no BMC known for it (is it a server of the design?)", device=server
                )
            try:
                password = self._secret(access.credentials)
            except TrisiteError as exc:  # the secret's message names it, never its value
                raise DriverError(f"{server}: the BMC password: {exc}", device=server) from None
            self._clients[server] = RedfishBmc(access, password, **self._options)
        return self._clients[server]

    def apply_redfish(self, server: str, operations: Sequence[dict[str, object]]) -> None:
        self.bmc(server).apply(operations)

    def read_redfish(self, server: str) -> dict[str, object]:
        return self.bmc(server).read()

    def power(self, server: str, action: PowerAction) -> None:
        self.bmc(server).power(action)

    def inspect_bmc(self, server: str, timeout: float) -> dict[str, object]:
        """One look within `timeout`, on a client of its own (one attempt, no reset: a hang is a finding)."""
        return self.bmc(server).impatient(timeout).inspect()

    def power_state(self, server: str) -> str:
        return self.bmc(server).power_state()


def access_of(rendered: Mapping[str, Any], *, ca: str | bool = True, port: int = 443) -> BmcAccess:
    """A server's BMC access from its rendered operations.json (`ca`: the site's CA bundle, or the system's)."""
    bmc = rendered["bmc"]
    return BmcAccess(
        str(rendered["server"]),
        str(bmc["address"]),
        port,
        str(bmc["user"]),
        ca if bmc.get("verify_tls", True) else False,
        credentials=str(bmc["credentials"]),
    )


def _apply_one(found: redfish_ops.Found, op: Mapping[str, object]) -> None:
    redfish_ops.apply(found, op)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
