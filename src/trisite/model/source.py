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
from yaml.reader import ReaderError

from trisite.errors import DesignError, Location, Problem
from trisite.model.clip import quoted_key, shorten, show_key
from trisite.model.confine import RefusedError, TooLargeError, read_regular, size_text
from trisite.model.limits import (
    MAX_DEPTH,
    MAX_DESIGN_BYTES,
    Budget,
    check_graph,
    check_value_count,
    may_share_nodes,
)

PathKey = tuple[str | int, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_STR_TAG = "tag:yaml.org,2002:str"
_Pair = tuple[Node, Node]
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
        if len(path) > MAX_DEPTH:  # the recursion below stays far from Python's limit
            raise DesignError.single(
                self.file,
                f"nested more than {MAX_DEPTH} levels",
                path=shorten(format_path(path, None)),
                hint="a design nests a few levels: sections, items, their fields",
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
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
        if node.tag == _STR_TAG:  # most values: what the constructor would return, without its dispatch
            return node.value
        try:
            return self.scalars.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            message = f"cannot read value: {_problem_text(exc)}"
        except (ValueError, OverflowError):  # an int of 5,000 digits, a date like 2026-02-31
            message = f"not a valid {node.tag.rsplit(':', 1)[-1]}"
        raise DesignError.single(
            self.file,
            message,
            path=format_path(path, None),
            hint="quote it if it is text",
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        )

    def _mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        """Own keys must be unique; keys merged in (`<<: *defaults`) yield to own keys and to earlier
        merges, as YAML's merge key specifies."""
        own, merged = self._merge_split(node, path)
        result: dict[str, Any] = {}
        for key_node, value_node in own:
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in result:
                first = self.source.positions[(*path, key)]
                self.problems.append(
                    Problem(
                        _mark(self.file, key_node),
                        format_path((*path, key), None),
                        f"duplicated key {quoted_key(key)}",
                        f"first defined at line {first.line}",
                    )
                )
                continue
            self.source.positions[(*path, key)] = _mark(self.file, key_node)
            result[key] = self.build(value_node, (*path, key))
        for key_node, value_node in merged:
            key = self._key(key_node, path)
            if key is not None and key not in result:
                self.source.positions[(*path, key)] = _mark(self.file, key_node)
                result[key] = self.build(value_node, (*path, key))
        return result

    def _key(self, node: Node, path: PathKey) -> str | None:
        key = self.build(node, path) if isinstance(node, ScalarNode) and node.tag != _VALUE_TAG else None
        if node.tag == _VALUE_TAG:  # a plain `=` key
            key = "="
        if not isinstance(key, str | int) or isinstance(key, bool):
            where = _mark(self.file, node)
            self.problems.append(
                Problem(where, format_path(path, None), "a key must be a name", "quote it or use a word")
            )
            return None
        return str(key)

    def _merge_split(self, node: MappingNode, path: PathKey) -> tuple[list[_Pair], list[_Pair]]:
        """The mapping's own pairs, and the pairs its merge keys bring, in order of precedence.

        Depth and alias expansion were bounded by check_graph before (a merge key sends the text there)."""
        own: list[_Pair] = []
        merged: list[_Pair] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode) or source.tag not in _PLAIN_TAGS:
                    raise DesignError.single(
                        self.file,
                        "a merge key (<<) takes a mapping or a list of mappings",
                        path=format_path(path, None),
                        line=source.start_mark.line + 1,
                        column=source.start_mark.column + 1,
                    )
                inner_own, inner_merged = self._merge_split(source, path)
                merged += inner_own + inner_merged
        return own, merged


def _problem_text(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    return f"{context}: {problem}" if context else str(problem)


def _tab_at(text: str, line: int, column: int) -> bool:
    lines = text.splitlines()
    return 0 < line <= len(lines) and "\t" in lines[line - 1][:column]


def _read_text(path: Path, file: str, budget: Budget) -> str:
    try:
        raw = read_regular(path, budget.bytes)
    except TooLargeError:
        together = " (all its files together)" if budget.bytes < MAX_DESIGN_BYTES else ""
        raise DesignError.single(
            file,
            f"the design is larger than {size_text(MAX_DESIGN_BYTES)}{together}",
            hint="a design of 2,000 servers takes 1.4 MB; check the path",
        ) from None
    except RefusedError as exc:
        raise DesignError.single(file, exc.reason, hint=exc.hint) from None
    budget.bytes -= len(raw)
    if b"\x00" in raw:
        line, column = _line_column(raw, raw.index(b"\x00"))
        raise DesignError.single(
            file, "binary file, not YAML text", hint="check the path", line=line, column=column
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw, exc.start)
        raise DesignError.single(
            file,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            hint="save the file as UTF-8",
            line=line,
            column=column,
        ) from None


def _line_column(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, len(raw[start:offset].decode("utf-8", "replace")) + 1


def read_yaml(path: Path, source: SourceMap, *, label: str = "", budget: Budget | None = None) -> Any:
    """Read one YAML file; its values' locations are recorded in `source`.

    `path` is the file's real path; `label` names it in messages (the path as the user wrote it);
    `budget` is what the design's files still may take (bytes, values), shared by all of them.
    """
    budget = budget if budget is not None else Budget()
    file = label or str(path)
    text = _read_text(path, file, budget)
    source.files.append(file)
    check_value_count(text, file, budget.values)
    node = _compose(text, file)
    source.positions.setdefault((), _mark(file, node))
    if may_share_nodes(text):
        check_graph(node, file, budget.values)
    problems: list[Problem] = []
    builder = _Builder(file, source, problems)
    value = builder.build(node, ())
    budget.values -= builder.count
    if problems:
        raise DesignError(problems)
    return value


def _compose(text: str, file: str) -> Node:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        hint = "YAML indents with spaces, not tabs" if _tab_at(text, line, column) else ""
        raise DesignError.single(
            file, f"invalid YAML: {_problem_text(exc)}", line=line, column=column, hint=hint
        ) from None
    except ReaderError as exc:  # a character YAML refuses: located by its byte offset
        line, column = _line_column(text.encode("utf-8"), exc.position)
        raise DesignError.single(
            file, f"invalid YAML: {exc.reason} (#x{exc.character:04x})", line=line, column=column
        ) from None
    except yaml.YAMLError as exc:
        raise DesignError.single(file, f"invalid YAML: {_problem_text(exc)}") from None
    if node is None:
        raise DesignError.single(file, "empty file", hint="a design is a mapping with at least 'platform'")
    return node


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
            text += f"[{shorten(name)}]" if isinstance(name, str) and name else f"[{part}]"
        else:
            current = current.get(part) if isinstance(current, dict) else None
            text += f".{show_key(part)}" if text else show_key(part)
    return text
