"""A deployment plan as people read it (a table per step, then the diffs) and as a saved, checkable file."""

from __future__ import annotations

import json
from typing import Any

from trisite.plan.diff import PlanDiff, StepChange
from trisite.plan.steps import Plan
from trisite.report.table import Table

SCHEMA_VERSION = 1
SHOWN = ("create", "change", "remove", "not on this target")


def plan_table(plan: Plan, changes: PlanDiff, target: str, *, all_steps: bool = False) -> Table:
    rows = []
    for change in changes.changes:
        if not all_steps and change.action not in SHOWN:
            continue
        step = plan.by_id.get(change.step)
        phase, site = (step.phase, step.site or "platform") if step else ("-", "-")
        rows.append((change.step, phase, site, change.action, change.why))
    return Table(
        f"Plan on the {target} target ({summary(changes)})",
        ("step", "phase", "site", "action", "why"),
        tuple(rows),
    )


def summary(changes: PlanDiff) -> str:
    counts = changes.counts()
    order = ("create", "change", "remove", "unchanged", "not on this target")
    return ", ".join(f"{counts[a]} {a}" for a in order if counts.get(a))


def diffs(changes: PlanDiff) -> str:
    """The unified diff of every change, under its step (redacted already). What a step creates is new
    whole: the rendered tree (`trisite render`) shows it, not the plan."""
    return "".join(
        f"# {c.step}: {c.action} ({c.why})\n{c.diff}"
        for c in changes.changes
        if c.diff and c.action == "change"
    )


def _change(c: StepChange) -> dict[str, Any]:
    return {"step": c.step, "action": c.action, "why": c.why, "input": c.input_hash, "diff": c.diff}


def to_dict(changes: PlanDiff, *, design_hash: str, target: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "design": design_hash,
        "target": target,
        "changes": [_change(c) for c in changes.changes],
    }


def to_json(changes: PlanDiff, *, design_hash: str, target: str) -> str:
    return (
        json.dumps(to_dict(changes, design_hash=design_hash, target=target), indent=2, sort_keys=True) + "\n"
    )
