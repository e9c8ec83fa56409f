"""A design and the files its top-level `include:` lists pull in, read once each, merged into one value.

Included files resolve relative to the file that names them and must lie, symlinks resolved, inside the
design's directory or an allowed one (model/confine.py). Each file is read once: a second include of the
same file is refused with both places (a file included 3,000 times once cost two minutes and 114,000 error
lines). Lists are appended and mappings merged; anything defined twice is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trisite.errors import DesignError, Location, Problem
from trisite.model.clip import SHOWN_PATH, shorten, show_key
from trisite.model.confine import (
    RefusedError,
    TooLargeError,
    check_file,
    real_path,
    resolve_inside,
    roots_of,
    size_text,
)
from trisite.model.limits import MAX_DESIGN_BYTES, MAX_FILES, MAX_INCLUDE_DEPTH, Budget
from trisite.model.source import PathKey, SourceMap, read_yaml

INCLUDE_KEY = "include"


@dataclass
class _Reader:
    roots: tuple[Path, ...]
    budget: Budget = field(default_factory=Budget)
    seen: dict[Path, Location] = field(default_factory=dict)  # real path -> where it was first named

    def read(self, real: Path, label: str, source: SourceMap, stack: tuple[Path, ...]) -> Any:
        self.budget.files -= 1
        data = read_yaml(real, source, label=label, budget=self.budget)
        if not isinstance(data, dict) or INCLUDE_KEY not in data:
            return data
        includes = data.pop(INCLUDE_KEY)
        if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
            raise DesignError(
                [Problem(source.locate((INCLUDE_KEY,)), INCLUDE_KEY, "include is a list of file paths")]
            )
        for i, name in enumerate(includes):
            loc = source.locate((INCLUDE_KEY, i))
            target = self._target(real, name, loc, f"include[{i}]", (*stack, real))
            sub = SourceMap()
            included = self.read(target, str(Path(label).parent / name), sub, (*stack, real))
            if not isinstance(included, dict):
                raise DesignError([Problem(sub.locate(()), "", "an included file is a mapping of sections")])
            _merge(data, source, included, sub)
        return data

    def _target(self, including: Path, name: str, loc: Location, field: str, stack: tuple[Path, ...]) -> Path:
        """The real path of an included file, after every check that needs no reading."""
        shown = shorten(name, SHOWN_PATH)

        def refuse(message: str, hint: str = "") -> DesignError:
            return DesignError([Problem(loc, field, message, hint)])

        if len(stack) >= MAX_INCLUDE_DEPTH:
            raise refuse(
                f"includes nest more than {MAX_INCLUDE_DEPTH} deep", "include the files from fewer levels"
            )
        if self.budget.files <= 0:
            raise refuse(f"a design has at most {MAX_FILES} files", "merge some of them")
        try:
            target = resolve_inside(including.parent / name, self.roots)
            check_file(target, self.budget.bytes)
        except TooLargeError:
            raise refuse(f"{shown}: the design is larger than {size_text(MAX_DESIGN_BYTES)}") from None
        except RefusedError as exc:
            hint = exc.hint or (
                "paths are relative to the including file" if exc.reason == "no such file" else ""
            )
            raise refuse(f"{shown}: {exc.reason}", hint) from None
        if target in stack:
            raise refuse(f"{shown} includes itself (directly or not)")
        if target in self.seen:
            raise refuse(f"{shown} is already included, at {self.seen[target]}", "include each file once")
        self.seen[target] = loc
        return target


def read_design(path: Path, allowed: Sequence[Path] = ()) -> tuple[Any, SourceMap, Path]:
    """The merged data of a design, where each value came from, and the design's real directory."""
    try:
        real = real_path(path)
    except RefusedError as exc:
        missing = exc.reason == "no such file"
        raise DesignError.single(
            path,
            "no such design file" if missing else exc.reason,
            hint="give the path of a YAML design" if missing else exc.hint,
        ) from None
    reader = _Reader(roots_of(real.parent, allowed))
    reader.seen[real] = Location(str(path))
    source = SourceMap()
    return reader.read(real, str(path), source, ()), source, real.parent


def _merge(data: dict[str, Any], source: SourceMap, extra: dict[str, Any], extra_source: SourceMap) -> None:
    """Lists are appended; mappings merged key by key; anything defined twice is refused."""
    source.files.extend(f for f in extra_source.files if f not in source.files)
    problems: list[Problem] = []
    moves: dict[PathKey, PathKey] = {}  # where the extra file's values go in the merged data
    for key, value in extra.items():
        current = data.get(key)
        if key not in data:
            data[key] = value
            moves[(key,)] = (key,)
        elif isinstance(current, list) and isinstance(value, list):
            moves.update(((key, i), (key, len(current) + i)) for i in range(len(value)))
            current.extend(value)
        elif isinstance(current, dict) and isinstance(value, dict):
            for sub, item in value.items():
                if sub in current:
                    where = source.locate((key, sub))
                    problems.append(
                        Problem(
                            extra_source.locate((key, sub)),
                            f"{show_key(key)}.{show_key(sub)}",
                            "already defined",
                            f"at {where}",
                        )
                    )
                    continue
                current[sub] = item
                moves[(key, sub)] = (key, sub)
        else:
            where = source.locate((key,))
            problems.append(
                Problem(
                    extra_source.locate((key,)),
                    show_key(key),
                    "already defined",
                    f"at {where}; only lists and mappings can be split",
                )
            )
    if problems:
        raise DesignError(problems)
    _relocate(source, extra_source, moves)


def _relocate(source: SourceMap, extra: SourceMap, moves: dict[PathKey, PathKey]) -> None:
    """Record the extra file's locations under their merged paths, in one pass (moves are 1 or 2 long)."""
    for path, loc in extra.positions.items():
        new = moves.get(path[:1])
        if new is not None:
            source.positions[path] = loc
            continue
        new = moves.get(path[:2]) if len(path) >= 2 else None
        if new is not None:
            source.positions[new + path[2:]] = loc
