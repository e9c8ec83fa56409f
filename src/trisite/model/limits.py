"""What one design may cost, checked before the cost is paid.

A design is text written by people: it is small, shallow and uses few aliases. Hostile or broken input is not:
a gigabyte file, a list nested thousands deep, a "billion laughs" of aliases that expands to 10^9 values, an
alias that contains itself. Each limit below is checked before the work it bounds: sizes before reading,
value counts before composing (by a cheap upper bound, exactly only when that bound is too high), alias
expansion and nesting on the composed node graph before any value is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import yaml
from yaml.events import MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from trisite.errors import DesignError

MAX_DESIGN_BYTES = 16 * 2**20  # all files of a design together; 2,000 servers take 1.4 MB
MAX_VALUES = 1_000_000  # after alias expansion, all files together; 2,000 servers take 192,000
MAX_ALIAS_VALUES = 100_000  # values that aliases add; the reference adds 30
MAX_DEPTH = 64  # nesting of lists and mappings; the reference needs 6; Python's recursion limit is 1,000
MAX_FILES = 1_000  # a design and everything it includes
MAX_INCLUDE_DEPTH = 16  # includes of includes of ...
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A new value starts only after one of these (YAML 1.1 line breaks included); flow mappings with
# implicit null values (`{a, b}`) make two values per separator, hence the factor 2 in the bound.
_SEPARATORS = ",:-?[{\n\r\x85\u2028\u2029"
_IN_PROGRESS = (-1, -1)
_TOO_MANY = f"the design holds more than {MAX_VALUES:,} values (all its files together)"


@dataclass
class Budget:
    """What is left for the files still to read; each file read takes its share."""

    bytes: int = MAX_DESIGN_BYTES
    values: int = MAX_VALUES
    files: int = MAX_FILES


def _refuse(file: str, node: Node | None, message: str, hint: str) -> DesignError:
    line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (0, 0)
    return DesignError.single(file, message, hint=hint, line=line, column=column)


def check_value_count(text: str, file: str, limit: int) -> None:
    """Refuse text of more than `limit` values before composing it (composed nodes take ~360 bytes each)."""
    bound = 2 * sum(text.count(c) for c in _SEPARATORS) + 2
    if bound <= limit:
        return
    count = 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, ScalarEvent | SequenceStartEvent | MappingStartEvent):
                count += 1
                if count > limit:
                    mark = event.start_mark
                    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
                    raise DesignError.single(
                        file,
                        _TOO_MANY,
                        hint="write fewer values, or split the platform into several designs",
                        line=line,
                        column=column,
                    )
    except yaml.YAMLError:
        return  # composing reports the syntax error with its location


def may_share_nodes(text: str) -> bool:
    """Without anchors or merge keys a composed document is a plain tree: the builder's checks suffice."""
    return "&" in text or "<<" in text or "merge" in text


def check_graph(root: Node, file: str, values_left: int) -> None:
    """Before any value is built: alias loops, alias expansion and nesting, each memoised per node."""
    if isinstance(root, ScalarNode):
        return
    memo: dict[int, tuple[int, int]] = {}  # id(node) -> (values once expanded, nesting below)
    claimed: set[int] = set()  # nodes counted once; any further reference is an alias expansion
    added = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if not done:
            _enter(node, file, memo, stack)
            continue
        size, height = 1 + (len(node.value) if isinstance(node, MappingNode) else 0), 0
        for child in _children(node):
            child_size, child_height = (1, 0) if isinstance(child, ScalarNode) else memo[id(child)]
            size, height = size + child_size, max(height, child_height + 1)
            if isinstance(child, ScalarNode):
                continue
            if id(child) in claimed:
                added += child_size
            claimed.add(id(child))
        memo[id(node)] = (size, height)
        if added > MAX_ALIAS_VALUES:
            raise _refuse(
                file,
                node,
                f"aliases here expand to more than {MAX_ALIAS_VALUES:,} values",
                "an alias bomb? write the values out, or use fewer aliases",
            )
        if size > values_left:
            raise _refuse(file, node, _TOO_MANY, "an alias bomb? or split the platform into several designs")
    if memo[id(root)][1] > MAX_DEPTH:
        raise _refuse(file, _too_deep(root, memo), f"nested more than {MAX_DEPTH} levels", _DEPTH_HINT)


_DEPTH_HINT = "a design nests a few levels: sections, items, their fields"


def _enter(node: Node, file: str, memo: dict[int, tuple[int, int]], stack: list[tuple[Node, bool]]) -> None:
    if id(node) in memo or isinstance(node, ScalarNode):
        return
    memo[id(node)] = _IN_PROGRESS
    stack.append((node, True))
    for child in _children(node):
        state = memo.get(id(child))
        if state is _IN_PROGRESS:
            raise _refuse(file, child, "an alias refers to a value that contains it", "aliases cannot loop")
        if state is None and not isinstance(child, ScalarNode):
            stack.append((child, False))


def _children(node: Node) -> Sequence[Node]:
    """The nodes the builder visits below `node`: list items and mapping values (keys are scalars)."""
    if isinstance(node, MappingNode):
        return [value for _, value in node.value]
    return node.value if isinstance(node.value, list) else []


def _too_deep(root: Node, memo: dict[int, tuple[int, int]]) -> Node:
    """The first node found below the nesting limit, by following the deepest branch."""
    node = root
    for _ in range(MAX_DEPTH + 1):
        need = memo[id(node)][1] - 1
        node = next(
            c for c in _children(node) if (0 if isinstance(c, ScalarNode) else memo[id(c)][1]) == need
        )
    return node
