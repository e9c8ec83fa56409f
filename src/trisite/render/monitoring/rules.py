"""An alert rule and the promtool cases that prove it: every alert carries a case where it fires and one where it
stays quiet, so the rule file and its tests come from one definition and cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Labels = dict[str, str]

# promtool's input series are sampled every TEST_INTERVAL; values are in its expanding notation ("1 0x40":
# one 1, then forty-one 0s).
TEST_INTERVAL = "15s"


def series(metric: str, labels: Labels) -> str:
    """A series selector as promtool's input_series takes it."""
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{metric}{{{inner}}}"


def steady(value: float, minutes: int) -> str:
    """VALUE at every TEST_INTERVAL sample for MINUTES (and one more, so an evaluation at MINUTES sees it)."""
    return f"{value:g}x{minutes * 4}"


def flips(before: float, after: float, at_minute: int, minutes: int) -> str:
    """BEFORE until AT_MINUTE, then AFTER until MINUTES."""
    return f"{before:g}x{at_minute * 4 - 1} {after:g}x{(minutes - at_minute) * 4}"


@dataclass(frozen=True)
class Case:
    """One promtool test: SERIES (selector -> values) fed in, and the alerts expected at EVAL: the label sets of
    the alerts that fire (without alertname and severity, which the rule adds), none for a quiet case."""

    why: str
    series: dict[str, str]
    fires: tuple[Labels, ...] = ()
    eval: str = "10m"
    interval: str = TEST_INTERVAL


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    duration: str
    severity: str
    summary: str  # may use {{ $labels.NAME }} only: the tests expand it to the annotation they expect
    cases: tuple[Case, ...] = field(default=())
    labels: Labels = field(default_factory=dict)  # beside severity: what tells apart rules of one name

    def rule(self) -> dict[str, Any]:
        found: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if self.duration != "0s":
            found["for"] = self.duration
        found["labels"] = {**self.labels, "severity": self.severity}
        found["annotations"] = {"summary": self.summary}
        return found


def merged(*parts: dict[str, str]) -> dict[str, str]:
    """Series sets of a case: a healthy baseline, overridden by what the case changes."""
    found: dict[str, str] = {}
    for p in parts:
        found.update(p)
    return found
