"""Run a piece of Python inside a lab namespace: the sockets it opens live there.

setns(2) with CLONE_NEWNET changes only the calling thread, so the work runs in a thread of its own that enters
the namespace first; the rest of the process stays where it was. Python 3.11 has no os.setns, hence libc.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from trisite.errors import DriverError

T = TypeVar("T")
# Every namespace the lab makes starts with this, so that `lab down` and a human can tell ours from others'.
PREFIX = "ts-"
CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
# The process's own symbols include libc's; find_library("c") would spawn ldconfig, hundreds of ms per call.
_LIBC = ctypes.CDLL(None, use_errno=True)


def namespace(device: str) -> str:
    """The lab namespace of a device (or of any other lab-made endpoint such as `bmc-NETWORK`)."""
    return PREFIX + device


def enter(netns: str) -> None:
    """Move the calling thread into `netns` (for a thread that lives there, as a probe does)."""
    try:
        fd = os.open(NETNS_DIR / netns, os.O_RDONLY)
    except OSError:
        raise DriverError(f"namespace {netns} does not exist (is the lab up?)") from None
    try:
        if _LIBC.setns(fd, CLONE_NEWNET) != 0:
            raise DriverError(f"cannot enter namespace {netns}: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)


def call_in_netns(netns: str, work: Callable[[], T]) -> T:
    """`work()`'s result, computed by a thread inside `netns`; its exception re-raised here."""
    results: list[T] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            enter(netns)
            results.append(work())
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run, name=f"netns-{netns}", daemon=True)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
    return results[0]
