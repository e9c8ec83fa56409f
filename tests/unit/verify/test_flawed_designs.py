"""Each flaw of the seed's kind is found by the right rule, and nothing else changes."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT
from trisite.model import load_design
from trisite.verify.run import verify

CASES_FILE = ROOT / "tests" / "cases" / "flawed_designs.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
TODAY = dt.date(2026, 11, 25)


def findings(path: Path) -> set[tuple[str, str, str]]:
    report = verify(load_design(path).design, today=TODAY, double=False)
    return {(f.rule, f.severity, f.subject) for f in report.findings}


@pytest.fixture(scope="module")
def reference() -> set[tuple[str, str, str]]:
    return findings(EXAMPLES / "three-sites" / "design.yaml")


def test_reference_has_no_critical_finding(reference: set[tuple[str, str, str]]) -> None:
    assert not [f for f in reference if f[1] == "critical"]


def test_reference_is_clean_with_every_sweep() -> None:
    """What `trisite verify` runs by default (N-2 included, site disasters counted): no finding at all and
    the target met, so every finding a case adds is the case's own."""
    report = verify(load_design(EXAMPLES / "three-sites" / "design.yaml").design, today=TODAY, workers=2)
    assert [(f.rule, f.subject) for f in report.findings] == []
    assert report.meets_target, report.misses_because


def test_enough_flaws() -> None:
    assert len(CASES) >= 15
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_flaw_is_found(
    case: dict[str, Any], tmp_path: Path, reference: set[tuple[str, str, str]], update_golden: bool
) -> None:
    folder = tmp_path / "design"
    shutil.copytree(EXAMPLES / "three-sites", folder)
    edited = folder / case["file"]
    text = edited.read_text(encoding="utf-8")
    for old, new in case["replace"]:
        assert text.count(old) == 1, f"{old!r} must occur once in {case['file']}"
        text = text.replace(old, new)
    edited.write_text(text, encoding="utf-8")
    got = findings(folder / "design.yaml")
    assert reference <= got, f"findings disappeared: {reference - got}"
    added = sorted([list(f) for f in got - reference])
    if update_golden:
        case["expect"] = added
        return
    assert added == case["expect"]
    assert case["expect"], "a flaw must be found"


def test_case_file_is_current(update_golden: bool) -> None:
    if update_golden:
        header = CASES_FILE.read_text(encoding="utf-8").split("\n- id:", 1)[0]
        blocks = []
        for c in CASES:
            lines = [
                f"- id: {c['id']}",
                f"  file: {json.dumps(c['file'])}",
                f"  replace: {json.dumps(c['replace'])}",
            ]
            lines.append("  expect:" + ("" if c["expect"] else " []"))
            lines += [f"    - {json.dumps(e)}" for e in c["expect"]]
            blocks.append("\n".join(lines))
        CASES_FILE.write_text(header + "\n" + "\n".join(blocks) + "\n", encoding="utf-8")
