"""Every bad input gets exact, located, one-line messages, and nothing but our own error type."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT
from trisite.errors import DesignError
from trisite.model import load_design

CASES_FILE = ROOT / "tests" / "cases" / "bad_inputs.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


def materialise(case: dict[str, Any], folder: Path) -> Path:
    """Write the case's design into `folder` and return the file to load."""
    if "raw" in case or "raw_hex" in case:
        target = folder / "design.yaml"
        data = bytes.fromhex(case["raw_hex"].replace(" ", "")) if "raw_hex" in case else case["raw"].encode()
        target.write_bytes(data)
        return target
    shutil.copytree(EXAMPLES / case["base"], folder, dirs_exist_ok=True)
    edited = folder / case.get("file", "design.yaml")
    text = edited.read_text(encoding="utf-8")
    for old, new in case["replace"]:
        assert text.count(old) == 1, f"{case['id']}: {old!r} must occur exactly once in {edited.name}"
        text = text.replace(old, new)
    edited.write_text(text, encoding="utf-8")
    return folder / "design.yaml"


def messages(path: Path, folder: Path) -> list[str]:
    try:
        load_design(path)
    except DesignError as exc:
        return [line.replace(f"{folder}/", "{dir}/") for line in str(exc).splitlines()]
    return []


def test_case_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len([c for c in CASES if c["expect"]]) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case: dict[str, Any], tmp_path: Path, update_golden: bool) -> None:
    folder = tmp_path / "design"
    folder.mkdir()
    got = messages(materialise(case, folder), folder)
    if update_golden:
        case["expect"] = got
        return
    assert got == case["expect"]


def test_case_file_is_current(update_golden: bool) -> None:
    """With --update-golden, write the refreshed expectations back (runs after the cases above)."""
    if update_golden:
        CASES_FILE.write_text(_dump(CASES), encoding="utf-8")


def _dump(cases: list[dict[str, Any]]) -> str:
    """One readable block per case; JSON strings and lists are valid YAML flow values."""
    header = CASES_FILE.read_text(encoding="utf-8").split("\n- id:", 1)[0]
    blocks = []
    for case in cases:
        lines = [f"- id: {case['id']}"]
        lines += [
            f"  {key}: {json.dumps(case[key])}" for key in ("raw", "raw_hex", "base", "file") if key in case
        ]
        if "replace" in case:
            lines.append(f"  replace: {json.dumps(case['replace'])}")
        lines.append("  expect:" + ("" if case["expect"] else " []"))
        lines += [f"    - {json.dumps(line)}" for line in case["expect"]]
        blocks.append("\n".join(lines))
    return header + "\n" + "\n".join(blocks) + "\n"
