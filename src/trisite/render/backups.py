"""Backup jobs with restic over SFTP to the backup site: a systemd service and timer per job on the host that
reads the data, retention applied after each run, and a success timestamp for Prometheus' BackupTooOld."""

from __future__ import annotations

from trisite.errors import RenderError
from trisite.model import Design, Index
from trisite.model.operations import BackupJob
from trisite.render.artifact import Apply, Artifact, secret_ref
from trisite.render.engine import header

TEXTFILE = "/var/lib/prometheus/node-exporter"
MARK_SUCCESS = """#!/bin/sh
# {header}
# mark-success JOB: records the time of JOB's last good run for node-exporter's textfile collector.
set -eu
tmp="{textfile}/.trisite-backup-$1.prom"
printf 'trisite_backup_last_success_timestamp_seconds{{job_name="%s"}} %s\\n' "$1" "$(date +%s)" > "$tmp"
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


def _command(job: BackupJob) -> str:
    tags = f"--tag trisite --tag {job.name}"
    src = job.source
    if src.kind == "files":
        return f"/usr/bin/restic backup {tags} {' '.join(src.paths or ['/etc'])}"
    if src.kind == "database":
        return (
            f"/bin/sh -c 'mariadb-dump --all-databases --single-transaction | "
            f"/usr/bin/restic backup {tags} --stdin --stdin-filename {job.name}.sql'"
        )
    if src.kind == "etcd":
        return (
            f"/bin/sh -c 'etcdctl snapshot save /var/backups/{job.name}.db && "
            f"/usr/bin/restic backup {tags} /var/backups/{job.name}.db'"
        )
    if src.kind == "ceph-rbd":
        return (
            f"/bin/sh -c 'for image in $(rbd ls {src.pool}); do rbd export {src.pool}/$image - | "
            f"/usr/bin/restic backup {tags} --stdin --stdin-filename $image.img || exit 1; done'"
        )
    raise RenderError(f"backups[{job.name}]: {src.kind} backups are not rendered yet")


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


def render(design: Design, ix: Index) -> list[Artifact]:
    found = []
    for job in design.backups:
        host = _runner(design, job)
        site = ix.site_of(host) or "platform"
        base, unit = f"{site}/{host}/restic", f"trisite-backup-{job.name}"
        r = job.retention
        env = "\n".join(
            [
                f"# {header('restic')}",
                f"RESTIC_REPOSITORY=sftp:restic@{job.to_host}:/srv/restic/{job.name}",
                f"RESTIC_PASSWORD={secret_ref(job.repository_key)}",
                "",
            ]
        )
        service = "\n".join(
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
                f"ExecStart={_command(job)}",
                f"ExecStartPost=/usr/bin/restic forget --tag {job.name} --keep-daily {r.daily} --keep-weekly {r.weekly} "
                f"--keep-monthly {r.monthly} --prune",
                f"ExecStartPost=/etc/trisite/restic/mark-success {job.name}",
                "",
            ]
        )
        timer = "\n".join(
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
        found += [
            Artifact(
                f"{base}/{job.name}.env",
                env,
                "backup",
                host,
                site,
                Apply("file", f"/etc/trisite/restic/{job.name}.env", "0600"),
                (job.repository_key,),
            ),
            Artifact(
                f"{base}/{unit}.service",
                service,
                "backup",
                host,
                site,
                Apply("file", f"/etc/systemd/system/{unit}.service", "0644", "systemctl daemon-reload"),
            ),
            Artifact(
                f"{base}/{unit}.timer",
                timer,
                "backup",
                host,
                site,
                Apply(
                    "file",
                    f"/etc/systemd/system/{unit}.timer",
                    "0644",
                    f"systemctl enable --now {unit}.timer",
                ),
            ),
        ]
    for host, site in sorted({(a.device, a.site) for a in found if a.site}):
        found.append(
            Artifact(
                f"{site}/{host}/restic/mark-success",
                MARK_SUCCESS.format(header=header("restic"), textfile=TEXTFILE),
                "backup",
                host,
                site,
                Apply("file", "/etc/trisite/restic/mark-success", "0755"),
            )
        )
    return found
