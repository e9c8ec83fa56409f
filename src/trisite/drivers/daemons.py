"""Supervised daemons in lab namespaces: what systemd's `Restart=always` does on a real host.

Each daemon runs in the foreground under a shell loop that restarts it a moment after it dies, in a process
group of its own; the group's id is written to `RUN/DEVICE/NAME.pid` and returned, so that the lab records it
(`lab down` kills the group, and every process left in the lab's namespaces, also after a crash). Stopping a
daemon kills its group (it stays down); killing it kills the daemon alone (the loop starts it again).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from trisite.errors import DriverError

IP = "/usr/sbin/ip" if Path("/usr/sbin/ip").exists() else "ip"
RESTART_S = 0.5  # systemd's RestartSec is 100 ms; a little more keeps a crash loop from eating the cores


def pidfile(run: Path, device: str, name: str) -> Path:
    return run / device / f"{name}.pid"


def start(run: Path, device: str, netns: str, name: str, args: Sequence[str]) -> int:
    """Start `args` in `netns` under a restart loop (stopping one already there); returns the group id."""
    stop(run, device, name)
    log = run / device / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    loop = f"while true; do {shlex.join(args)}; sleep {RESTART_S}; done"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own argument list
            [IP, "netns", "exec", netns, "sh", "-c", loop],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pidfile(run, device, name).write_text(str(process.pid), encoding="utf-8")
    (run / device / f"{name}.args").write_text(json.dumps([netns, *args]), encoding="utf-8")
    return process.pid


def restart(run: Path, device: str, name: str) -> int:
    """Start a daemon again as it was last started (after a `stop` fault)."""
    path = run / device / f"{name}.args"
    if not path.exists():
        raise DriverError(f"{device}: the lab never started {name} there", device=device)
    netns, *args = json.loads(path.read_text(encoding="utf-8"))
    return start(run, device, netns, name, args)


def group(run: Path, device: str, name: str) -> int | None:
    path = pidfile(run, device, name)
    text = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    return int(text) if text.isdigit() else None


def groups(run: Path) -> list[int]:
    """Every daemon group started under `run` and not stopped since (what `lab down` kills besides the ones
    the lab recorded: a fault's restart happens after the deployment that recorded the others)."""
    found = []
    for path in sorted(run.glob("*/*.pid")):
        text = path.read_text(encoding="utf-8").strip()
        if text.isdigit():
            found.append(int(text))
    return found


def names(run: Path, device: str) -> list[str]:
    """The daemons started on a device (running or stopped since)."""
    return sorted(p.stem for p in (run / device).glob("*.args"))


def stop(run: Path, device: str, name: str, timeout: float = 5.0) -> None:
    """Kill the daemon's group (loop and daemon) and wait until it is gone; it stays down."""
    pgid = group(run, device, name)
    if pgid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while alive(pgid):
        if time.monotonic() > deadline:
            raise DriverError(f"{device}: {name} (group {pgid}) still runs {timeout:g} s after SIGKILL")
        time.sleep(0.02)
    pidfile(run, device, name).unlink(missing_ok=True)


def kill(run: Path, device: str, name: str) -> None:
    """Kill the daemon as a crash would (SIGKILL); its loop starts it again."""
    pgid = group(run, device, name)
    found = children(pgid) if pgid is not None else []
    if not found:
        raise DriverError(f"{device}: {name} is not running", device=device)
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def running(run: Path, device: str, name: str) -> bool:
    pgid = group(run, device, name)
    return pgid is not None and bool(children(pgid))


def alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return _group_members(pgid) != []


def _group_members(pgid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (proc / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    found.append(int(proc.name))
    return found


def children(pgid: int) -> list[int]:
    """The daemon itself: the group's members but the loop and its `sleep`."""
    found = []
    for pid in _group_members(pgid):
        with contextlib.suppress(OSError):
            argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
            if pid != pgid and argv[0] not in (b"sleep", b"sh", IP.encode(), b"ip"):
                found.append(pid)
    return found
