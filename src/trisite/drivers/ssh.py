"""Linux hosts over SSH, through asyncssh: commands, files over SFTP, systemd services, live state for drift.

Host keys are always checked, against the known_hosts file the caller names (there is no switch to turn that
off); a host whose key is missing or changed is a DriverError saying where to add it. A connection is kept per
device and made again when it dropped; connecting is retried with backoff, a command is run once (running it
again is the plan's choice, not the transport's). Files are written atomically: a temporary file beside the
target, its mode set, then renamed over it (OpenSSH's posix-rename), so that a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import posixpath
import secrets
import shlex
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar, get_args

import asyncssh

from trisite.drivers.aioloop import LoopThread
from trisite.drivers.observe import ACCOUNTS, BOOTSTRAP_CHAIN, NFT_RULESET, ROUTES, bootstrap_rules
from trisite.drivers.protocols import CommandResult, ServiceAction
from trisite.drivers.retry import Backoff
from trisite.errors import DriverError

T = TypeVar("T")
FILE_TIMEOUT = 60.0  # one file over SFTP: rendered configurations are kilobytes
MARGIN = 5.0  # beyond a command's own timeout, for connecting and closing its channel
# vtysh when no FRR runs there (yet): nothing is routed by FRR, as the lab driver says with "".
NO_FRR = ("failed to connect to any daemons", "command not found")


@dataclass(frozen=True)
class SshAccess:
    device: str
    address: str
    known_hosts: str  # the file the host's key is checked against (always)
    user: str = "root"
    port: int = 22
    client_keys: tuple[str, ...] = ()  # private key files; none: the agent's and ~/.ssh's
    timeout: float = 10.0  # to connect and log in
    attempts: int = 3
    backoff: float = 1.0
    systemctl: str = "systemctl"

    @property
    def where(self) -> str:
        return f"{self.user}@{self.address}:{self.port}"


class SshDriver:
    """The site's DeviceDriver for Linux hosts. `netns`: the namespace to speak from (the lab's station)."""

    capabilities = frozenset(
        {
            "exec",
            "put",
            "service:*",
            "observe:nftables",
            "observe:frr",
            "observe:bootstrap-rules",
            "observe:routes",
            "observe:accounts",
        }
    )

    def __init__(self, accesses: Mapping[str, SshAccess], *, netns: str | None = None) -> None:
        self._accesses = dict(accesses)
        self._netns = netns
        self._loop: LoopThread | None = None
        self._starting = threading.Lock()  # calls come from many threads: one of them starts the loop
        self._connections: dict[str, asyncssh.SSHClientConnection] = {}  # touched only on the loop's thread
        self._locks: dict[str, asyncio.Lock] = {}

    def __enter__(self) -> SshDriver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection and the loop (a driver is closed once the deployment is done)."""
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            self._loop.run(self._close_all(), MARGIN)
        self._loop.close()
        self._loop = None
        self._locks = {}  # they belonged to the closed loop

    async def _close_all(self) -> None:
        connections, self._connections = list(self._connections.values()), {}
        for connection in connections:
            connection.close()
            await connection.wait_closed()

    # -- connections ------------------------------------------------------------------------------------------
    def _access(self, device: str) -> SshAccess:
        access = self._accesses.get(device)
        if access is None:
            raise DriverError(
                f"{device}: no SSH access known for it (is it a Linux host of the design?)", device=device
            )
        return access

    def _run(
        self,
        device: str,
        what: str,
        work: Callable[[asyncssh.SSHClientConnection], Awaitable[T]],
        timeout: float,
    ) -> T:
        access = self._access(device)
        with self._starting:  # two threads starting a loop each would share connections across loops
            if self._loop is None:
                self._loop = LoopThread(f"ssh-{self._netns or 'here'}", self._netns)
            loop = self._loop
        budget = (
            timeout
            + access.timeout * access.attempts
            + Backoff(access.attempts, access.backoff).total
            + MARGIN
        )
        try:
            return loop.run(self._with_connection(access, work), budget)
        except TimeoutError:
            raise DriverError(f"{device}: {what}: no answer within {timeout:g} s", device=device) from None
        except asyncssh.sftp.SFTPError as exc:
            raise DriverError(f"{device}: {what}: {exc.reason}", device=device) from None
        except (asyncssh.Error, OSError) as exc:
            raise DriverError(f"{device}: {what}: {_reason(exc)}", device=device) from None

    async def _with_connection(
        self, access: SshAccess, work: Callable[[asyncssh.SSHClientConnection], Awaitable[T]]
    ) -> T:
        # One connection per device, also when calls for it come from several threads at once.
        async with self._locks.setdefault(access.device, asyncio.Lock()):
            connection = self._connections.get(access.device)
            if connection is None or connection.is_closed():
                connection = await self._connect(access)
                self._connections[access.device] = connection
        return await work(connection)

    async def _connect(self, access: SshAccess) -> asyncssh.SSHClientConnection:
        delays = [*Backoff(access.attempts, access.backoff).delays(), None]
        for delay in delays:
            try:
                return await asyncssh.connect(
                    access.address,
                    access.port,
                    username=access.user,
                    known_hosts=access.known_hosts,
                    client_keys=list(access.client_keys) or (),
                    config=(),  # what the caller says, not ~/.ssh/config
                    connect_timeout=access.timeout,
                    login_timeout=access.timeout,
                    keepalive_interval=15,
                )
            except asyncssh.HostKeyNotVerifiable as exc:
                raise _unverified(access, exc) from None
            except asyncssh.PermissionDenied as exc:
                raise DriverError(
                    f"{access.device}: SSH to {access.where}: login refused ({exc.reason}); check its key",
                    device=access.device,
                ) from None
            except (asyncssh.Error, OSError, TimeoutError) as exc:
                if delay is None:
                    tried = Backoff(access.attempts, access.backoff).describe()
                    raise DriverError(
                        f"{access.device}: SSH to {access.where}: no connection ({_reason(exc)}; {tried}); "
                        "check the address and that sshd runs there",
                        device=access.device,
                    ) from None
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- DeviceDriver -----------------------------------------------------------------------------------------
    def exec(self, device: str, args: Sequence[str], *, timeout: float = 60) -> CommandResult:
        command = shlex.join(args)

        async def run(connection: asyncssh.SSHClientConnection) -> CommandResult:
            done = await connection.run(command, check=False, timeout=timeout, errors="replace")
            return CommandResult(
                done.returncode if done.returncode is not None else -1, _text(done.stdout), _text(done.stderr)
            )

        return self._run(device, args[0] if args else "exec", run, timeout)

    def put(self, device: str, path: str, content: str, mode: str = "0644") -> None:
        permissions = _mode(device, mode)

        async def write(connection: asyncssh.SSHClientConnection) -> None:
            directory = posixpath.dirname(path) or "/"
            temporary = posixpath.join(
                directory, f".{posixpath.basename(path)}.trisite-{secrets.token_hex(4)}"
            )
            async with connection.start_sftp_client() as sftp:
                await sftp.makedirs(directory, exist_ok=True)
                try:
                    async with sftp.open(temporary, "w", asyncssh.SFTPAttrs(permissions=permissions)) as file:
                        await file.write(content)
                    await sftp.chmod(temporary, permissions)  # open's mode went through the server's umask
                    await sftp.posix_rename(temporary, path)
                except BaseException:
                    with contextlib.suppress(asyncssh.sftp.SFTPError):
                        await sftp.remove(temporary)
                    raise

        self._run(device, f"put {path}", write, FILE_TIMEOUT)

    def get(self, device: str, path: str) -> str | None:
        async def read(connection: asyncssh.SSHClientConnection) -> str | None:
            async with connection.start_sftp_client() as sftp:
                try:
                    async with sftp.open(path, "r", errors="replace") as file:
                        return str(await file.read())
                except asyncssh.sftp.SFTPNoSuchFile:
                    return None

        return self._run(device, f"get {path}", read, FILE_TIMEOUT)

    def delete(self, device: str, path: str) -> None:
        async def remove(connection: asyncssh.SSHClientConnection) -> None:
            async with connection.start_sftp_client() as sftp:
                with contextlib.suppress(asyncssh.sftp.SFTPNoSuchFile):
                    await sftp.remove(path)

        self._run(device, f"delete {path}", remove, FILE_TIMEOUT)

    def service(self, device: str, name: str, action: ServiceAction) -> None:
        if action not in get_args(ServiceAction):
            raise DriverError(f"{device}: service {name}: unknown action {action}", device=device)
        systemctl = self._access(device).systemctl
        before = self._unit_chores(device, systemctl, name) if action in ("start", "restart") else []
        for words in [*before, [action, name]]:
            done = self.exec(device, [systemctl, *words])
            if done.returncode != 0:
                said = " ".join(words)
                raise DriverError(f"{device}: systemctl {said}: {_last_line(done)}", device=device)

    def _unit_chores(self, device: str, systemctl: str, name: str) -> list[list[str]]:
        """Before a unit starts: systemd reads its file again if the deployment changed it, and a disabled unit
        is enabled (the ones trisite writes, ucarp's, the backup timers, the DNS health agent, and instances such
        as wg-quick@wg0), so that it starts at boot as well. Static, masked, alias and enabled units are left."""
        shown = self.exec(device, [systemctl, "show", "--property=NeedDaemonReload,UnitFileState", name])
        found = dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)
        chores = [["daemon-reload"]] if found.get("NeedDaemonReload") == "yes" else []
        return chores + ([["enable", name]] if found.get("UnitFileState") == "disabled" else [])

    def observe(self, device: str, what: str) -> str:
        if what == "nftables":
            return self._checked(device, NFT_RULESET)
        if what == "routes":
            return self._checked(device, ROUTES)
        if what == "accounts":
            return self._checked(device, ACCOUNTS)
        if what == "bootstrap-rules":
            done = self.exec(device, BOOTSTRAP_CHAIN)
            return bootstrap_rules(done.stdout) if done.returncode == 0 else ""  # no chain: no rules left
        if what == "frr":
            done = self.exec(device, ["vtysh", "-c", "show running-config"])
            if done.returncode != 0 and any(n in done.stderr + done.stdout for n in NO_FRR):
                return ""
            return self._result(device, "vtysh", done)
        raise DriverError(f"{device}: SSH cannot observe {what}", device=device)

    def _checked(self, device: str, args: Sequence[str]) -> str:
        return self._result(device, args[0], self.exec(device, args))

    @staticmethod
    def _result(device: str, name: str, done: CommandResult) -> str:
        if done.returncode != 0:
            raise DriverError(f"{device}: {name}: {_last_line(done)}", device=device)
        return done.stdout


def _unverified(access: SshAccess, exc: asyncssh.HostKeyNotVerifiable) -> DriverError:
    return DriverError(
        f"{access.device}: SSH to {access.where}: host key not verified against {access.known_hosts} "
        f"({exc.reason}); check its fingerprint on the console, then add it there",
        device=access.device,
    )


def _mode(device: str, mode: str) -> int:
    try:
        permissions = int(mode, 8)
    except ValueError:
        permissions = -1
    if not 0 <= permissions <= 0o7777:
        raise DriverError(f"{device}: file mode {mode!r}: use octal digits such as 0644", device=device)
    return permissions


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _last_line(done: CommandResult) -> str:
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
    return str(reason).strip().splitlines()[0] if str(reason).strip() else type(exc).__name__
