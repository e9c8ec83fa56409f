"""Error lines quote at most a short piece of what a design contains.

A design may hold a megabyte-long key or value, or (before confinement refused it) a file that was never
meant to be a design: a message names the wrong key or value so the reader finds it, and cuts the rest.
"""

from __future__ import annotations

import re

from trisite.errors import DesignError, Problem

SHOWN = 60  # characters of a key or value quoted in a message
SHOWN_PATH = 200  # characters of a file path the design names (an include, a secret file)
MAX_TEXT = 400  # a message, hint or field path longer than this is cut (last resort, after quoting)
MAX_PROBLEMS = 200  # lines of one error; the rest is counted, not printed
_WORD = re.compile(r"[\w.-]+")
_QUOTED = re.compile(rf"'([^'\n]{{{SHOWN + 1},}})'")


def shorten(text: str, limit: int = SHOWN) -> str:
    """`text` cut to `limit` characters, the cut shown by an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show_key(key: str) -> str:
    """A mapping key as messages show it: a word (letters, digits, `_`, `.`, `-`) as written, cut when
    long; anything else only by its length, because such a key is a line of some other file (a password
    file read as YAML makes `root:$6$hash...` a key), never a field name."""
    return shorten(key) if _WORD.fullmatch(key) else _unshown(key)


def quoted_key(key: str) -> str:
    """The key quoted inside a sentence (`unknown field 'x'`), or its placeholder."""
    return f"'{shorten(key)}'" if _WORD.fullmatch(key) else _unshown(key)


def _unshown(key: str) -> str:
    return f"<key of {len(key)} characters>"


def _quotes_cut(text: str) -> str:
    return shorten(_QUOTED.sub(lambda m: f"'{shorten(m.group(1))}'", text), MAX_TEXT)


def clip_problem(problem: Problem) -> Problem:
    """The same problem with long quoted values, and overlong texts, cut."""
    return Problem(
        problem.location,
        shorten(problem.path, MAX_TEXT),
        _quotes_cut(problem.message),
        _quotes_cut(problem.hint),
    )


def clipped(error: DesignError) -> DesignError:
    """`error` with every line cut, and at most MAX_PROBLEMS lines plus one that counts the others."""
    problems = [clip_problem(p) for p in error.problems]
    if len(problems) <= MAX_PROBLEMS:
        return DesignError(problems)
    rest = problems[MAX_PROBLEMS:]
    more = Problem(rest[0].location, "", f"and {len(rest)} more problems", "fix the ones above first")
    return DesignError([*problems[:MAX_PROBLEMS], more])
