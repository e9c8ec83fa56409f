"""Collects design problems with their location and a readable field path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trisite.errors import Problem
from trisite.model.source import PathKey, SourceMap, format_path


class ProblemReport:
    def __init__(self, source: SourceMap, data: Any) -> None:
        self.source = source
        self.data = data
        self.problems: list[Problem] = []

    def add(self, path: PathKey, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.source.locate(path), format_path(path, self.data), message, hint))

    def line_of(self, path: PathKey) -> int:
        return self.source.locate(path).line

    def unique(self, names: Iterable[tuple[PathKey, str]], what: str) -> None:
        """Report every repeat of a name, pointing back at its first use."""
        first: dict[str, PathKey] = {}
        for path, name in names:
            if name in first:
                self.add(
                    path,
                    f"{what} '{name}' is defined twice",
                    f"first at line {self.line_of(first[name])}; rename one",
                )
            else:
                first[name] = path
