"""One deployment at a time per design and target: an exclusive lock with its holder written beside it.

The lock is `flock(2)` on a file: the kernel releases it when its holder dies, `kill -9` included, so a crashed
deployment never leaves a lock behind on this machine. The holder's description (who, which process on which
host, why, since when) is what a second deployment is told when it is refused.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

from trisite.errors import TargetError


class LockedError(TargetError):
    """Another deployment holds the lock; `holder` says which."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class Holder:
    user: str
    pid: int
    host: str
    reason: str
    since: str  # UTC, ISO 8601

    def __str__(self) -> str:
        return f"{self.user} (pid {self.pid} on {self.host}, since {self.since}: {self.reason})"

    @classmethod
    def me(cls, reason: str) -> Holder:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return cls(getpass.getuser(), os.getpid(), socket.gethostname(), reason, now)


class Lock:
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        self._fd: int | None = None

    @property
    def _info(self) -> Path:
        return self.path.with_suffix(".holder")

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = read_holder(self._info)
            said = str(holder) if holder else "another process (its description is missing)"
            raise LockedError(
                f"{self.path.parent}: a deployment is already running: {said}; wait for it, or if it is "
                "gone for good from another host, `--force-unlock` (dangerous)",
                holder,
            ) from None
        self._fd = fd
        self._info.write_text(json.dumps(asdict(Holder.me(self.reason))) + "\n", encoding="utf-8")
        return self

    def __exit__(self, *_: object) -> None:
        if self._fd is None:
            return
        self._info.unlink(missing_ok=True)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def read_holder(info: Path) -> Holder | None:
    try:
        return Holder(**json.loads(info.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def force_unlock(path: Path) -> Holder | None:
    """Forget the lock and its holder. Dangerous: a holder still at work keeps writing, and a new deployment
    would run beside it; only for a holder known to be gone (a crashed station whose state dir is shared)."""
    holder = read_holder(path.with_suffix(".holder"))
    path.with_suffix(".holder").unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    return holder
