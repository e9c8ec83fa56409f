"""The house's own rules, beyond the layers contract: no import circle (type-only imports included), each
shared view defined once, and a public API that says what it holds."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import networkx as nx

import trisite
from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "trisite"


def _module(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (SRC / relative).with_suffix(".py").is_file() or (SRC / relative / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """The trisite modules a file imports, at run time or for type checking alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("trisite")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("trisite"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if _is_module(submodule) else node.module)
    return found


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        graph.add_node(_module(path))
        graph.add_edges_from((_module(path), target) for target in _imports(path))
    return graph


def test_no_module_imports_itself_back_through_others() -> None:
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == [], "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def _definitions(pattern: str) -> list[str]:
    regex = re.compile(pattern)
    return [
        str(path.relative_to(ROOT))
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if regex.search(line)
    ]


def test_each_shared_view_is_defined_once() -> None:
    assert _definitions(r"^class \w*Matrix\b") == ["src/trisite/model/flows.py"]
    assert _definitions(r"^def interfaces\(") == ["src/trisite/model/interfaces.py"]
    assert set(_definitions(r"^def (cable_id|enumerate_components)\(")) == {"src/trisite/model/components.py"}
    assert _definitions(r"""["']ts-""") == ["src/trisite/drivers/netns.py"]  # the lab's namespace prefix
    assert _definitions(r"^(INTERVAL|PROBE_INTERVAL)\b.*=") == ["src/trisite/prove/measure.py"]


def test_the_public_api_is_listed_and_importable() -> None:
    table = trisite._PUBLIC
    assert sorted(trisite.__all__) == sorted(table), "__all__ and the table of public names differ"
    for name, (module, attribute) in table.items():
        assert getattr(trisite, name) is getattr(importlib.import_module(module), attribute)
    essentials = {"load_design", "verify_design", "render_design", "Design", "TrisiteError", "DesignError"}
    assert essentials <= set(trisite.__all__)
