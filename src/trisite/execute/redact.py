"""Secrets in and out: filled into what is put on a device at the last moment, taken out of everything read
back before it is compared, shown, logged or journaled."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from trisite.render.artifact import secret_ref

MIN_REDACTED = 4
SECRET = re.compile(r"\$\{secret:([a-z0-9][a-z0-9-]*)\}")


def fill_secrets(text: str, resolve: Callable[[str], str]) -> str:
    return SECRET.sub(lambda m: resolve(m.group(1)), text)


class Redactor:
    """Knows the values of the secrets a deployment uses, and puts their placeholders back in any text."""

    def __init__(self, names: Iterable[str], resolve: Callable[[str], str]) -> None:
        self._resolve = resolve
        values = {name: resolve(name) for name in sorted(set(names))}
        # Longest first, so that a secret containing another is replaced whole. A value of a few characters
        # would be replaced inside every word (and is no secret worth the name: validate --secrets says so).
        self._pairs = sorted(
            ((v, secret_ref(n)) for n, v in values.items() if len(v) >= MIN_REDACTED),
            key=lambda p: -len(p[0]),
        )

    def fill(self, text: str) -> str:
        return fill_secrets(text, self._resolve)

    def __call__(self, text: str) -> str:
        for value, placeholder in self._pairs:
            text = text.replace(value, placeholder)
        return text
