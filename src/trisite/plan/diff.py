"""What a deployment would do, step by step: create, change, unchanged, remove, or not on this target.

Pure: it compares the plan with the journal's records and with facts read back from the target beforehand
(execute/facts.py). Every text here is redacted (secrets as `${secret:NAME}`), so diffs can be shown and saved.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from trisite.plan.records import Record
from trisite.plan.steps import Plan, Step
from trisite.render.artifact import Artifact

Action = Literal["create", "change", "unchanged", "remove", "not on this target"]


@dataclass(frozen=True)
class Facts:
    """What the target holds now, redacted: files per (device, path) (None: absent), live state per
    (device, what)."""

    files: Mapping[tuple[str, str], str | None] = field(default_factory=dict)
    observed: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def digest(self) -> str:
        """One hash of everything seen, to tell later whether the target changed since."""
        doc = {
            "files": sorted([list(k), v] for k, v in self.files.items()),
            "observed": sorted([list(k), v] for k, v in self.observed.items()),
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StepChange:
    step: str
    action: Action
    why: str
    diff: str = ""  # unified diff of files or live state, redacted
    input_hash: str = ""


@dataclass(frozen=True)
class PlanDiff:
    changes: tuple[StepChange, ...]

    @property
    def pending(self) -> list[StepChange]:
        return [c for c in self.changes if c.action in ("create", "change", "remove")]

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for change in self.changes:
            found[change.action] = found.get(change.action, 0) + 1
        return found


def unified(before: str | None, after: str, before_name: str, after_name: str) -> str:
    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=before_name if before is not None else "/dev/null",
        tofile=after_name,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class Known:
    """What a plan is compared with: the journal's last record per step, the live state as the last step
    that read it back recorded it, the facts read now, and per step the capabilities the target lacks."""

    records: Mapping[str, Record]
    observed_then: Mapping[tuple[str, str], str]
    facts: Facts
    missing: Mapping[str, frozenset[str]]


def diff(plan: Plan, artifacts: Mapping[str, Artifact], known: Known) -> PlanDiff:
    owners = _observation_owners(plan)
    changes = [_change(step, artifacts, known, owners) for step in plan.ordered()]
    planned = {s.id for s in plan.steps}
    changes += [
        StepChange(step, "remove", "in the journal, no longer in the design")
        for step, record in sorted(known.records.items())
        if step not in planned and record.state == "done"
    ]
    return PlanDiff(tuple(changes))


def _observation_owners(plan: Plan) -> dict[tuple[str, str], str]:
    """The step that sets each piece of live state (the first to read it back: the filter for the ruleset).
    A check reads state to see something is gone, it does not set it: routes learned since are no drift."""
    owners: dict[tuple[str, str], str] = {}
    for step in plan.ordered():
        for what in step.observe if step.kind != "check" else ():
            owners.setdefault((step.device, what), step.id)
    return owners


def _change(
    step: Step, artifacts: Mapping[str, Artifact], known: Known, owners: Mapping[tuple[str, str], str]
) -> StepChange:
    wanted = step.input_hash(artifacts)
    missing = known.missing.get(step.id, frozenset())
    if missing:
        return StepChange(step.id, "not on this target", f"the target cannot: {', '.join(sorted(missing))}")
    record = known.records.get(step.id)
    files = _files_diff(step, artifacts, known.facts)
    if record is None:
        return StepChange(step.id, "create", "never run", files, wanted)
    if record.state != "done":
        return StepChange(step.id, "create", f"its last run {record.state} and did not finish", files, wanted)
    return _after_done(step, record, known, owners, files=files, wanted=wanted)


def _after_done(
    step: Step,
    record: Record,
    known: Known,
    owners: Mapping[tuple[str, str], str],
    *,
    files: str,
    wanted: str,
) -> StepChange:
    """A step the journal says is done: changed by the design, taken away by cleanup, drifted, or unchanged."""
    if record.input != wanted:
        return StepChange(step.id, "change", "the design changed", files, wanted)
    remover = known.records.get(step.removed_by) if step.removed_by else None
    if remover is not None and remover.state == "done":
        return StepChange(
            step.id, "unchanged", f"done, then taken away by {step.removed_by}", input_hash=wanted
        )
    drift = files + _live_diff(step, known.observed_then, known.facts, owners)
    if drift:
        return StepChange(step.id, "change", "the target drifted from what was deployed", drift, wanted)
    return StepChange(step.id, "unchanged", "done", input_hash=wanted)


def _files_diff(step: Step, artifacts: Mapping[str, Artifact], facts: Facts) -> str:
    if step.kind != "files":
        return ""
    found = []
    for path in step.files:
        artifact = artifacts[path]
        key = (step.device, artifact.apply.target)
        if key not in facts.files:
            continue  # not read back (the target cannot, or the plan was made without facts)
        now = facts.files[key]
        if now != artifact.content:
            name = f"{step.device}:{artifact.apply.target}"
            found.append(unified(now, artifact.content, f"{name} (on the target)", f"{name} (planned)"))
    return "".join(found)


def _live_diff(
    step: Step,
    observed_then: Mapping[tuple[str, str], str],
    facts: Facts,
    owners: Mapping[tuple[str, str], str],
) -> str:
    found = []
    for what in step.observe:
        key = (step.device, what)
        if owners.get(key) != step.id or key not in observed_then or key not in facts.observed:
            continue
        if facts.observed[key] != observed_then[key]:
            name = f"{step.device} {what}"
            found.append(
                unified(observed_then[key], facts.observed[key], f"{name} (deployed)", f"{name} (now)")
            )
    return "".join(found)


def stale(saved: Mapping[str, object], *, design_hash: str, target: str, now: PlanDiff) -> str | None:
    """Why a saved plan no longer holds (None when it does): it was made for another design, another target,
    or the target has changed since (what the plan would do differs from what it said)."""
    if saved.get("design") != design_hash:
        return "the design changed since the plan was saved"
    if saved.get("target") != target:
        return f"it was made for the {saved.get('target')} target"
    listed = saved.get("changes")
    entries = listed if isinstance(listed, list) else []
    then = {
        (str(c.get("step")), str(c.get("action")), str(c.get("diff"))) for c in entries if isinstance(c, dict)
    }
    current = {(c.step, c.action, c.diff) for c in now.changes}
    different = sorted({step for step, _, _ in then ^ current})
    if different:
        return f"the target changed since the plan was saved ({len(different)} steps differ, e.g. {different[0]})"
    return None
