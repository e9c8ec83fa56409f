"""Run the chosen categories of checks against a target's reality, timed, in the order of CATEGORIES."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from trisite.check import bmcs, cabling, flows, links, routing
from trisite.check.reality import Reality
from trisite.check.result import CATEGORIES, CategoryResult, Check, CheckReport
from trisite.errors import UsageError
from trisite.model import Design

Category = Callable[[Design, Reality], list[Check]]
MODULES: dict[str, Category] = {
    "cabling": cabling.check,
    "links": links.check,
    "bmcs": bmcs.check,
    "routing": routing.check,
    "flows": flows.check,
}
BUILT = tuple(c for c in CATEGORIES if c in MODULES)


def chosen(names: Sequence[str]) -> list[str]:
    """The categories asked for (all when none), in their order; an unknown one is a usage error."""
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        raise UsageError(f"-k: unknown category {unknown[0]!r}; known: {', '.join(BUILT)}")
    return [c for c in BUILT if not names or c in names]


def run(
    design: Design, reality: Reality, categories: Sequence[str], *, name: str = "", target: str = ""
) -> CheckReport:
    report = CheckReport(name, target)
    started = time.monotonic()
    for category in chosen(categories):
        begun = time.monotonic()
        checks = sorted(MODULES[category](design, reality), key=lambda c: (c.status != "fail", c.subject))
        report.categories.append(
            CategoryResult(category, checks, time.monotonic() - begun, reality.notes.get(category, []))
        )
    report.seconds = time.monotonic() - started
    return report
