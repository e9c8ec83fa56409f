"""A deployment as it runs: one progress bar per site (and one for the platform-wide steps), the step each
is on, and a line for what needs reading (a failure, a retry, a step the target cannot perform)."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from trisite.cli.common import err
from trisite.execute.engine import StepEvent
from trisite.prove.campaign import FINISHED, Event

SAID = ("failed", "retrying")


class DeployProgress:
    def __init__(self) -> None:
        self._bars = Progress(
            TextColumn("{task.fields[site]:>8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
        )
        self._tasks: dict[str, TaskID] = {}
        self._elsewhere: dict[str, list[str]] = {}  # why -> the steps this target does not perform

    def __enter__(self) -> DeployProgress:
        self._bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bars.stop()
        for why, steps in sorted(
            self._elsewhere.items()
        ):  # listed, never skipped silently (all: `trisite plan`)
            shown = ", ".join(steps[:3]) + (f" and {len(steps) - 3} more" if len(steps) > 3 else "")
            err.print(
                f"not on this target, {len(steps)} step{'' if len(steps) == 1 else 's'} ({why}): {shown}",
                markup=False,
                highlight=False,
            )

    def __call__(self, event: StepEvent) -> None:
        if event.what == "not on this target":
            self._elsewhere.setdefault(event.detail, []).append(event.step)
            return
        if event.what in SAID:
            detail = f" ({event.detail})" if event.detail else ""
            self._bars.console.print(f"{event.step}: {event.what}{detail}", markup=False, highlight=False)
            return
        task = self._tasks.get(event.site)
        if task is None:
            task = self._tasks[event.site] = self._bars.add_task("", total=0, site=event.site)
        if event.what == "pending":
            self._bars.update(task, total=(self._bars.tasks[task].total or 0) + 1)
        elif event.what == "started":
            self._bars.update(task, description=event.step)
        elif event.what == "done":
            self._bars.advance(task)


class CampaignProgress:
    """A failover campaign as it runs: a bar over the rows, the row being run and its phase (steady state,
    injected, rolled back), and one line per finished row with its outcome."""

    def __init__(self, total: int) -> None:
        self._bars = Progress(
            TextColumn("prove"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
        )
        self._task = self._bars.add_task("", total=total)

    def __enter__(self) -> CampaignProgress:
        self._bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bars.stop()

    def __call__(self, event: Event) -> None:
        if event.phase == "recovered":  # before anything else: what a killed campaign had left broken
            self._say(f"rolled back what a killed campaign left injected ({event.scenario}): {event.detail}")
            return
        if event.phase in FINISHED:
            self._say(f"{event.index}/{event.total} {event.scenario}: {event.phase}, {event.detail}")
            self._bars.advance(self._task)
            return
        self._bars.update(self._task, description=f"{event.scenario}: {event.phase} ({event.detail})")

    def _say(self, line: str) -> None:
        self._bars.console.print(line, markup=False, highlight=False)
