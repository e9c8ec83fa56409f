"""pools.sh and clients.sh against a stand-in `ceph` (and `rbd`) on PATH that keeps the cluster's state in a
JSON file and refuses to create what already exists: the scripts must look before they create, run twice to
the same cluster, and stop on any failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.model import load_design
from trisite.render import render

FAKE = r"""
import json, os, sys

state_path = os.environ["FAKE_CEPH_STATE"]
with open(state_path) as f:
    state = json.load(f)
args = sys.argv[1:]
line = " ".join([os.path.basename(sys.argv[0]), *args])
state["calls"].append(line)
fail = os.environ.get("FAKE_CEPH_FAIL")


def done(code=0, out=""):
    with open(state_path, "w") as f:
        json.dump(state, f)
    sys.stdout.write(out)
    sys.exit(code)


def refuse(message, code=22):
    sys.stderr.write(f"Error: {message}\n")
    done(code)


if fail and fail in line:
    refuse(f"injected failure of: {line}", 5)
if os.path.basename(sys.argv[0]) == "rbd":
    if args[:2] == ["pool", "init"] and args[2] in state["pools"]:
        done()
    refuse(f"rbd: {line}", 2)
match args:
    case ["osd", "crush", "rule", "ls"]:
        done(out="".join(f"{r}\n" for r in state["rules"]))
    case ["osd", "crush", "rule", "create-replicated", name, "default", _]:
        if name in state["rules"]:
            refuse(f"rule {name} created twice")
        state["rules"].append(name)
        done()
    case ["osd", "pool", "ls"]:
        done(out="".join(f"{p}\n" for p in state["pools"]))
    case ["osd", "pool", "create", name, _, _, "replicated", rule]:
        if name in state["pools"] or rule not in state["rules"]:
            refuse(f"pool {name} created twice, or rule {rule} missing")
        state["pools"][name] = {}
        done()
    case ["osd", "pool", "set", name, key, value] if name in state["pools"]:
        state["pools"][name][key] = value
        done()
    case ["osd", "pool", "application", "enable", name, app, "--yes-i-really-mean-it"] if name in state["pools"]:
        state["pools"][name]["application"] = app
        done()
    case ["fs", "ls"]:
        listed = [f"name: {n}, metadata pool: {m}, data pools: [{d} ]\n" for n, (m, d) in state["fs"].items()]
        done(out="".join(listed) or "No filesystems enabled\n")
    case ["fs", "new", name, meta, data]:
        if name in state["fs"] or meta not in state["pools"] or data not in state["pools"]:
            refuse(f"fs {name} created twice, or its pools missing")
        state["fs"][name] = [meta, data]
        done()
    case ["auth", "get", name]:
        if name not in state["users"]:
            refuse(f"failed to find {name} in keyring", 2)
        done(out=f"[{name}]\n\tkey = NOTAKEY\n")
    case ["auth", "get-or-create", name, *caps]:
        if name in state["users"]:
            refuse(f"user {name} created twice")
        state["users"][name] = caps
        done(out=f"[{name}]\n\tkey = NOTAKEY\n")
    case ["auth", "caps", name, *caps] if name in state["users"]:
        state["users"][name] = caps
        done()
    case ["mgr", "module", "enable", module]:
        state.setdefault("modules", [])
        if module not in state["modules"]:
            state["modules"].append(module)
        done()
refuse(f"unexpected: {line}")
"""


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    root = tmp_path_factory.mktemp("ceph")
    found = {}
    for a in render(design):
        if a.path.startswith("platform/ceph/main/") and a.path.endswith(".sh"):
            found[Path(a.path).name] = root / Path(a.path).name
            found[Path(a.path).name].write_text(a.content, encoding="utf-8")
    return found


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    """An empty cluster: the stand-in tools on PATH and their state file."""
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("sh not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("ceph", "rbd"):
        tool = bin_dir / name
        tool.write_text(f"#!{sys.executable} -IS\n{FAKE}", encoding="utf-8")
        tool.chmod(0o755)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"rules": [], "pools": {}, "fs": {}, "users": {}, "calls": []}))
    return state


def run(script: Path, state: Path, fail: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{state.parent / 'bin'}:{os.environ['PATH']}",
        "FAKE_CEPH_STATE": str(state),
        "FAKE_CEPH_FAIL": fail,
    }
    return subprocess.run(
        ["sh", str(script)], capture_output=True, text=True, env=env, check=False, timeout=120
    )


def test_pools_and_filesystems_are_made_once_and_run_again_cleanly(
    scripts: dict[str, Path], cluster: Path
) -> None:
    first = run(scripts["pools.sh"], cluster)
    assert first.returncode == 0, first.stderr
    made = json.loads(cluster.read_text())
    assert made["rules"] == ["replicated_datacenter"]
    assert made["fs"] == {"ovirt-engine": ["cephfs.ovirt-engine.meta", "ovirt-engine"]}
    assert made["pools"]["volumes"] == {
        "crush_rule": "replicated_datacenter",
        "size": "3",
        "min_size": "2",
        "application": "rbd",
    }
    assert "application" not in made["pools"]["ovirt-engine"]  # `ceph fs new` tags a filesystem's pools
    again = run(scripts["pools.sh"], cluster)
    assert again.returncode == 0, again.stderr  # the stand-in refuses to create anything twice
    assert {k: v for k, v in json.loads(cluster.read_text()).items() if k != "calls"} == {
        k: v for k, v in made.items() if k != "calls"
    }


@pytest.mark.parametrize(
    "fail",
    ["osd pool ls", "osd crush rule ls", "fs ls", "osd pool create volumes", "rbd pool init", "fs new"],
)
def test_pools_stop_on_a_failing_command(scripts: dict[str, Path], cluster: Path, fail: str) -> None:
    result = run(scripts["pools.sh"], cluster, fail)
    assert result.returncode != 0
    assert "injected failure" in result.stderr


def test_users_are_created_once_and_their_caps_put_back(scripts: dict[str, Path], cluster: Path) -> None:
    first = run(scripts["clients.sh"], cluster)
    assert first.returncode == 0, first.stderr
    users = json.loads(cluster.read_text())["users"]
    assert users["client.region-a-glance"] == [
        "mgr",
        "profile rbd pool=images",
        "mon",
        "profile rbd",
        "osd",
        "profile rbd pool=images",
    ]
    assert users["client.backup-vm-disks"] == [
        "mon",
        "profile rbd",
        "osd",
        "profile rbd-read-only pool=ovirt-vms",
    ]
    assert (
        "mds" in users["client.ovirt-virt"] and "allow rw fsname=ovirt-engine" in users["client.ovirt-virt"]
    )
    # Someone widened a user's caps by hand: the next run narrows them again, and creates nothing.
    state = json.loads(cluster.read_text())
    state["users"]["client.kubernetes-core"] = ["mon", "allow *", "osd", "allow *"]
    cluster.write_text(json.dumps(state))
    again = run(scripts["clients.sh"], cluster)
    assert again.returncode == 0, again.stderr
    assert json.loads(cluster.read_text())["users"] == users
    assert "NOTAKEY" not in first.stdout + first.stderr + again.stdout + again.stderr


@pytest.mark.parametrize("fail", ["auth get client.region-b-nova", "auth get-or-create", "auth caps"])
def test_users_stop_on_a_failing_command(scripts: dict[str, Path], cluster: Path, fail: str) -> None:
    if fail == "auth caps":
        assert run(scripts["clients.sh"], cluster).returncode == 0  # existing users take the caps path
    result = run(scripts["clients.sh"], cluster, fail)
    assert result.returncode != 0
