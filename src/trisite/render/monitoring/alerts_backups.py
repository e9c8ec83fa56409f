"""Alerts on backup jobs, each against its own `max_age_h`: a job whose last good run is too old, and a job that
never reported one (the success timestamp is written by render/backups.py's mark-success script)."""

from __future__ import annotations

from trisite.model.operations import BackupJob
from trisite.render.monitoring.facts import Facts
from trisite.render.monitoring.metrics import BACKUP_SUCCESS_METRIC
from trisite.render.monitoring.rules import Alert, Case, Labels, series

STALE_FOR = "10m"
# Backup cases run for a day or more: series sampled once a minute (within Prometheus' five-minute lookback),
# rules evaluated every five minutes (their own rule file and test file), or promtool takes minutes.
SAMPLE_INTERVAL = "1m"
EVALUATION_INTERVAL = "5m"


def _labels(f: Facts, job: BackupJob) -> Labels:
    host = job.source.hosts[0] if job.source.hosts else job.to_host
    return {**f.node(host), "job_name": job.name}


def _fresh(f: Facts, jobs: list[BackupJob], minutes: int) -> dict[str, str]:
    """Each job succeeding continuously: its timestamp follows the clock (one minute a sample)."""
    return {series(BACKUP_SUCCESS_METRIC, _labels(f, j)): f"0+60x{minutes}" for j in jobs}


def _too_old(f: Facts, job: BackupJob, others: list[BackupJob]) -> Alert:
    labels = _labels(f, job)
    limit_s = job.max_age_h * 3600
    horizon = job.max_age_h * 60 + 30  # minutes: past the limit and the `for`
    stuck = {series(BACKUP_SUCCESS_METRIC, labels): f"0x{horizon}"}  # last good run at t=0, never again
    return Alert(
        "BackupTooOld",
        f'time() - {BACKUP_SUCCESS_METRIC}{{job_name="{job.name}"}} > {limit_s}',
        STALE_FOR,
        "warning",
        "backup {{ $labels.job_name }} has not succeeded within its max_age_h",
        (
            Case(
                f"{job.name} stops succeeding",
                {**_fresh(f, others, horizon), **stuck},
                (labels,),
                eval=f"{horizon}m",
                interval=SAMPLE_INTERVAL,
            ),
            Case(
                f"{job.name} runs on time",
                _fresh(f, [job, *others], horizon),
                eval=f"{horizon}m",
                interval=SAMPLE_INTERVAL,
            ),
        ),
        labels={"job_name": job.name},
    )


def _never(f: Facts, job: BackupJob, others: list[BackupJob]) -> Alert:
    horizon = job.max_age_h * 60 + 5
    return Alert(
        "BackupNeverReported",
        f'absent({BACKUP_SUCCESS_METRIC}{{job_name="{job.name}"}})',
        f"{job.max_age_h}h",
        "warning",
        "backup {{ $labels.job_name }} has no recorded success: not run, or mark-success failed",
        (
            Case(
                f"{job.name} never reports",
                _fresh(f, others, horizon),
                ({"job_name": job.name},),
                eval=f"{horizon}m",
                interval=SAMPLE_INTERVAL,
            ),
            Case(
                f"{job.name} reports",
                _fresh(f, [job, *others], horizon),
                eval=f"{horizon}m",
                interval=SAMPLE_INTERVAL,
            ),
        ),
        labels={"job_name": job.name},
    )


def backup_alerts(f: Facts) -> list[Alert]:
    """A rule per job and kind: each with its own limit and its own `for`."""
    found = []
    for job in f.design.backups:
        others = [j for j in f.design.backups if j.name != job.name]
        found += [_too_old(f, job, others), _never(f, job, others)]
    return found
