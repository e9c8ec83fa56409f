"""The rendered ucarp vip-up/vip-down and keepalived notify scripts, run as ucarp and keepalived run them
(arguments taken from the rendered unit), with `ip` faked on PATH and the textfile directory in tmp."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.unit.render.test_checkers import tool
from trisite.model import Index, load_design
from trisite.render import ha


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    return {a.path: a.content for a in ha.render(design, Index(design))}


@pytest.fixture
def textfile(tmp_path: Path) -> Path:
    (tmp_path / "textfile").mkdir()
    (tmp_path / "bin").mkdir()
    ip = tmp_path / "bin" / "ip"
    ip.write_text(f'#!/bin/sh\necho "ip $*" >> "{tmp_path}/ip.log"\n', encoding="utf-8")
    ip.chmod(0o755)
    return tmp_path / "textfile"


def run(script: str, args: list[str], textfile: Path) -> list[str]:
    """Run script with args; the `ip` calls it made."""
    path = textfile.parent / "script"
    path.write_text(script, encoding="utf-8")
    env = {
        **os.environ,
        "PATH": f"{textfile.parent / 'bin'}:{os.environ['PATH']}",
        "TRISITE_TEXTFILE_DIR": str(textfile),
    }
    done = subprocess.run(
        [tool("sh"), str(path), *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    log = textfile.parent / "ip.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def metric(textfile: Path, group: str) -> str:
    assert [p.name for p in textfile.iterdir()] == [f"trisite_ha_{group}.prom"]  # no temporary file left
    text = (textfile / f"trisite_ha_{group}.prom").read_text(encoding="utf-8")
    promtool = tool("promtool")
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    (sample,) = [line for line in text.splitlines() if not line.startswith("#")]
    return sample


def ucarp_args(unit: str) -> list[str]:
    """What ucarp passes its scripts: INTERFACE VIRTUAL-ADDRESS XPARAM, from the unit's command line."""
    (line,) = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    options = dict(a.removeprefix("--").split("=", 1) for a in shlex.split(line)[1:] if "=" in a)
    return [options["interface"], options["addr"], options["xparam"]]


def test_ucarp_scripts_move_the_address_and_write_the_group_state(
    rendered: dict[str, str], textfile: Path
) -> None:
    base = "dc1/dc1-fw1/ucarp"
    args = ucarp_args(rendered[f"{base}/ucarp-dmz-gw.service"])
    calls = run(rendered[f"{base}/vip-up"], args, textfile)
    assert calls == [f"ip address add {args[1]}/25 dev {args[0]}"]
    assert metric(textfile, "dmz-gw") == 'trisite_ha_master{group="dmz-gw"} 1'
    calls = run(rendered[f"{base}/vip-down"], args, textfile)
    assert calls[-1] == f"ip address del {args[1]}/25 dev {args[0]}"
    assert metric(textfile, "dmz-gw") == 'trisite_ha_master{group="dmz-gw"} 0'


@pytest.mark.parametrize(("state", "value"), [("MASTER", 1), ("BACKUP", 0), ("FAULT", 0)])
def test_keepalived_notify_writes_the_instance_state(
    rendered: dict[str, str], textfile: Path, state: str, value: int
) -> None:
    notify = rendered["dc1/vfw1/keepalived/notify"]
    assert "notify /etc/trisite/keepalived/notify" in rendered["dc1/vfw1/keepalived/keepalived.conf"]
    run(notify, ["INSTANCE", "tenant-gw", state, "200"], textfile)
    assert metric(textfile, "tenant-gw") == f'trisite_ha_master{{group="tenant-gw"}} {value}'


def test_keepalived_tracks_the_uplink_of_each_member(rendered: dict[str, str]) -> None:
    conf = rendered["dc1/vfw1/keepalived/keepalived.conf"]
    block = re.search(r"track_interface \{\s*(.*?)\s*\}", conf, re.DOTALL)
    assert block is not None and block.group(1).split() == ["eth0"]  # services side; eth1 is the group's own


def test_without_the_textfile_directory_the_address_still_moves(
    rendered: dict[str, str], textfile: Path
) -> None:
    textfile.rmdir()
    calls = run(rendered["dc1/dc1-fw1/ucarp/vip-up"], ["ix1.100", "198.51.100.1", "25,dmz-gw"], textfile)
    assert calls == ["ip address add 198.51.100.1/25 dev ix1.100"]
    assert not textfile.exists()
