"""What every command shares: the consoles, the exit codes, the design argument, and the one place where a
library error becomes a line on stderr and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from trisite.errors import TrisiteError
from trisite.model import LoadedDesign, load_design
from trisite.report.summary import Table

T = TypeVar("T")
EXIT_INVALID = 1
EXIT_USAGE = 2

# Logs and pipes get a readable width instead of Rich's 80 columns.
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

DesignArg = Annotated[Path, typer.Argument(help="the design file (YAML)", show_default=False)]
LabName = Annotated[
    str, typer.Option("--name", help="lab name; labs coexist when their designs share no device name")
]


def load(path: Path) -> LoadedDesign:
    try:
        return load_design(path)
    except TrisiteError as exc:
        for line in str(exc).splitlines():
            err.print(line, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INVALID) from None


def lab_call(action: Callable[[], T]) -> T:
    try:
        return action()
    except TrisiteError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(EXIT_INVALID) from None


def print_table(table: Table) -> None:
    rich = RichTable(title=table.title, title_justify="left", header_style="bold")
    for column in table.columns:
        rich.add_column(column)
    for row in table.rows:
        rich.add_row(*(escape(cell) for cell in row))  # design names in [brackets] are not Rich markup
    out.print(rich)
