"""Reading many devices at once through a driver: each answer or the one-line error that stopped it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from trisite.errors import TargetError

T = TypeVar("T")


def gather(names: Iterable[str], read: Callable[[str], T], parallel: int) -> dict[str, T | TargetError]:
    """name -> what `read(name)` returned, or the TargetError it raised (a device that cannot be read is a
    finding of its own, not the end of the check)."""

    def one(name: str) -> T | TargetError:
        try:
            return read(name)
        except TargetError as exc:
            return exc

    ordered = sorted(set(names))
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return dict(zip(ordered, pool.map(one, ordered), strict=True))
