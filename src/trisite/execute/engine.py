"""Deploy: walk a plan's graph through a target, each step journaled before and after, resumable after any crash.

- One deployment per target at a time (drivers/lock.py); the second is refused with the holder's name.
- A step runs once everything it waits for is done, in parallel with whatever else is ready: the wall time
  tracks the plan's critical path, not the sum of its phases.
- Before a step: "started" with its input hash; after: "done" with the live state it read back. A rerun skips
  what is done and unchanged (plan/diff.py decides); a step left "started" by a crash is run again when it is
  idempotent, and otherwise only once its tool says it has not run (else the operator decides).
- A failing step is retried with backoff where the target asks for it, then stops the deployment: steps
  already running finish, nothing new starts, and the error names the step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from trisite.drivers.journal import Journal
from trisite.drivers.lock import Lock
from trisite.drivers.targets import Target
from trisite.errors import ExecuteError, TrisiteError
from trisite.execute.actions import StepContext, perform
from trisite.execute.facts import gather
from trisite.execute.redact import Redactor
from trisite.model import Design
from trisite.plan.diff import Known, PlanDiff, diff
from trisite.plan.platform import platform_plan
from trisite.plan.steps import Plan, Step
from trisite.render import render
from trisite.render.artifact import Artifact


@dataclass(frozen=True)
class StepEvent:
    step: str
    site: str  # "platform" for a step against the whole platform
    what: str  # pending, started, done, failed, retrying, not on this target
    detail: str = ""


Event = Callable[[StepEvent], None]


@dataclass(frozen=True)
class Deployment:
    """Everything a plan or a deployment of one design on one target needs."""

    plan: Plan
    artifacts: Mapping[str, Artifact]
    target: Target
    secrets: Redactor
    design_hash: str

    @property
    def journal_path(self) -> Path:
        return self.target.state_dir / "journal.sqlite"

    @property
    def lock_path(self) -> Path:
        return self.target.state_dir / "deploy.lock"

    def missing(self) -> dict[str, frozenset[str]]:
        return {s.id: m for s in self.plan.steps if (m := self.target.missing(s.needs))}


def prepare(design: Design, target: Target, resolve: Callable[[str], str]) -> Deployment:
    """The whole platform's plan for a design, with what it applies and the secrets it needs."""
    artifacts = render(design)
    names = {name for a in artifacts for name in a.secrets}
    digest = hashlib.sha256(design.model_dump_json().encode()).hexdigest()[:16]
    return Deployment(
        platform_plan(design, artifacts),
        {a.path: a for a in artifacts},
        target,
        Redactor(names, resolve),
        digest,
    )


def changes(deployment: Deployment) -> PlanDiff:
    """What a deployment would do now: from the journal and from facts read back from the target."""
    facts = gather(deployment.plan, deployment.artifacts, deployment.target, deployment.secrets)
    with Journal(deployment.journal_path) as journal:
        known = Known(journal.latest(), journal.observed(), facts, deployment.missing())
    return diff(deployment.plan, deployment.artifacts, known)


@dataclass(frozen=True)
class Answers:
    """The operator's word on interrupted steps that must not run twice."""

    mark_done: frozenset[str] = frozenset()  # it completed: record it as done
    redo: frozenset[str] = frozenset()  # it did not: run it again


@dataclass
class Outcome:
    run: int
    done: dict[str, float] = field(default_factory=dict)  # step -> seconds
    skipped: list[str] = field(default_factory=list)  # unchanged
    not_on_target: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def deploy(
    deployment: Deployment,
    *,
    on_event: Event = lambda *_: None,
    only: set[str] | None = None,
    answers: Answers = Answers(),
    workers: int = 8,
) -> Outcome:
    """Run what the plan says is pending (or only the steps of a saved plan), under the target's lock."""
    with Lock(deployment.lock_path, f"trisite deploy ({deployment.target.name})"):
        pending = changes(deployment)
        todo = {c.step for c in pending.pending if only is None or c.step in only}
        with Journal(deployment.journal_path) as journal:
            run = journal.begin(
                deployment.design_hash, deployment.target.name, os.getpid(), socket.gethostname()
            )
            outcome = Outcome(run)
            outcome.not_on_target = [c.step for c in pending.changes if c.action == "not on this target"]
            outcome.skipped = [c.step for c in pending.changes if c.action == "unchanged"]
            for change in pending.changes:
                if change.action == "not on this target":
                    on_event(_event(deployment, change.step, change.action, change.why))
            for step_id in sorted(todo):
                on_event(_event(deployment, step_id, "pending"))
            _Walk(deployment, journal, outcome, on_event, answers).run(todo, workers)
            journal.end(run, "done")
    return outcome


def _event(deployment: Deployment, step_id: str, what: str, detail: str = "") -> StepEvent:
    step = deployment.plan.by_id.get(step_id)
    return StepEvent(step_id, (step.site if step else None) or "platform", what, detail)


class _Walk:
    """One deployment's walk through the graph."""

    def __init__(
        self, deployment: Deployment, journal: Journal, outcome: Outcome, on_event: Event, answers: Answers
    ) -> None:
        self.d = deployment
        self.answers = answers
        self.journal = journal
        self.outcome = outcome
        self.on_event = on_event
        self.records = journal.latest()
        self.context = StepContext(deployment.target, deployment.artifacts, deployment.secrets)
        self.logs = deployment.target.state_dir / "logs" / f"run-{outcome.run}"

    def run(self, todo: set[str], workers: int) -> None:
        started = time.monotonic()
        # A step waits for every pending step upstream of it, also through steps this run does not perform
        # (done already, or not on this target): those pass the order on, they do not break it.
        blockers = {s: nx.ancestors(self.d.plan.graph, s) & todo for s in todo}
        waiting = set(todo)
        running: dict[Future[float], str] = {}
        failure: TrisiteError | None = None
        with ThreadPoolExecutor(workers) as pool:
            while waiting or running:
                if failure is None:
                    busy = waiting | set(running.values())
                    for step_id in sorted(s for s in waiting if not blockers[s] & busy):
                        waiting.discard(step_id)
                        running[pool.submit(self._step, self.d.plan.by_id[step_id])] = step_id
                elif not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    step_id = running.pop(future)
                    try:
                        self.outcome.done[step_id] = future.result()
                    except TrisiteError as exc:
                        failure = failure or exc
        self.outcome.wall_s = time.monotonic() - started
        if failure is not None:
            self.journal.end(self.outcome.run, "failed")
            raise failure

    def _step(self, step: Step) -> float:
        wanted = step.input_hash(self.d.artifacts)
        ran_before = self._ran_before(step)
        self.journal.record(self.outcome.run, step.id, wanted, "started")
        self._say(step, "started")
        began = time.monotonic()
        try:
            lines = (
                ["ran before the interruption (its tool or the operator says so): not run again"]
                if ran_before
                else []
            )
            lines = lines or self._with_retries(step)
            observed = {
                (step.device, what): self.d.secrets(self.d.target.devices.observe(step.device, what))
                for what in step.observe
            }
        except TrisiteError as exc:
            detail = self.d.secrets(str(exc))
            self.journal.record(self.outcome.run, step.id, wanted, "failed", detail=detail)
            self._log(step, [f"failed: {detail}"], time.monotonic() - began)
            self._say(step, "failed", detail)
            raise ExecuteError(f"step {step.id}: {detail}", step=step.id) from None
        seconds = time.monotonic() - began
        self.journal.record(self.outcome.run, step.id, wanted, "done", seconds=seconds, observed=observed)
        self._log(step, lines, seconds)
        self._say(step, "done", f"{seconds:.2f} s")
        return seconds

    def _ran_before(self, step: Step) -> bool:
        """A step that must not run twice, left "started" by a crash: did it run? Its tool may know (the
        twin's does); if not, the operator must say, since running it again could do harm."""
        record = self.records.get(step.id)
        if step.idempotent or record is None or record.state != "started" or step.id in self.answers.redo:
            return False
        if step.id in self.answers.mark_done:
            return True
        runs = getattr(self.d.target.tools, "runs", None)  # a tool driver that counts its runs
        if callable(runs) and step.command:
            return bool(runs("/".join(step.command)))
        raise ExecuteError(
            f"step {step.id} was interrupted and must not run twice ({' '.join(step.command)}): check on the "
            f"platform whether it completed, then deploy again with --mark-done {step.id} or --redo {step.id}",
            step=step.id,
        )

    def _with_retries(self, step: Step) -> list[str]:
        attempts = self.d.target.attempts if step.idempotent else 1
        delay = self.d.target.backoff_s
        for attempt in range(1, attempts + 1):
            try:
                return perform(step, self.context)
            except TrisiteError as exc:
                if attempt == attempts:
                    raise
                self._say(step, "retrying", f"{self.d.secrets(str(exc))} (attempt {attempt} of {attempts})")
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # the loop returns or raises

    def _say(self, step: Step, what: str, detail: str = "") -> None:
        self.on_event(StepEvent(step.id, step.site or "platform", what, detail))

    def _log(self, step: Step, lines: list[str], seconds: float) -> None:
        """A log per step: what it did, redacted (the journal holds the facts, the log the story)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        text = "".join(f"{stamp} {self.d.secrets(line)}\n" for line in [*lines, f"{seconds:.2f} s"])
        (self.logs / f"{step.id.replace('/', '_').replace(':', '_')}.log").write_text(text, encoding="utf-8")
