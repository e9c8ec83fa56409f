"""Deployment tools driven by Ansible (the oVirt collection, Kubespray, ...), run from the station through
ansible-runner.

Each run gets a private directory (0700, removed afterwards): the rendered files under `project/`, the rendered
inventories under `inventory/`, the tool's playbook (a rendered file, or one on the station such as a Kubespray
checkout's cluster.yml) and its variable files passed as `-e @FILE`. Host keys are checked against the
known_hosts the caller gives, and no SSH master is left behind. Ansible's events become one progress line per
task and host; a failed run is one DriverError naming the host and the task that failed.

ansible-runner would take over SIGINT and SIGTERM when called from the main thread; it is given its own cancel
callback instead, so that the CLI keeps its Ctrl-C.
"""

from __future__ import annotations

import fnmatch
import shlex
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import ansible_runner  # type: ignore[import-untyped]  # untyped; called through RUN below

from trisite.drivers.netns import call_in_netns
from trisite.drivers.protocols import CommandResult
from trisite.drivers.retry import Backoff
from trisite.errors import DriverError

RESULTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}
MESSAGE_LIMIT = 200
RUN: Callable[..., Any] = ansible_runner.run


@dataclass(frozen=True)
class Playbook:
    """How a tool runs. `path`: relative, a rendered file ("{unit}" replaced); absolute, one on the station."""

    path: str
    inventories: str = "*/ansible/*.yml"  # the rendered files that are inventories (fnmatch)
    variables: str = ""  # the rendered files passed as extra variables ("{unit}" replaced), none when empty


@dataclass(frozen=True)
class AnsibleAccess:
    """How Ansible logs in to the platform's hosts."""

    known_hosts: str  # the host keys are checked against it (always)
    user: str = "root"
    private_key: str = ""  # none: ssh's own defaults (agent, ~/.ssh)
    env: Mapping[str, str] = field(default_factory=dict)  # more ANSIBLE_* settings, e.g. a python interpreter

    def envvars(self, private: Path) -> dict[str, str]:
        ssh = f"-o UserKnownHostsFile={shlex.quote(self.known_hosts)} -o StrictHostKeyChecking=yes -o ControlMaster=no"
        found = {
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_SSH_ARGS": ssh,
            "ANSIBLE_REMOTE_USER": self.user,
            "ANSIBLE_PIPELINING": "True",  # one SSH connection per task instead of three; no SSH master needed
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCAL_TEMP": str(private / "tmp"),  # nothing left under ~/.ansible
        }
        if self.private_key:
            found["ANSIBLE_PRIVATE_KEY_FILE"] = self.private_key
        return {**found, **self.env}


@dataclass
class Outcome:
    """What a run's events said: the first failure, per-host unreachability, and the progress lines."""

    failure: tuple[str, str, str] | None = None  # host, task, message
    unreachable: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


class AnsibleDriver:
    """The site's ToolDriver for tools Ansible runs. `netns`: the namespace to run from (the lab's station)."""

    def __init__(
        self,
        playbooks: Mapping[str, Playbook],
        access: AnsibleAccess,
        *,
        netns: str | None = None,
        timeout: float = 3600.0,
        attempts: int = 2,
        backoff: float = 10.0,
        progress: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._playbooks = dict(playbooks)
        self._access = access
        self._netns = netns
        self._timeout = timeout
        self._backoff = Backoff(attempts, backoff)
        self._progress = progress
        self._sleep = sleep
        self._cancelled = threading.Event()
        self.capabilities = frozenset(f"tool:{name}" for name in self._playbooks)

    def cancel(self) -> None:
        """Stop a running playbook (from another thread: the runner's interruption)."""
        self._cancelled.set()

    def run_tool(self, tool: str, unit: str, files: dict[str, str]) -> CommandResult:
        playbook = self._playbooks.get(tool)
        if playbook is None:
            known = ", ".join(sorted(self._playbooks)) or "none"
            raise DriverError(f"tool {tool}: no playbook known for it (this driver runs: {known})")
        for delay in [*self._backoff.delays(), None]:
            result, outcome = self._once(tool, unit, playbook, files)
            # A run where hosts were only unreachable may succeed later (a host still booting); a failed task
            # would fail again.
            if (
                result.returncode == 0
                or outcome.failure is not None
                or not outcome.unreachable
                or delay is None
            ):
                return self._judged(tool, unit, result, outcome)
            self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _once(
        self, tool: str, unit: str, playbook: Playbook, files: Mapping[str, str]
    ) -> tuple[CommandResult, Outcome]:
        private = Path(tempfile.mkdtemp(prefix=f"trisite-{tool}-"))  # 0700
        try:
            options = self._prepare(private, unit, playbook, files)
            outcome = Outcome()
            options["event_handler"] = lambda event: self._event(tool, unit, event, outcome)

            def work() -> Any:
                return RUN(**options)

            runner = call_in_netns(self._netns, work) if self._netns else work()  # its fork lands there
            if runner.status == "timeout":
                raise DriverError(
                    f"tool {tool} {unit}: no end within {self._timeout:g} s (the playbook was stopped)"
                )
            if runner.status == "canceled":
                raise DriverError(f"tool {tool} {unit}: cancelled")
            return CommandResult(int(runner.rc or 0), runner.stdout.read(), ""), outcome
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def _prepare(
        self, private: Path, unit: str, playbook: Playbook, files: Mapping[str, str]
    ) -> dict[str, Any]:
        project, inventory = private / "project", private / "inventory"
        for path, content in sorted(files.items()):
            target = project / _relative(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            if fnmatch.fnmatch(path, playbook.inventories):
                inventory.mkdir(exist_ok=True)
                (inventory / path.replace("/", "__")).write_text(content, encoding="utf-8")
        (private / "tmp").mkdir()
        book = playbook.path.replace("{unit}", unit)
        book_path = book if PurePosixPath(book).is_absolute() else str(project / _relative(book))
        if not Path(book_path).is_file():
            raise DriverError(f"tool {unit}: no playbook {book} (rendered or on the station)")
        wanted = playbook.variables.replace("{unit}", unit)
        variables = [
            str(project / _relative(p)) for p in sorted(files) if wanted and fnmatch.fnmatch(p, wanted)
        ]
        return {
            "private_data_dir": str(private),
            "playbook": book_path,
            "envvars": self._access.envvars(private),
            "cmdline": " ".join(f"-e @{shlex.quote(v)}" for v in variables) or None,
            "quiet": True,  # a library never prints: the events are the progress
            "timeout": int(self._timeout),
            "cancel_callback": self._cancelled.is_set,
            "suppress_env_files": True,  # no environment (keys, settings) written to disk
        }

    def _event(self, tool: str, unit: str, event: Mapping[str, Any], outcome: Outcome) -> bool:
        result = RESULTS.get(str(event.get("event")))
        data = event.get("event_data") or {}
        if result is None:
            return True
        host, task = str(data.get("host", "?")), str(data.get("task", "?"))
        res = data.get("res") or {}
        if result == "ok" and isinstance(res, Mapping) and res.get("changed"):
            result = "changed"
        line = f"{tool} {unit}: {host}: {task}: {result}"
        outcome.lines.append(line)
        if self._progress is not None:
            self._progress(line)
        if result == "unreachable":
            outcome.unreachable.append(host)
        if result == "failed" and not data.get("ignore_errors") and outcome.failure is None:
            outcome.failure = (host, task, _message(res))
        return True

    def _judged(self, tool: str, unit: str, result: CommandResult, outcome: Outcome) -> CommandResult:
        if result.returncode == 0:
            return result
        if outcome.failure is not None:
            host, task, message = outcome.failure
            raise DriverError(f"tool {tool} {unit}: {host}: task '{task}' failed: {message}", device=host)
        if outcome.unreachable:
            hosts = ", ".join(sorted(set(outcome.unreachable)))
            tried = self._backoff.describe()
            raise DriverError(
                f"tool {tool} {unit}: unreachable: {hosts} ({tried}); check SSH to them", device=hosts
            )
        last = result.stdout.strip().splitlines()[-1:] or [f"exit {result.returncode}"]
        raise DriverError(f"tool {tool} {unit}: ansible-playbook failed: {last[0][:MESSAGE_LIMIT]}")


def _relative(path: str) -> PurePosixPath:
    """A rendered file's path inside the private directory: never absolute, never climbing out of it."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise DriverError(f"rendered file {path!r}: a path inside the output tree was expected")
    return relative


def _message(res: object) -> str:
    if not isinstance(res, Mapping):
        return "failed"
    text = str(res.get("msg") or res.get("stderr") or res.get("reason") or "failed").strip()
    first = text.splitlines()[0] if text else "failed"
    return first[:MESSAGE_LIMIT]
