"""Whatever the input, the loader answers with a design or a DesignError of located one-line messages."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES
from tests.unit.model.test_mutants import unlocated
from trisite.errors import DesignError
from trisite.model import load_design
from trisite.render import render

MINIMAL: dict[str, Any] = yaml.safe_load((EXAMPLES / "minimal" / "design.yaml").read_text(encoding="utf-8"))
LINE = re.compile(r"^\S+?(:\d+:\d+)?: ")
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["site1", "fw1", "sw1:swp1", "10G", "198.18.1.7"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _check(path: Path) -> None:
    try:
        loaded = load_design(path)
    except DesignError as exc:
        lines = str(exc).splitlines()
        assert lines, "a DesignError always says something"
        for line in lines:
            assert LINE.match(line), line
        assert unlocated(lines, path.parent) == []
    else:
        render(loaded.design)  # what validates renders: a RenderError here is a check validate lacks


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


PATHS = _paths(MINIMAL)


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    target = tmp_path / "design.yaml"
    target.write_bytes(data)
    _check(target)


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from(list("abc:-[]{},&*!|>'\"#\n\t 01.%@")), max_size=200))
def test_yaml_like_text(tmp_path: Path, text: str) -> None:
    target = tmp_path / "design.yaml"
    target.write_text(text, encoding="utf-8")
    _check(target)


@SETTINGS
@given(
    edits=st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "delete"]), values), max_size=4)
)
def test_mutated_minimal_design(tmp_path: Path, edits: list[tuple[tuple[Any, ...], str, Any]]) -> None:
    design = copy.deepcopy(MINIMAL)
    for path, action, value in edits:
        parent: Any = design
        try:
            for part in path[:-1]:
                parent = parent[part]
            if action == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    target = tmp_path / "design.yaml"
    target.write_text(yaml.safe_dump(design), encoding="utf-8")
    _check(target)
