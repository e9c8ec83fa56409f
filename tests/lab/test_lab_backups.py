"""Backups in the lab: the rendered restic jobs run over SFTP to the backup site's repository host, a file
backed up at one site restores at another with the same checksum, and a stopped repository sshd shows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.lab.helpers import deployed_lab, until
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_health import Health
from trisite.errors import DriverError
from trisite.lab import session

pytestmark = pytest.mark.lab
REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LAB = "pytest-backups"
JOB, SOURCE, REPOSITORY_HOST = "ops-config", "dc1-ops1", "dc2-ops1"
UNIT = f"trisite-backup-{JOB}"


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabDriver]:
    with deployed_lab(tmp_path_factory, LAB, frozenset({"backups"})) as found:
        yield found


def backups(driver: LabDriver) -> list[Health]:
    return [h for h in driver.health() if h.layer == "backups"]


def test_the_deployment_backs_up_each_job_the_lab_can_run(driver: LabDriver) -> None:
    seen = backups(driver)
    assert [h.name for h in seen] == [JOB], seen
    shown = session.status(LAB)["health"]
    assert isinstance(shown, list) and [h["name"] for h in shown] == [JOB], shown
    assert all(h.ok for h in seen), seen
    repository = driver.root(REPOSITORY_HOST) / "srv/restic" / JOB
    assert (repository / "config").is_file()
    assert (driver.root(SOURCE) / "var/lib/prometheus/node-exporter" / f"trisite-backup-{JOB}.prom").is_file()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_backed_up_at_one_site_restores_at_another(driver: LabDriver, tmp_path: Path) -> None:
    source = driver.root(SOURCE) / "var/lib/trisite/restore-me.bin"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(hashlib.sha256(str(tmp_path).encode()).digest() * 4096)
    driver.backups.run(SOURCE, UNIT)
    target = tmp_path / "restored"
    driver.backups.restore(SOURCE, UNIT, "dc3-ops1", target)
    restored = target / str(source).lstrip("/")
    assert sha256(restored) == sha256(source)


def test_a_stopped_repository_sshd_fails_the_backup_and_shows(driver: LabDriver) -> None:
    driver.service_fault(REPOSITORY_HOST, "sshd", "stop")
    try:
        with pytest.raises(DriverError, match=f"{UNIT}: .*failed: .*"):
            driver.backups.run(SOURCE, UNIT)
        seen = backups(driver)
        assert not seen[0].ok and "repository on dc2-ops1" in seen[0].detail, seen
    finally:
        driver.service_fault(REPOSITORY_HOST, "sshd", "start")
    assert until(lambda: all(h.ok for h in backups(driver)), within=30) is not None, backups(driver)
