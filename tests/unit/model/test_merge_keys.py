"""YAML merge keys as the spec has them: own keys override merged ones, earlier merges override later ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from trisite.errors import DesignError
from trisite.model.source import SourceMap, read_yaml


def _read(tmp_path: Path, text: str) -> tuple[object, SourceMap]:
    (tmp_path / "d.yaml").write_text(text, encoding="utf-8")
    source = SourceMap()
    return read_yaml(tmp_path / "d.yaml", source), source


def test_own_keys_override_merged_ones_and_earlier_merges_win(tmp_path: Path) -> None:
    data, source = _read(
        tmp_path,
        "d: &d {rack: r1, os: linux}\n"
        "e: &e {rack: r9, mtu: 9000}\n"
        "own: {<<: *d, rack: r2}\n"
        "list: {<<: [*d, *e]}\n"
        "nested: {<<: {<<: *e, os: bsd}}\n",
    )
    assert data == {
        "d": {"rack": "r1", "os": "linux"},
        "e": {"rack": "r9", "mtu": 9000},
        "own": {"rack": "r2", "os": "linux"},
        "list": {"rack": "r1", "os": "linux", "mtu": 9000},
        "nested": {"rack": "r9", "mtu": 9000, "os": "bsd"},
    }
    assert source.locate(("own", "rack")).line == 3  # written here
    assert source.locate(("own", "os")).line == 1  # merged from the anchor


def test_duplicated_own_keys_and_bad_merges_are_errors(tmp_path: Path) -> None:
    with pytest.raises(
        DesignError, match=r"d.yaml:2:17: own.rack: duplicated key 'rack' \(first defined at line 2\)"
    ):
        _read(tmp_path, "d: &d {rack: r1}\nown: {rack: r2, rack: r3, <<: *d}\n")
    with pytest.raises(
        DesignError, match=r"d.yaml:1:10: a: a merge key \(<<\) takes a mapping or a list of mappings"
    ):
        _read(tmp_path, "a: {<<: [1]}\n")
