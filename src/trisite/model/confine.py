"""Which files a design may read, and reading them without surprises.

A design pulls in other files (includes, file secrets). Those resolve inside the design's directory or a
directory the user allowed explicitly, symlinks resolved first, so a design cannot read `/etc/shadow` by
naming it, by `../..`, or through a link. Every file is checked before it is opened (regular files only: a
FIFO would block, `/dev/zero` never ends) and read with a size limit, so a read is always bounded.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from trisite.model.clip import SHOWN_PATH, shorten

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
_CHUNK = 1 << 20


class RefusedError(Exception):
    """Why a file cannot be used. Callers add their context and raise DesignError or SecretError."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class TooLargeError(RefusedError):
    """The file is larger than the limit it was read with."""


def roots_of(base: Path, allowed: Sequence[Path] = ()) -> tuple[Path, ...]:
    """The directories a design's files may come from: its own (first) and the allowed ones, resolved."""
    return tuple(Path(os.path.realpath(p)) for p in (base, *allowed))


def size_text(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 2**10} KiB"


def outside_hint(roots: Sequence[Path]) -> str:
    where = shorten(str(roots[0]), SHOWN_PATH)
    more = f" or one of the {len(roots) - 1} allowed directories" if len(roots) > 1 else ""
    return f"a design reads files only under {where}/{more}; allow a directory explicitly with --allow-path"


def inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def lexically_inside(path: Path, roots: Sequence[Path]) -> bool:
    """`..` and absolute paths judged on the text alone, before anything on disk is touched."""
    return inside(Path(os.path.abspath(path)), roots)  # noqa: PTH100 - resolve() follows links; not yet


def resolve_inside(path: Path, roots: Sequence[Path]) -> Path:
    """The real path of `path` (every symlink resolved) when it lies inside one of `roots`."""
    try:
        if not lexically_inside(path, roots):
            raise RefusedError("outside the design's directory", outside_hint(roots))
        real = Path(os.path.realpath(path, strict=True))
    except ValueError:  # an embedded NUL byte
        raise RefusedError("not a valid path") from None
    except OSError as exc:
        raise RefusedError(_os_reason(exc)) from None
    if not inside(real, roots):
        raise RefusedError(
            f"resolves to {shorten(str(real), SHOWN_PATH)}, outside the design's directory",
            outside_hint(roots),
        )
    return real


def real_path(path: Path) -> Path:
    """The real path of a file the user named directly (a design on the command line): not confined."""
    try:
        return Path(os.path.realpath(path, strict=True))
    except ValueError:
        raise RefusedError("not a valid path") from None
    except OSError as exc:
        raise RefusedError(_os_reason(exc)) from None


def check_file(path: Path, limit: int) -> os.stat_result:
    """`path` is a regular file of at most `limit` bytes (its status, for comparing after opening)."""
    try:
        status = path.stat()
    except ValueError:
        raise RefusedError("not a valid path") from None
    except OSError as exc:
        raise RefusedError(_os_reason(exc)) from None
    _check_kind(status.st_mode)
    if status.st_size > limit:
        raise TooLargeError(f"larger than {size_text(limit)}")
    return status


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; type and size are checked before reading."""
    before = check_file(path, limit)
    try:
        # O_NONBLOCK: if a FIFO replaced the file since stat, open must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except ValueError:
        raise RefusedError("not a valid path") from None
    except OSError as exc:
        raise RefusedError(_os_reason(exc)) from None
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise RefusedError("changed while being opened")
        return _read_at_most(fd, limit)
    except OSError as exc:
        raise RefusedError(_os_reason(exc)) from None
    finally:
        os.close(fd)


def _read_at_most(fd: int, limit: int) -> bytes:
    """Read until end of file, refusing once more than `limit` bytes came (a file may grow after stat)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise TooLargeError(f"larger than {size_text(limit)}")


def _check_kind(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "of an unknown kind")
        raise RefusedError(f"not a regular file ({kind})", "a design reads only regular files")


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "no such file"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"cannot read: {exc.strerror or exc}"
