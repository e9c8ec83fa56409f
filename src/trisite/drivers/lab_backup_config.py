"""Pure: the rendered restic units, env files and scripts read as systemd and restic read them, and the lab's
sshd and ssh configurations for repositories over SFTP (drivers/lab_backups.py runs them)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import datetime

from trisite.errors import DriverError

REPOSITORY = re.compile(r"^sftp:(?:(?P<user>[^@]+)@)?(?P<host>[^:/]+):(?P<path>/.+)$")
# The rendered job script says what it backs up: "# Backup NAME (KIND): ...".
KIND = re.compile(r"^# Backup \S+ \((?P<kind>[a-z-]+)\)", re.MULTILINE)
# Sources the lab has: plain files on a host. Etcd over TLS, MariaDB and Ceph RBD images do not run there.
RUNNABLE_KINDS = frozenset({"files"})


@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    may_fail: bool  # systemd's "-" prefix: a failure does not fail the unit


@dataclass(frozen=True)
class ServiceUnit:
    environment_file: str
    commands: tuple[Command, ...]  # ExecStartPre, ExecStart, ExecStartPost, in systemd's order


def service_unit(text: str) -> ServiceUnit:
    """The [Service] section of a oneshot unit: its EnvironmentFile and its commands in the order run."""
    found: dict[str, list[str]] = {
        "EnvironmentFile": [],
        "ExecStartPre": [],
        "ExecStart": [],
        "ExecStartPost": [],
    }
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            if key in found:
                found[key].append(value)
    if not found["ExecStart"] or len(found["EnvironmentFile"]) != 1:
        raise DriverError("the backup unit needs one EnvironmentFile and an ExecStart")
    commands = [
        Command(tuple(shlex.split(value.removeprefix("-"))), value.startswith("-"))
        for key in ("ExecStartPre", "ExecStart", "ExecStartPost")
        for value in found[key]
    ]
    return ServiceUnit(found["EnvironmentFile"][0].removeprefix("-"), tuple(commands))


def environment(text: str) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile reads them (comments and blank lines skipped)."""
    found = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip().strip('"')
    return found


@dataclass(frozen=True)
class Repository:
    user: str
    host: str
    path: str


def repository(url: str) -> Repository:
    match = REPOSITORY.match(url)
    if match is None:
        raise DriverError(f"repository {url!r}: the lab runs sftp:USER@HOST:/PATH repositories only")
    return Repository(match["user"] or "root", match["host"], match["path"])


def job_kind(script: str) -> str:
    match = KIND.search(script)
    return match["kind"] if match else "unknown"


def rooted_script(script: str, root: str) -> str:
    """The job script with the paths `restic backup` reads moved into the device's lab filesystem (a lab
    device's files are a directory of the lab, not the machine's own /etc)."""

    def root_line(line: str) -> str:
        if not line.startswith("restic backup "):
            return line
        words = shlex.split(line)
        return shlex.join(root + w if w.startswith("/") else w for w in words)

    return "\n".join(root_line(line) for line in script.splitlines()) + "\n"


def rooted_paths(text: str, root: str, paths: tuple[str, ...]) -> str:
    """`text` with each of the absolute `paths` moved under `root` (where the lab keeps the device's files)."""
    for path in paths:
        text = re.sub(rf"(?<![\w/]){re.escape(path)}(?=[/\s\"']|$)", root + path, text, flags=re.MULTILINE)
    return text


def sshd_config(directory: str, port: int) -> str:
    """An SFTP-only sshd for the repositories, keys made by the lab (no passwords, no PAM, no shell)."""
    return "\n".join(
        [
            f"Port {port}",
            f"HostKey {directory}/host_ed25519",
            f"PidFile {directory}/sshd.pid",
            f"AuthorizedKeysFile {directory}/authorized_keys",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "Subsystem sftp internal-sftp",
            "ForceCommand internal-sftp",
            "",
        ]
    )


def ssh_config(host: str, address: str, key: str, known_hosts: str) -> str:
    """How the backup hosts reach a repository host: its address in the lab, the lab's key, its host key pinned."""
    return "\n".join(
        [
            f"Host {host}",
            f"    HostName {address}",
            f"    HostKeyAlias {host}",
            "    User root",
            f"    IdentityFile {key}",
            "    IdentitiesOnly yes",
            f"    UserKnownHostsFile {known_hosts}",
            "    StrictHostKeyChecking yes",
            "    BatchMode yes",
            "    ConnectTimeout 5",
            "    ServerAliveInterval 5",
            "",
        ]
    )


def ssh_wrapper(ssh_config_path: str) -> str:
    """The `ssh` restic's SFTP backend finds first in PATH: the real one with the lab's ssh_config, without
    restic's `-l USER` (every namespace shares this machine's /etc/passwd, which has no repository account)."""
    return "\n".join(
        [
            "#!/bin/sh",
            "# The lab's ssh for restic (drivers/lab_overlay.py: the repository account is root in the lab).",
            "n=$#",
            "while [ $n -gt 0 ]; do",
            "    a=$1; shift; n=$((n - 1))",
            '    if [ "$a" = -l ]; then shift; n=$((n - 1)); continue; fi',
            '    set -- "$@" "$a"',
            "done",
            f'exec /usr/bin/ssh -F {shlex.quote(ssh_config_path)} "$@"',
            "",
        ]
    )


def newest_age_s(snapshots: list[dict[str, object]], now: datetime) -> float | None:
    """Seconds since the newest of `restic snapshots --json`'s snapshots (None: there is none)."""
    times = [_restic_time(str(s["time"])) for s in snapshots if "time" in s]
    return (now - max(times)).total_seconds() if times else None


def _restic_time(text: str) -> datetime:
    """restic's RFC 3339 times carry nanoseconds; Python reads microseconds."""
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if match is None:
        raise DriverError(f"restic snapshot time {text!r} is not RFC 3339")
    fraction = (match[2] or "0")[:6].ljust(6, "0")
    zone = "+00:00" if match[3] == "Z" else match[3]
    return datetime.fromisoformat(f"{match[1]}.{fraction}{zone}")
