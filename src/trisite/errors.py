"""One root error for everything trisite reports to a user, one branch per stage.

A user mistake never shows a traceback: the CLI catches `TrisiteError` and prints `str(error)`,
which is one line per problem, each naming the file, line, column and field.
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


class TrisiteError(Exception):
    """Root of every error trisite raises on purpose."""


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


class SecretError(TrisiteError):
    """A secret reference cannot be resolved (the message never contains the secret)."""


class VerifyError(TrisiteError):
    """The verify stage was asked something it cannot answer."""


class RenderError(TrisiteError):
    """A renderer could not produce an artifact from the design."""


class PlanError(TrisiteError):
    """The deployment plan cannot be built (cycle, missing journal, ...)."""


class ExecuteError(TrisiteError):
    """A step failed while executing the plan."""


class DriverError(TrisiteError):
    """A driver could not talk to, or act on, a device."""


class LabError(TrisiteError):
    """The emulated platform could not be built or torn down."""


class ProveError(TrisiteError):
    """An acceptance check or failover scenario could not run."""


class ReportError(TrisiteError):
    """A report could not be written."""
