"""Read YAML design files into plain Python values while remembering where every value came from.

PyYAML's C composer gives a node tree with marks (fast on large designs); we build the values
ourselves so that every mapping key and list item keeps its file, line and column, duplicated keys
are refused, and alias bombs stop early. Top-level `include:` lists pull in more files (per site, for
instance): their lists are appended and their mappings merged, refusing any key defined twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from trisite.errors import DesignError, Location, Problem

PathKey = tuple[str | int, ...]
MAX_NODES = 2_000_000  # a design of 10,000 servers stays far below; alias bombs do not
MAX_BYTES = 64 * 1024 * 1024
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"})


@dataclass
class SourceMap:
    """Where each value of a loaded design came from, keyed by its path in the data."""

    positions: dict[PathKey, Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def locate(self, path: Iterable[str | int]) -> Location:
        """The location of `path`, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            found = self.positions.get(key)
            if found is not None:
                return found
            key = key[:-1]
        return self.positions.get((), Location(self.files[0] if self.files else "<design>"))


def _mark(file: str, node: Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node tree into values, recording a location for each path."""

    def __init__(self, file: str, source: SourceMap, problems: list[Problem]) -> None:
        self.file = file
        self.source = source
        self.problems = problems
        self.count = 0
        self.scalars = SafeConstructor()

    def build(self, node: Node, path: PathKey) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise DesignError.single(
                self.file,
                f"more than {MAX_NODES} values (an alias bomb?)",
                hint="expand fewer aliases or split the design",
            )
        if isinstance(node, MappingNode | SequenceNode) and node.tag not in _PLAIN_TAGS:
            raise DesignError.single(
                self.file,
                f"unsupported YAML tag {node.tag}",
                path=format_path(path, None),
                hint="designs hold plain mappings, lists and scalars",
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self.source.positions[(*path, index)] = _mark(self.file, child)
                items.append(self.build(child, (*path, index)))
            return items
        assert isinstance(node, ScalarNode)
        try:
            return self.scalars.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise DesignError.single(
                self.file,
                f"cannot read value: {_problem_text(exc)}",
                path=format_path(path, None),
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            ) from None

    def _mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        try:
            self.scalars.flatten_mapping(node)  # YAML merge keys (<<: *anchor)
        except yaml.YAMLError as exc:
            raise DesignError.single(
                self.file,
                _problem_text(exc),
                path=format_path(path, None),
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            ) from None
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            where = _mark(self.file, key_node)
            key = self.build(key_node, path) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str | int) or isinstance(key, bool):
                self.problems.append(
                    Problem(where, format_path(path, None), "a key must be a name", "quote it or use a word")
                )
                continue
            key = str(key)
            if key in result:
                first = self.source.positions[(*path, key)]
                self.problems.append(
                    Problem(
                        where,
                        format_path((*path, key), None),
                        f"duplicated key '{key}'",
                        f"first defined at line {first.line}",
                    )
                )
                continue
            self.source.positions[(*path, key)] = where
            result[key] = self.build(value_node, (*path, key))
        return result


def _problem_text(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return f"{context}: {problem}" if context else str(problem)


def _tab_at(text: str, line: int, column: int) -> bool:
    lines = text.splitlines()
    return 0 < line <= len(lines) and "\t" in lines[line - 1][:column]


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise DesignError.single(
            path,
            "no such design file" if not path.exists() else "not a file",
            hint="give the path of a YAML design",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DesignError.single(path, f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise DesignError.single(path, f"file larger than {MAX_BYTES // 2**20} MiB")
    if b"\x00" in raw:
        raise DesignError.single(path, "binary file, not YAML text", hint="check the path")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DesignError.single(
            path, f"not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8"
        ) from None


def read_yaml(path: Path, source: SourceMap, root: PathKey = ()) -> Any:
    """Read one YAML file; its values' locations are recorded in `source` under `root`."""
    text = _read_text(path)
    file = str(path)
    source.files.append(file)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        hint = "YAML indents with spaces, not tabs" if _tab_at(text, line, column) else ""
        raise DesignError.single(
            file, f"invalid YAML: {_problem_text(exc)}", line=line, column=column, hint=hint
        ) from None
    except yaml.YAMLError as exc:
        raise DesignError.single(file, f"invalid YAML: {_problem_text(exc)}") from None
    if node is None:
        raise DesignError.single(file, "empty file", hint="a design is a mapping with at least 'platform'")
    source.positions.setdefault(root, _mark(file, node))
    problems: list[Problem] = []
    value = _Builder(file, source, problems).build(node, root)
    if problems:
        raise DesignError(problems)
    return value


def format_path(path: Iterable[str | int], data: Any) -> str:
    """`servers[dc1-srv1].bmc.address`: list items are named by their `name` when they have one."""
    text = ""
    current = data
    for part in path:
        if isinstance(part, int):
            name = None
            if isinstance(current, list) and 0 <= part < len(current):
                item = current[part]
                name = item.get("name") if isinstance(item, dict) else None
                current = item
            else:
                current = None
            text += f"[{name}]" if isinstance(name, str) and name else f"[{part}]"
        else:
            current = current.get(part) if isinstance(current, dict) else None
            text += f".{part}" if text else str(part)
    return text
