"""Hostile designs that need a file system (links, FIFOs, sparse files, permissions) or sizes that do not fit
in tests/cases/bad_inputs.yaml: each gets located one-line errors, and nothing is read beyond its limit."""

from __future__ import annotations

import itertools
import os
import resource
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.errors import DesignError
from trisite.model import load_design
from trisite.model.limits import MAX_FILES, MAX_INCLUDE_DEPTH

INCLUDES = "include: [dc1.yaml, dc2.yaml, dc3.yaml]"


@pytest.fixture
def design(tmp_path: Path) -> Path:
    """The reference design copied to tmp_path/design; a sibling tmp_path/other is outside it."""
    shutil.copytree(EXAMPLES / "three-sites", tmp_path / "design")
    (tmp_path / "other").mkdir()
    return tmp_path / "design"


def errors(path: Path, allowed: tuple[Path, ...] = ()) -> list[str]:
    try:
        load_design(path, allowed=allowed)
    except DesignError as exc:
        return str(exc).splitlines()
    return []


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_includes_out_of_the_directory_are_refused_unless_allowed(design: Path) -> None:
    other = design.parent / "other"
    shutil.move(design / "dc3.yaml", other / "dc3.yaml")
    for spelled in ("../other/dc3.yaml", str(other / "dc3.yaml")):
        edit(design / "design.yaml", INCLUDES, f"include: [dc1.yaml, dc2.yaml, {spelled}]")
        assert errors(design / "design.yaml") == [
            f"{design}/design.yaml:4:31: include[2]: {spelled}: outside the design's directory "
            f"(a design reads files only under {design}/; allow a directory explicitly with --allow-path)"
        ]
        assert errors(design / "design.yaml", allowed=(other,)) == []
        edit(design / "design.yaml", f"include: [dc1.yaml, dc2.yaml, {spelled}]", INCLUDES)


def test_a_symlink_out_of_the_directory_is_refused_unless_allowed(design: Path) -> None:
    other = design.parent / "other"
    shutil.move(design / "dc3.yaml", other / "dc3.yaml")
    (design / "dc3.yaml").symlink_to(other / "dc3.yaml")
    (found,) = errors(design / "design.yaml")
    assert found.startswith(
        f"{design}/design.yaml:4:31: include[2]: dc3.yaml: resolves to {other}/dc3.yaml, outside"
    )
    assert errors(design / "design.yaml", allowed=(other,)) == []


def test_a_foreign_file_is_not_echoed(design: Path) -> None:
    """A file in /etc/shadow's format, included from an allowed directory: keys may be named, values never."""
    other = design.parent / "other"
    (other / "shadow").write_text("root: $6$s3cr3thash$\n", encoding="utf-8")
    edit(design / "design.yaml", INCLUDES, f"include: [dc1.yaml, dc2.yaml, dc3.yaml, {other}/shadow]")
    found = errors(design / "design.yaml", allowed=(other,))
    assert len(found) == 1
    assert found[0].startswith(f"{other}/shadow:1:1: root: unknown field 'root' (allowed: backups, ")
    (other / "shadow").write_text("root:$6$s3cr3thash$:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n")
    assert "s3cr3t" not in "".join(errors(design / "design.yaml", allowed=(other,)))


def test_symlink_loops(design: Path) -> None:
    (design / "dc1.yaml").unlink()
    (design / "dc1.yaml").symlink_to("loop.yaml")
    (design / "loop.yaml").symlink_to("dc1.yaml")
    assert errors(design / "design.yaml") == [
        f"{design}/design.yaml:4:11: include[0]: dc1.yaml: symlink loop"
    ]
    assert errors(design / "dc1.yaml") == [f"{design}/dc1.yaml: symlink loop"]


def test_fifo_and_devices_are_refused_before_opening(design: Path) -> None:
    (design / "dc2.yaml").unlink()
    os.mkfifo(design / "dc2.yaml")  # opening it for reading would wait for a writer forever
    assert errors(design / "design.yaml") == [
        f"{design}/design.yaml:4:21: include[1]: dc2.yaml: not a regular file (a FIFO) "
        "(a design reads only regular files)"
    ]
    assert errors(design / "dc2.yaml") == [
        f"{design}/dc2.yaml: not a regular file (a FIFO) (a design reads only regular files)"
    ]
    assert errors(Path("/dev/zero")) == [
        "/dev/zero: not a regular file (a character device) (a design reads only regular files)"
    ]
    edit(design / "design.yaml", INCLUDES, "include: [dc1.yaml, /dev/zero, dc3.yaml]")
    assert errors(design / "design.yaml", allowed=(Path("/dev"),))[0].endswith(
        "include[1]: /dev/zero: not a regular file (a character device) (a design reads only regular files)"
    )


def test_huge_files_are_refused_by_their_size_without_reading(design: Path) -> None:
    with (design / "dc3.yaml").open("r+b") as f:
        f.truncate(3 * 2**30)  # sparse: 3 GB on paper, nothing written
    assert errors(design / "design.yaml") == [
        f"{design}/design.yaml:4:31: include[2]: dc3.yaml: the design is larger than 16 MiB"
    ]
    assert errors(design / "dc3.yaml") == [
        f"{design}/dc3.yaml: the design is larger than 16 MiB (a design of 2,000 servers takes 1.4 MB; check the path)"
    ]


def test_too_many_values_are_refused_before_composing(tmp_path: Path) -> None:
    """1.2 million zeros take 2.4 MB of text but would take 430 MB as composed YAML nodes."""
    path = tmp_path / "design.yaml"
    path.write_text("platform: [" + "0," * 1_200_000 + "0]\n", encoding="utf-8")
    with _address_space(1 << 30):
        found = errors(path)
    assert found == [
        f"{path}:1:2000006: the design holds more than 1,000,000 values (all its files together) "
        "(write fewer values, or split the platform into several designs)"
    ]


@pytest.mark.parametrize(
    "bomb",
    [
        # billion laughs, 10^20 values
        "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 21)),
        # merge keys doubling a mapping 60 times
        "".join(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}\n" for i in range(1, 61)),
        # a wide one: 5,000 aliases of a 50-value list
        "l1: &l1 [" + ", ".join(["x"] * 50) + "]\nl2: [" + ", ".join(["*l1"] * 5000) + "]\n",
    ],
    ids=["billion-laughs", "merge-keys", "wide"],
)
def test_alias_bombs_are_refused_by_count_before_building(tmp_path: Path, bomb: str) -> None:
    """Within 1 GiB of address space: an expanding bomb would fail the test by MemoryError, not by a clock."""
    path = tmp_path / "design.yaml"
    path.write_text("l0: &l0 [x]\nm0: &m0 {a: 1}\n" + bomb, encoding="utf-8")
    with _address_space(1 << 30):
        (found,) = errors(path)
    assert found.startswith(f"{path}:")
    assert ": aliases here expand to more than 100,000 values (an alias bomb?" in found


def test_deep_block_nesting_is_located(tmp_path: Path) -> None:
    path = tmp_path / "design.yaml"
    path.write_text("".join(" " * i + "a:\n" for i in range(900)) + " " * 900 + "a: 1\n", encoding="utf-8")
    assert errors(path) == [
        f"{path}:66:66: a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a…: nested more than 64 levels "
        "(a design nests a few levels: sections, items, their fields)"
    ]
    path.write_text("platform: " + "[" * 100_000 + "\n", encoding="utf-8")
    (found,) = errors(path)
    assert found.startswith(f"{path}:1:1010: invalid YAML: ")


def test_a_file_is_included_once(design: Path) -> None:
    edit(design / "design.yaml", INCLUDES, "include: [" + ", ".join(["dc1.yaml"] * 3000) + "]")
    assert errors(design / "design.yaml") == [
        f"{design}/design.yaml:4:21: include[1]: dc1.yaml is already included, at {design}/design.yaml:4:11 "
        "(include each file once)"
    ]


def test_includes_nest_and_number_within_limits(tmp_path: Path) -> None:
    chain = [tmp_path / f"f{i}.yaml" for i in range(MAX_INCLUDE_DEPTH + 2)]
    for here, nxt in itertools.pairwise(chain):
        here.write_text(f"include: [{nxt.name}]\n", encoding="utf-8")
    chain[-1].write_text("platform: {}\n", encoding="utf-8")
    (found,) = errors(chain[0])
    assert (
        found
        == f"{chain[MAX_INCLUDE_DEPTH - 1]}:1:11: include[0]: includes nest more than 16 deep (include the files from fewer levels)"
    )
    names = [f"p{i}.yaml" for i in range(MAX_FILES)]
    for name in names:
        (tmp_path / name).write_text("sites: []\n", encoding="utf-8")
    (tmp_path / "design.yaml").write_text(f"include: [{', '.join(names)}]\n", encoding="utf-8")
    (found,) = errors(tmp_path / "design.yaml")
    assert f"include[{MAX_FILES - 1}]: a design has at most {MAX_FILES} files" in found


def test_problems_are_counted_beyond_two_hundred_lines(tmp_path: Path) -> None:
    path = tmp_path / "design.yaml"
    path.write_text("".join(f"platform: {i}\n" for i in range(250)), encoding="utf-8")
    found = errors(path)
    assert len(found) == 201
    assert found[-1] == f"{path}:202:1: and 49 more problems (fix the ones above first)"


def test_file_secret_out_of_the_directory_is_located(design: Path) -> None:
    other = design.parent / "other"
    (design / "secrets").mkdir()
    (design / "secrets" / "vpn-admin.key").symlink_to(other / "key")
    assert errors(design / "design.yaml") == [
        f"{design}/design.yaml:28:19: secrets.vpn-admin-key.file: outside the design's directory "
        f"(a design reads files only under {design}/; allow a directory explicitly with --allow-path)"
    ]
    assert errors(design / "design.yaml", allowed=(other,)) == []


def test_a_design_behind_an_unreadable_directory(tmp_path: Path) -> None:
    """Root reads through any permission bits, so a child process drops to `nobody` first. What root itself
    is refused (files on a read-protected network mount, for instance) is not reproduced here."""
    (tmp_path / "design.yaml").write_text("platform: {}\n", encoding="utf-8")
    tmp_path.chmod(0o700)
    assert _as_nobody(lambda: errors(tmp_path / "design.yaml")) == [
        f"{tmp_path}/design.yaml: cannot read: Permission denied"
    ]
    with _open_dir() as public:
        (public / "design.yaml").write_text("include: [sub/more.yaml]\n", encoding="utf-8")
        (public / "sub").mkdir(mode=0o700)
        (public / "sub" / "more.yaml").write_text("sites: []\n", encoding="utf-8")
        assert _as_nobody(lambda: errors(public / "design.yaml")) == [
            f"{public}/design.yaml:1:11: include[0]: sub/more.yaml: cannot read: Permission denied"
        ]
        (public / "design.yaml").chmod(0o000)
        assert _as_nobody(lambda: errors(public / "design.yaml")) == [
            f"{public}/design.yaml: cannot read: Permission denied"
        ]


@contextmanager
def _open_dir() -> Iterator[Path]:
    """A world-readable temporary directory (tmp_path's parents are root's own, 0700)."""
    path = Path(tempfile.mkdtemp(prefix="trisite-hostile-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def _as_nobody(check: Callable[[], list[str]]) -> list[str]:
    """Run `check` in a forked child that became `nobody` (modules are already imported by the parent)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become nobody")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        text = "CRASH"
        try:
            os.setgid(65534)
            os.setuid(65534)
            text = "\n".join(check())
        except BaseException as exc:  # reported to the parent, which fails the test
            text = f"CRASH {exc!r}"
        finally:
            os.write(write, text.encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    os.waitpid(pid, 0)
    assert not text.startswith("CRASH"), text
    return text.splitlines()


@contextmanager
def _address_space(limit: int) -> Iterator[None]:
    """At most `limit` more bytes of address space for a block: a runaway allocation fails fast."""
    before = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_mapped_bytes() + limit, before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, before)


def _mapped_bytes() -> int:
    """The address space this process maps already (VmSize), so the cap measures only what comes next."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0
