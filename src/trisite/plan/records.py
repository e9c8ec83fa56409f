"""What the journal says about a step: the shape the plan reads and the journal (drivers/journal.py) stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StepState = Literal["started", "done", "failed"]


@dataclass(frozen=True)
class Record:
    step: str
    input: str  # the hash of everything the step applies (its inputs, secrets as placeholders)
    state: StepState
    at: float
    seconds: float | None
    detail: str
