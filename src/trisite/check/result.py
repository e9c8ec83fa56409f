"""What a check says: one comparison of the design with what was observed, both ends named, and a fix hint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["pass", "fail", "skip"]
CATEGORIES = ("cabling", "links", "bmcs", "routing", "flows")


@dataclass(frozen=True, order=True)
class Check:
    category: str
    subject: str  # what was checked: a port, a link's end, a BMC, a session
    status: Status
    kind: str = "match"  # how it compares: match, swapped, missing, unexpected, wrong-site, slow, hangs, ...
    expected: str = ""
    found: str = ""
    hint: str = ""  # how to fix it (empty when it passes)

    @property
    def ok(self) -> bool:
        return self.status != "fail"


def passed(category: str, subject: str, expected: str, found: str = "", kind: str = "match") -> Check:
    return Check(category, subject, "pass", kind, expected, found or expected)


def failed(category: str, subject: str, kind: str, expected: str, found: str, hint: str) -> Check:  # noqa: PLR0917 - the six facts of a mismatch, in the order a table shows them
    return Check(category, subject, "fail", kind, expected, found, hint)


def skipped(category: str, subject: str, why: str) -> Check:
    return Check(category, subject, "skip", "not observable", "", "", why)


@dataclass
class CategoryResult:
    category: str
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what the category measured (the flow scan's probe count)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class CheckReport:
    design: str
    target: str
    categories: list[CategoryResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.categories)

    @property
    def failures(self) -> list[Check]:
        return [c for cat in self.categories for c in cat.checks if c.status == "fail"]

    def checks_of(self, category: str) -> list[Check]:
        return [c for cat in self.categories if cat.category == category for c in cat.checks]
