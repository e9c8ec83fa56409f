"""Rendered backup jobs fail when what they back up fails: each job script runs under bash with fakes of
mariadb-dump, rbd, etcdctl and restic on PATH (the real restic must never see a test repository)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.unit.render.test_checkers import tool
from trisite.model import Index, load_design
from trisite.render import backups


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    found = backups.render(design, Index(design))
    return {Path(a.path).stem: a.content for a in found if a.path.endswith(".sh")}


def fake(bin_dir: Path, name: str, body: str) -> None:
    """A command on PATH that logs its arguments to calls.log, then runs body."""
    path = bin_dir / name
    path.write_text(f'#!/bin/bash\necho "{name} $*" >> "{bin_dir}/calls.log"\n{body}\n', encoding="utf-8")
    path.chmod(0o755)


def run_job(tmp_path: Path, script: str) -> tuple[int, list[str]]:
    bash = tool("bash")
    job = tmp_path / "job.sh"
    job.write_text(script, encoding="utf-8")
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    done = subprocess.run([bash, str(job)], capture_output=True, text=True, env=env, check=False, timeout=60)
    log = tmp_path / "bin" / "calls.log"
    return done.returncode, log.read_text(encoding="utf-8").splitlines() if log.exists() else []


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()
    fake(
        tmp_path / "bin", "restic", "cat > /dev/null 2>&1 || true; exit 0"
    )  # reads the stream, stores nothing
    return tmp_path / "bin"


@pytest.mark.parametrize(("dump_exit", "job_fails"), [(1, True), (0, False)])
def test_a_database_job_fails_when_its_dump_fails(
    scripts: dict[str, str], tmp_path: Path, bin_dir: Path, dump_exit: int, job_fails: bool
) -> None:
    fake(bin_dir, "mariadb-dump", f"echo 'CREATE TABLE half'; exit {dump_exit}")
    code, calls = run_job(tmp_path, scripts["galera"])
    assert (code != 0) is job_fails, calls
    assert any(c.startswith("restic backup") and "--stdin" in c for c in calls)


def test_rbd_images_are_exported_from_a_snapshot_removed_even_when_the_export_fails(
    scripts: dict[str, str], tmp_path: Path, bin_dir: Path
) -> None:
    fake(
        bin_dir,
        "rbd",
        'case "$1" in ls) echo disk1; echo disk2;; export) case "$2" in *disk2*) exit 1;; esac; echo data;; esac',
    )
    code, calls = run_job(tmp_path, scripts["vm-disks"])
    assert code != 0
    snap = "trisite-backup-vm-disks"
    assert f"rbd export ovirt-vms/disk1@{snap} -" in calls
    assert f"rbd export ovirt-vms/disk2@{snap} -" in calls
    exported = calls.index(f"rbd export ovirt-vms/disk2@{snap} -")
    assert f"rbd snap rm ovirt-vms/disk2@{snap}" in calls[exported:]  # removed after the failure
    created = [c for c in calls if c.startswith("rbd snap create")]
    removed_after = [c for c in calls if c.startswith("rbd snap rm")]
    assert len(created) == 2 and {c.replace("create", "rm") for c in created} <= set(removed_after)


def test_etcd_snapshots_name_the_endpoint_and_certificates_and_fail_loudly(
    scripts: dict[str, str], tmp_path: Path, bin_dir: Path
) -> None:
    fake(bin_dir, "etcdctl", "exit 1")
    code, calls = run_job(tmp_path, scripts["etcd"])
    assert code != 0
    (call,) = [c for c in calls if c.startswith("etcdctl")]
    for option in ("--endpoints=https://", "--cacert=/", "--cert=/", "--key=/"):
        assert option in call
    assert not [c for c in calls if c.startswith("restic")]  # nothing stored after a failed snapshot
