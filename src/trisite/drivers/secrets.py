"""Resolve secret references at the last moment. Messages name the reference, never the value."""

from __future__ import annotations

import os
from pathlib import Path
from secrets import token_urlsafe

from trisite.errors import SecretError
from trisite.model.operations import SecretRef


def reveal(name: str, ref: SecretRef, base_dir: Path) -> str:
    """The secret's value, read from its environment variable or file (relative to the design)."""
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if value is None:
            raise SecretError(f"secret '{name}': environment variable {ref.env} is not set")
        return value
    assert ref.file is not None
    path = ref.file if ref.file.is_absolute() else base_dir / ref.file
    try:
        return path.read_text(encoding="utf-8").rstrip("\n")
    except OSError as exc:
        raise SecretError(f"secret '{name}': cannot read {path}: {exc.strerror}") from None


def reveal_or_make(name: str, ref: SecretRef, base_dir: Path, store: Path) -> str:
    """The lab's secrets: the real one when it is set, else a random one kept (0600) for this lab only."""
    try:
        return reveal(name, ref, base_dir)
    except SecretError:
        path = store / name
        if not path.exists():
            store.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(token_urlsafe(12), encoding="utf-8")  # 16 characters: ucarp refuses longer
            path.chmod(0o600)
        return path.read_text(encoding="utf-8")


def unresolved(secrets: dict[str, SecretRef], base_dir: Path) -> list[str]:
    """One message per secret that cannot be read now (empty when all resolve)."""
    problems = []
    for name, ref in sorted(secrets.items()):
        try:
            reveal(name, ref, base_dir)
        except SecretError as exc:
            problems.append(str(exc))
    return problems
