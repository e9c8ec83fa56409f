"""Secrets are read at the last moment, from env or file, and never appear in messages."""

from __future__ import annotations

import os
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
    assert problems[0].message == "secret 'a': environment variable TS_ABSENT is not set"
    assert problems[1].message.startswith("secret 'b': cannot read ")
    assert [p.path for p in problems] == [("secrets", "a"), ("secrets", "b")]


def test_secret_ref_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="either env"):
        SecretRef(env="A", file=Path("b"))
    assert "hunter2" not in repr(SecretRef(env="TS_X"))


def _refused(tmp_path: Path, file: Path, allowed: tuple[Path, ...] = ()) -> str:
    with pytest.raises(SecretError) as caught:
        reveal("key", SecretRef(file=file), tmp_path / "design", allowed=allowed)
    return str(caught.value)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """A design directory and a directory beside it that holds a valid secret file."""
    (tmp_path / "design").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "key").write_text("s3cr3t-key\n", encoding="utf-8")
    return tmp_path / "design", tmp_path / "other"


def test_file_secrets_stay_in_the_design_directory(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    design, other = dirs
    (design / "link").symlink_to(other / "key")
    for file in (other / "key", Path("../other/key"), Path("link")):
        message = _refused(tmp_path, file)
        assert "outside the design's directory" in message, message
        assert "s3cr3t" not in message
    for file in (other / "key", Path("../other/key"), Path("link")):
        assert reveal("key", SecretRef(file=file), design, allowed=[other]) == "s3cr3t-key"
    assert unresolved({"k": SecretRef(file=Path("link"))}, design, allowed=[other]) == []
    assert len(unresolved({"k": SecretRef(file=Path("link"))}, design)) == 1


def test_file_secrets_are_regular_files_checked_before_reading(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    design, _ = dirs
    os.mkfifo(design / "fifo")  # reading it would wait for a writer forever
    assert _refused(tmp_path, Path("fifo")).endswith(
        "not a regular file (a FIFO) (a design reads only regular files)"
    )
    assert "a character device" in _refused(tmp_path, Path("/dev/zero"), (Path("/dev"),))
    assert "a directory" in _refused(tmp_path, Path())
    with (design / "sparse").open("wb") as f:
        f.truncate(3 * 2**30)  # 3 GB on paper, nothing on disk: refused by its size, never read
    assert _refused(tmp_path, Path("sparse")).endswith("larger than 64 KiB")
    (design / "big").write_bytes(b"k" * (64 * 1024 + 1))
    assert _refused(tmp_path, Path("big")).endswith("larger than 64 KiB")
    (design / "fits").write_bytes(b"k" * (64 * 1024))
    assert len(reveal("key", SecretRef(file=Path("fits")), design)) == 64 * 1024


def test_secret_file_that_is_not_utf8_is_named_not_shown(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    design, _ = dirs
    (design / "latin1").write_bytes("hunter2-m\xf6t\n".encode("latin-1"))
    message = _refused(tmp_path, Path("latin1"))
    assert message == f"secret 'key': cannot read {design}/latin1: not UTF-8 text"


def test_secret_loops_and_bad_paths_are_clean_errors(tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    design, _ = dirs
    (design / "a").symlink_to("b")
    (design / "b").symlink_to("a")
    assert _refused(tmp_path, Path("a")).endswith("symlink loop")
    assert _refused(tmp_path, Path("nul\0byte")).endswith("not a valid path")
    assert _refused(tmp_path, Path("missing")).endswith("no such file")
