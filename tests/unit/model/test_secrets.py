"""Secrets are read at the last moment, from env or file, and never appear in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from trisite.drivers.secrets import reveal, unresolved
from trisite.errors import SecretError
from trisite.model.operations import SecretRef


def test_env_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TS_TEST_SECRET", "s3cr3t-value")
    assert reveal("bmc", SecretRef(env="TS_TEST_SECRET"), tmp_path) == "s3cr3t-value"


def test_file_secret_is_relative_to_the_design(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("abc\n", encoding="utf-8")
    assert reveal("vpn", SecretRef(file=Path("key")), tmp_path) == "abc"


def test_missing_secrets_are_named_not_shown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TS_ABSENT", raising=False)
    with pytest.raises(SecretError, match="TS_ABSENT is not set"):
        reveal("bmc", SecretRef(env="TS_ABSENT"), tmp_path)
    problems = unresolved({"a": SecretRef(env="TS_ABSENT"), "b": SecretRef(file=Path("nope"))}, tmp_path)
    assert problems[0] == "secret 'a': environment variable TS_ABSENT is not set"
    assert problems[1].startswith("secret 'b': cannot read ")


def test_secret_ref_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="either env"):
        SecretRef(env="A", file=Path("b"))
    assert "hunter2" not in repr(SecretRef(env="TS_X"))
