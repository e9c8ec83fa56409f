"""One root error for everything trisite reports to a user, one branch per stage.

A user mistake never shows a traceback: the CLI's one boundary (`trisite.cli.app.main`) catches `TrisiteError`,
prints `str(error)` (one line per problem, each naming the file, line, column and field) and exits with the
error's `exit_code`:

    0 done   1 the design is invalid, or a check found what it looks for   2 usage   3 internal error (a bug)
    4 the target failed (a driver, the lab, a deployment step)             130 interrupted

Errors of the back half carry what they are about as attributes (`DriverError.device`, `ExecuteError.step`,
`LabError.lab`), so that a caller can react without parsing the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from in a design file (1-based line and column)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a design: where, which field, what, and how to fix it."""

    location: Location
    path: str
    message: str
    hint: str = field(default="", compare=False)

    def __str__(self) -> str:
        text = (
            f"{self.location}: {self.path}: {self.message}"
            if self.path
            else f"{self.location}: {self.message}"
        )
        return _printable(f"{text} ({self.hint})" if self.hint else text)


def _printable(text: str) -> str:
    """One line, whatever the design contained: control and separator characters are escaped."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL, EXIT_TARGET, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


class TrisiteError(Exception):
    """Root of every error trisite raises on purpose."""

    exit_code = EXIT_INVALID


class DesignError(TrisiteError):
    """The design cannot be loaded or is inconsistent; carries every problem found, sorted."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(
        cls, file: str | Path, message: str, *, path: str = "", hint: str = "", line: int = 0, column: int = 0
    ) -> DesignError:
        return cls([Problem(Location(str(file), line, column), path, message, hint)])


class UsageError(TrisiteError):
    """A command was called wrongly (an option value, a missing file); nothing was done."""

    exit_code = EXIT_USAGE


class SecretError(TrisiteError):
    """A secret reference cannot be resolved (the message never contains the secret)."""


class VerifyError(TrisiteError):
    """The verify stage was asked something it cannot answer."""


class RenderError(TrisiteError):
    """A renderer could not produce an artifact from the design."""


class PlanError(TrisiteError):
    """The deployment plan cannot be built (cycle, missing journal, ...)."""


class TargetError(TrisiteError):
    """The target (a device, the lab, a site) could not do what was asked: the design may well be right."""

    exit_code = EXIT_TARGET


class ExecuteError(TargetError):
    """A step failed while executing the plan; `step` names it."""

    def __init__(self, message: str, *, step: str | None = None) -> None:
        super().__init__(message)
        self.step = step


class DriverError(TargetError):
    """A driver could not talk to, or act on, a device; `device` names it when there is one."""

    def __init__(self, message: str, *, device: str | None = None) -> None:
        super().__init__(message)
        self.device = device


class LabError(TargetError):
    """The emulated platform could not be built or torn down; `lab` names it when known."""

    def __init__(self, message: str, *, lab: str | None = None) -> None:
        super().__init__(message)
        self.lab = lab
