"""What every command shares: the consoles, the design argument, printing what a job says.

Errors are not handled here: they go up to the one boundary in `trisite.cli.app.main`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from trisite.model import LoadedDesign, load_design
from trisite.report.table import Table

# Logs and pipes get a readable width instead of Rich's 80 columns. No emoji codes: a design name or a path
# such as `:100:` must print as it is.
out = Console(width=None if sys.stdout.isatty() else 140, emoji=False, highlight=False)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140, emoji=False, highlight=False)

DesignArg = Annotated[
    Path,
    typer.Argument(
        help="the design file (YAML)", show_default=False, exists=True, dir_okay=False, resolve_path=False
    ),
]
LabName = Annotated[
    str, typer.Option("--name", help="lab name; labs coexist when their designs share no device name")
]


# Directories besides the design's own that includes and file secrets may come from (`--allow-path`), set once
# per run by the application's callback.
ALLOWED: list[Path] = []


def load(path: Path) -> LoadedDesign:
    return load_design(path, allowed=ALLOWED)


def say(item: str | Table) -> None:
    """Print a line (as plain text: never Rich markup) or a table of what a job reports."""
    if isinstance(item, Table):
        print_table(item)
    else:
        out.print(item, markup=False, soft_wrap=True)


def note(line: str) -> None:
    """A progress line, on stderr so that stdout stays the result."""
    err.print(line, markup=False, soft_wrap=True)


def print_table(table: Table) -> None:
    rich = RichTable(title=escape(table.title), title_justify="left", header_style="bold")
    for column in table.columns:
        rich.add_column(escape(column))
    for row in table.rows:
        rich.add_row(*(escape(cell) for cell in row))  # design names in [brackets] are not Rich markup
    out.print(rich)
