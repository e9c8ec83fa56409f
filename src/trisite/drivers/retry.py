"""Bounded retries with exponential backoff, shared by the site drivers (Redfish, SSH, OPNsense).

A device that is busy with itself often answers a little later; one that is down never does. So every driver
tries a bounded number of times, waiting longer each time, and then says what it tried. The clock and the
sleep are parameters, so that a test of a hung device counts the waits instead of sleeping them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    attempts: int = 3
    first: float = 1.0  # seconds before the second attempt
    factor: float = 2.0
    cap: float = 30.0  # no wait longer than this, however many attempts

    def delays(self) -> list[float]:
        """The waits between attempts (one fewer than the attempts)."""
        return [min(self.cap, self.first * self.factor**n) for n in range(max(0, self.attempts - 1))]

    @property
    def total(self) -> float:
        return sum(self.delays())

    def describe(self) -> str:
        """'3 attempts over 3 s', for the one line an error ends in."""
        tries = "1 attempt" if self.attempts <= 1 else f"{self.attempts} attempts"
        return tries if self.total <= 0 else f"{tries} over {self.total:g} s"


def retried(
    work: Callable[[], T],
    backoff: Backoff,
    *,
    transient: Callable[[Exception], bool],
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`work()`, tried again after each wait of `backoff` while it fails transiently; the last failure raised."""
    for delay in [*backoff.delays(), None]:
        try:
            return work()
        except Exception as exc:
            if delay is None or not transient(exc):
                raise
        sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def wait_until(
    check: Callable[[], bool],
    within: float,
    every: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Whether `check()` held before `within` seconds passed, asking every `every` seconds."""
    deadline = clock() + within
    while True:
        if check():
            return True
        if clock() >= deadline:
            return False
        sleep(min(every, max(0.0, deadline - clock())))
