"""Backup jobs with restic over SFTP to the backup site: a systemd service and timer per job on the host that
reads the data, retention applied after each run, and a success timestamp for Prometheus' BackupTooOld."""

from __future__ import annotations

import re
import shlex

from trisite.errors import RenderError
from trisite.model import Design, Index
from trisite.model.operations import BackupJob
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.engine import header, template
from trisite.render.monitoring.metrics import BACKUP_SUCCESS_METRIC, TEXTFILE_DIR

MARK_SUCCESS = """#!/bin/sh
# {header}
# mark-success JOB: records the time of JOB's last good run for node-exporter's textfile collector.
set -eu
tmp="{textfile}/.trisite-backup-$1.prom"
printf '{name}{{job_name="%s"}} %s\\n' "$1" "$(date +%s)" > "$tmp"
mv "$tmp" "{textfile}/trisite-backup-$1.prom"
"""


def on_calendar(cron: str) -> str:
    """A five-field cron schedule as a systemd OnCalendar expression (numbers, lists, ranges and '*')."""
    minute, hour, day, month, weekday = cron.split()
    days = {"0": "Sun", "1": "Mon", "2": "Tue", "3": "Wed", "4": "Thu", "5": "Fri", "6": "Sat", "7": "Sun"}
    try:
        dow = "" if weekday == "*" else ",".join(days[d] for d in weekday.split(",")) + " "
    except KeyError:
        raise RenderError(f"schedule '{cron}': weekdays must be 0-7 or *") from None

    def field(value: str, width: int) -> str:
        return (
            "*" if value == "*" else ",".join(p.zfill(width) if p.isdigit() else p for p in value.split(","))
        )

    return f"{dow}*-{field(month, 2)}-{field(day, 2)} {field(hour, 2)}:{field(minute, 2)}:00"


# kubespray's etcd: its client URL on the member itself, and the admin certificate it issues each etcd host.
ETCD_CERTS = "/etc/ssl/etcd/ssl"
ETCD_LOCAL = "https://127.0.0.1:2379"
CEPH_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def _script(job: BackupJob, host: str) -> str:
    """The job as a bash script with pipefail: a dump or export that fails fails the run."""
    src = job.source
    if src.kind not in ("files", "database", "etcd", "ceph-rbd"):
        raise RenderError(f"backups[{job.name}]: {src.kind} backups are not rendered yet")
    if src.pool is not None and not CEPH_NAME.match(src.pool):
        raise RenderError(f"backups[{job.name}]: pool '{src.pool}' is not a Ceph pool name")
    etcd = {
        "endpoints": ETCD_LOCAL,
        "cacert": f"{ETCD_CERTS}/ca.pem",
        "cert": f"{ETCD_CERTS}/admin-{host}.pem",
        "key": f"{ETCD_CERTS}/admin-{host}-key.pem",
    }
    return template(
        "restic-job.sh.j2",
        header=header("restic"),
        job=job.name,
        kind=src.kind,
        tags=f"--tag trisite --tag {job.name}",
        paths=" ".join(shlex.quote(p) for p in src.paths or ["/etc"]),
        pool=src.pool,
        snapshot=f"trisite-backup-{job.name}",
        etcd=etcd,
    )


def _runner(design: Design, job: BackupJob) -> str:
    """Where the job runs: on the host holding the data, or a Ceph admin host for RBD images."""
    if job.source.kind == "ceph-rbd":
        cluster = next(c for c in design.ceph if c.name == job.source.ceph_cluster)
        return cluster.mgrs[0]
    if job.source.kind == "ovirt-vms":
        raise RenderError(
            f"backups[{job.name}]: ovirt-vms backups are not rendered yet (use ceph-rbd on their pool)"
        )
    return job.source.hosts[0]


def _service(job: BackupJob) -> str:
    r = job.retention
    return "\n".join(
        [
            f"# {header('restic')}",
            "[Unit]",
            f"Description=Backup {job.name}: {job.from_site} to {job.to_site}",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            f"EnvironmentFile=/etc/trisite/restic/{job.name}.env",
            "ExecStartPre=-/usr/bin/restic init",
            f"ExecStart=/etc/trisite/restic/{job.name}.sh",
            f"ExecStartPost=/usr/bin/restic forget --tag {job.name} --keep-daily {r.daily} --keep-weekly {r.weekly} "
            f"--keep-monthly {r.monthly} --prune",
            f"ExecStartPost=/etc/trisite/restic/mark-success {job.name}",
            "",
        ]
    )


def _timer(job: BackupJob) -> str:
    return "\n".join(
        [
            f"# {header('restic')}",
            "[Unit]",
            f"Description=Schedule of backup {job.name}",
            "",
            "[Timer]",
            f"OnCalendar={on_calendar(job.schedule)}",
            "Persistent=true",
            "RandomizedDelaySec=300",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )


def _job(design: Design, ix: Index, job: BackupJob) -> list[Artifact]:
    host = _runner(design, job)
    site = ix.site_of(host) or "platform"
    base, unit = f"{site}/{host}/restic", f"trisite-backup-{job.name}"
    env = "\n".join(
        [
            f"# {header('restic')}",
            f"RESTIC_REPOSITORY=sftp:restic@{job.to_host}:/srv/restic/{job.name}",
            f"RESTIC_PASSWORD={secret_ref(job.repository_key)}",
            "",
        ]
    )
    etc = "/etc/trisite/restic"
    systemd = "/etc/systemd/system"

    def artifact(name: str, content: str, apply: Apply, secrets: tuple[str, ...] = ()) -> Artifact:
        return Artifact(f"{base}/{name}", content, "backup", host, site, apply, secrets)

    return [
        artifact(f"{job.name}.sh", _script(job, host), Apply("file", f"{etc}/{job.name}.sh", "0700")),
        artifact(
            f"{job.name}.env", env, Apply("file", f"{etc}/{job.name}.env", "0600"), (job.repository_key,)
        ),
        artifact(
            f"{unit}.service",
            _service(job),
            Apply("file", f"{systemd}/{unit}.service", "0644", "systemctl daemon-reload"),
        ),
        artifact(
            f"{unit}.timer",
            _timer(job),
            Apply("file", f"{systemd}/{unit}.timer", "0644", f"systemctl enable --now {unit}.timer"),
        ),
    ]


def render(design: Design, ix: Index) -> list[Artifact]:
    found = [a for job in design.backups for a in _job(design, ix, job)]
    for host, site in sorted({(a.device, a.site) for a in found if a.site}):
        found.append(
            Artifact(
                f"{site}/{host}/restic/mark-success",
                MARK_SUCCESS.format(
                    header=header("restic"), textfile=TEXTFILE_DIR, name=BACKUP_SUCCESS_METRIC
                ),
                "backup",
                host,
                site,
                Apply("file", "/etc/trisite/restic/mark-success", "0755"),
            )
        )
    return found
