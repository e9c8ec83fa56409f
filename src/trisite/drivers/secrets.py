"""Resolve secret references at the last moment. Messages name the reference, never the value."""

from __future__ import annotations

import os
from pathlib import Path

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


def unresolved(secrets: dict[str, SecretRef], base_dir: Path) -> list[str]:
    """One message per secret that cannot be read now (empty when all resolve)."""
    problems = []
    for name, ref in sorted(secrets.items()):
        try:
            reveal(name, ref, base_dir)
        except SecretError as exc:
            problems.append(str(exc))
    return problems
