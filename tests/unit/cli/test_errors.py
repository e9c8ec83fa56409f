"""Every command, given what makes it fail, says so in one line with the documented exit code (README, "Exit
codes"); a Ctrl-C during a long verify ends with 130 and one line. Never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from bench.designgen import generate

from tests.conftest import EXAMPLES, ROOT
from tests.unit.cli.conftest import Cli
from trisite import pipelines

MINIMAL = EXAMPLES / "minimal" / "design.yaml"
# The minimal design with one mistake: an unknown field in `platform` (its line 3 is `  name: minimal`).
BROKEN = MINIMAL.read_text(encoding="utf-8").replace(
    "  name: minimal\n", "  name: minimal\n  colour: red\n", 1
)
# Each command that reads a design, with the arguments it needs; {design} and {tmp} are filled in.
WITH_A_DESIGN = [
    ("validate", "{design}"),
    ("validate", "--secrets", "{design}"),
    ("show", "{design}"),
    ("verify", "{design}"),
    ("render", "{design}", "-o", "{tmp}/out"),
    ("deploy", "{design}", "--name", "no-such-lab"),
    ("prove", "{design}", "--name", "no-such-lab"),
    ("demo", "--design", "{design}"),
    ("lab", "up", "{design}", "--name", "no-such-lab"),
    ("lab", "power", "{design}", "s1", "off", "--name", "no-such-lab"),
]


def _args(command: tuple[str, ...], design: Path, tmp: Path) -> list[str]:
    return [a.format(design=design, tmp=tmp) for a in command]


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize("command", WITH_A_DESIGN, ids=lambda c: " ".join(c[:2]))
def test_an_invalid_design_is_one_located_line_and_exit_1(
    cli: Cli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    design = tmp_path / "broken.yaml"
    design.write_text(BROKEN, encoding="utf-8")
    result = cli(*_args(command, design, tmp_path))
    assert result.code == 1, result.output
    assert _one_line(result.stderr).startswith(f"{design}:4:3: platform.colour: unknown field 'colour'")
    assert not (tmp_path / "out").exists()  # and nothing was changed


@pytest.mark.parametrize("command", WITH_A_DESIGN, ids=lambda c: " ".join(c[:2]))
def test_a_missing_design_file_is_a_usage_error(cli: Cli, tmp_path: Path, command: tuple[str, ...]) -> None:
    result = cli(*_args(command, tmp_path / "nowhere.yaml", tmp_path))
    assert result.code == 2
    assert "nowhere.yaml" in _one_line(result.stderr)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("verify", "{reference}", "--monte-carlo", "-5"), "--monte-carlo"),
        (("verify", "{reference}", "--monte-carlo", "99999999999999999999"), "--monte-carlo"),
        (("verify", "{reference}", "--today", "yesterday"), "--today: 'yesterday' is not a date"),
        (("render", "{reference}", "-o", "{tmp}/file/out"), "cannot write"),
        (("render", "{reference}", "-o", "/proc/trisite-out"), "cannot write"),
        (("render", "{reference}", "-o", "{tmp}/link"), "is a symbolic link"),
        (("schema", "-o", "/proc/trisite/schema.json"), "cannot write"),
        (("lab", "exec", "dc1-fw1"), "give the command after --"),
        (
            ("lab", "up", "{reference}", "--service", "no-such-layer", "--name", "no-such-lab"),
            "--service no-such-layer",
        ),
        (("no-such-command",), "No such command"),
        (("prove", "{reference}", "--probe", "sctp:9", "--name", "no-such-lab"), "--probe"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, tuple) else None,
)
def test_wrong_options_and_outputs_are_usage_errors(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    (tmp_path / "file").write_text("a file, not a directory\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    reference = pipelines.reference_design(ROOT)
    result = cli(*(a.format(reference=reference, tmp=tmp_path) for a in args))
    assert result.code == 2, result.output
    assert says in _one_line(result.stderr)


def test_a_driver_failure_exits_4_naming_what_failed(cli: Cli) -> None:
    result = cli("lab", "power", str(pipelines.reference_design(ROOT)), "dc1-ceph1", "off", "--name", "nolab")
    assert result.code == 4
    assert _one_line(result.stderr).startswith("dc1-ceph1: ")


def test_a_bug_is_one_line_exit_3_and_the_traceback_only_with_debug(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*_: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("trisite.cli.app.render", broken)
    reference = str(pipelines.reference_design(ROOT))
    result = cli("render", reference, "-o", str(tmp_path / "out"))
    assert result.code == 3
    line = _one_line(result.stderr)
    assert "internal error: ZeroDivisionError" in line and "a bug" in line and "please report" in line
    debug = cli("--debug", "render", reference, "-o", str(tmp_path / "out"))
    assert debug.code == 3 and "Traceback" in debug.stderr


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _until(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_ctrl_c_during_the_sweep_of_a_large_design_is_exit_130_and_one_line(tmp_path: Path) -> None:
    design = tmp_path / "large.yaml"
    design.write_text(yaml.safe_dump(generate(500), sort_keys=False), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "trisite", "verify", str(design)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell gives a foreground job
    )
    try:
        # The N-2 sweep runs in worker processes: interrupt once they are at work, as a user at a terminal
        # would (the terminal sends SIGINT to the whole group, workers included).
        assert _until(lambda: len(_children(process.pid)) >= 2, within=120), "the sweep never started"
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, stderr
    assert _one_line(stderr) == "trisite: interrupted"


def test_error_lines_are_plain_text_whatever_the_names(cli: Cli, tmp_path: Path) -> None:
    """A console's markup would turn `:100:` into an emoji and `[dc1]` into a style: locations must survive."""
    folder = tmp_path / ":smile:[bold]"
    folder.mkdir()
    design = folder / "design.yaml"
    lines = BROKEN.splitlines()
    padding = ["# a comment"] * (100 - 4)  # the unknown field lands on line 100
    design.write_text("\n".join([*lines[:3], *padding, *lines[3:]]) + "\n", encoding="utf-8")
    result = cli("validate", str(design))
    assert result.code == 1
    assert _one_line(result.stderr).startswith(f"{design}:100:3: platform.colour: unknown field")
    valid = folder / "valid.yaml"
    valid.write_text(MINIMAL.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("validate", str(valid)).stdout.startswith(f"{valid}: valid: minimal")


def test_an_include_outside_the_design_directory_needs_allow_path(cli: Cli, tmp_path: Path) -> None:
    shared, project = tmp_path / "shared", tmp_path / "project"
    shared.mkdir()
    project.mkdir()
    (shared / "extra.yaml").write_text("zones:\n  - {name: extra}\n", encoding="utf-8")
    design = project / "design.yaml"
    design.write_text(
        f"include: [{shared / 'extra.yaml'}]\n" + MINIMAL.read_text(encoding="utf-8"), encoding="utf-8"
    )
    refused = cli("validate", str(design))
    assert refused.code == 1 and "--allow-path" in refused.stderr
    assert "Traceback" not in refused.stderr
    allowed = cli("--allow-path", str(shared), "validate", str(design))
    assert "outside" not in allowed.stderr and "--allow-path" not in allowed.stderr, allowed.stderr


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.1, 0.2, 0.3, 0.5])
def test_ctrl_c_while_the_command_starts_is_one_line_too(after: float) -> None:
    """The first few tenths of a second import the stages: a Ctrl-C there is no traceback either. (Before
    trisite's first line runs, the interpreter's own start-up takes a few tens of milliseconds on this
    machine, more under load: an interruption there is Python's, hence the first instant tried.)"""
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "trisite"),
            "verify",
            str(EXAMPLES / "three-sites" / "design.yaml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(after)  # the instant of the interruption is the point of this test
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr
    # Before Python installs its handler the signal ends the process as the default action would (-2).
    assert process.returncode in (130, -signal.SIGINT), (process.returncode, stderr)
    assert stderr.strip() in ("", "trisite: interrupted"), stderr
