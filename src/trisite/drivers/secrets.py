"""Resolve secret references at the last moment. Messages name the reference, never the value.

A file secret is read like every file a design names (model/confine.py): inside the design's directory or an
allowed one, symlinks resolved; a regular file of at most 64 KiB (a key or a password, not a disk image), read
with that bound so that `/dev/zero` or a FIFO cannot hang or exhaust a run; UTF-8 text.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from secrets import token_urlsafe

from trisite.errors import SecretError
from trisite.model.clip import SHOWN_PATH, shorten
from trisite.model.confine import RefusedError, read_regular, resolve_inside, roots_of
from trisite.model.operations import SecretRef
from trisite.model.secret_uses import SecretUse
from trisite.model.source import PathKey

MAX_SECRET_BYTES = 64 * 1024  # an RSA-16384 private key in PEM is 12 KiB


def reveal(name: str, ref: SecretRef, base_dir: Path, *, allowed: Sequence[Path] = ()) -> str:
    """The secret's value, read from its environment variable or file (relative to the design)."""
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if value is None:
            raise SecretError(f"secret '{name}': environment variable {ref.env} is not set")
        return value
    assert ref.file is not None
    path = ref.file if ref.file.is_absolute() else base_dir / ref.file
    shown = shorten(str(path), SHOWN_PATH)
    try:
        raw = read_regular(resolve_inside(path, roots_of(base_dir, allowed)), MAX_SECRET_BYTES)
    except RefusedError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise SecretError(f"secret '{name}': cannot read {shown}: {exc.reason}{hint}") from None
    try:
        return raw.decode("utf-8").rstrip("\n")
    except UnicodeDecodeError:
        raise SecretError(f"secret '{name}': cannot read {shown}: not UTF-8 text") from None


def reveal_or_make(
    name: str, ref: SecretRef, base_dir: Path, store: Path, *, allowed: Sequence[Path] = ()
) -> str:
    """The lab's secrets: the real one when it is set, else a random one kept (0600) for this lab only."""
    try:
        return reveal(name, ref, base_dir, allowed=allowed)
    except SecretError:
        path = store / name
        if not path.exists():
            store.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(token_urlsafe(12), encoding="utf-8")  # 16 characters: ucarp refuses longer
            path.chmod(0o600)
        return path.read_text(encoding="utf-8")


MIN_SECRET_CHARS = 8  # fewer is guessed in seconds, and cannot be told apart from ordinary words in logs


@dataclass(frozen=True)
class SecretProblem:
    path: PathKey  # where to point: the secret's declaration, or the place that hands it to a program
    message: str


def unresolved(
    secrets: dict[str, SecretRef],
    base_dir: Path,
    *,
    allowed: Sequence[Path] = (),
    uses: Sequence[SecretUse] = (),
) -> list[SecretProblem]:
    """Each secret that cannot be read now, is too short to be one, or that a program it goes to (`uses`)
    would refuse or cut: empty when all are fine. Messages name secrets and places, never values."""
    problems = []
    values: dict[str, str] = {}
    for name, ref in sorted(secrets.items()):
        where: PathKey = ("secrets", name)
        try:
            values[name] = value = reveal(name, ref, base_dir, allowed=allowed)
        except SecretError as exc:
            problems.append(SecretProblem(where, str(exc)))
            continue
        if len(value) < MIN_SECRET_CHARS:
            message = f"secret '{name}': {len(value)} characters, too short (at least {MIN_SECRET_CHARS})"
            problems.append(SecretProblem(where, message))
    for use in uses:
        refused = use.consumer.refuses(values[use.secret]) if use.secret in values else None
        if refused is not None:
            problems.append(SecretProblem(use.path, f"secret '{use.secret}': {refused}"))
    return problems
