"""What a campaign has injected and not yet mended, kept in a small state file beside the target's state.

It is written before a fault is injected and removed once the rollback is done, so that a campaign killed
between the two (`kill -9`, a lost terminal) leaves the list of what is still broken: the next run mends it
before anything else."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from trisite.drivers.protocols import FaultDriver
from trisite.errors import TrisiteError

FILE = "prove-injected.json"


@dataclass(frozen=True)
class Injected:
    scenario: str
    components: tuple[str, ...]
    since: str  # wall-clock time (UTC, ISO 8601) of the injection
    pid: int  # the campaign that injected it


def write(state: Path, scenario: str, components: list[str]) -> None:
    """Journal the fault about to be injected (atomically: a crash leaves the old file or the new one)."""
    state.mkdir(parents=True, exist_ok=True)
    since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = {"scenario": scenario, "components": components, "since": since, "pid": os.getpid()}
    temporary = state / (FILE + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(record, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(state / FILE)


def read(state: Path) -> Injected | None:
    path = state / FILE
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return Injected(
            str(record["scenario"]),
            tuple(str(c) for c in record["components"]),
            str(record["since"]),
            int(record["pid"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TrisiteError(f"{path}: unreadable journal of injected faults ({exc}); mend by hand") from None


def clear(state: Path) -> None:
    (state / FILE).unlink(missing_ok=True)


def recover(driver: FaultDriver, state: Path) -> Injected | None:
    """Mend what a previous campaign left injected (it was killed before its rollback); what was mended."""
    left = read(state)
    if left is None:
        return None
    for component in left.components:
        driver.set_component(component, True)
    clear(state)
    return left
