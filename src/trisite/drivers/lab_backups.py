"""Backups in the lab: the rendered restic jobs run for real, over SFTP to an sshd in the repository host's
namespace (drivers/lab_backup_config.py reads the rendered files).

A real host's systemd starts the job's timer, and the timer the service; the lab runs the service's commands
once when the timer is started by the deployment, and again on demand (`run`), instead of waiting for the
schedule (drivers/lab_overlay.py). The repository password comes from the rendered env file, filled with the
design's secret by the deployment; it is passed to restic in its environment, never on a command line or in
a log or the lab's state.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from trisite.drivers import daemons, records
from trisite.drivers import lab_backup_config as config
from trisite.drivers.daemons import IP
from trisite.drivers.lab_health import Health
from trisite.drivers.netns import call_in_netns, namespace
from trisite.errors import DriverError

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
PRIVSEP = Path("/run/sshd")  # Debian's sshd refuses to start without it
SFTP_PORT = 22
UNITS = "etc/systemd/system"
MARK_SUCCESS = "/etc/trisite/restic/mark-success"
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
RUN_TIMEOUT_S = 600.0
MAX_AGES = "backup-max-ages.json"
SSHD_READY_S = 15.0
PATH_READY_S = 60.0  # for the routes between the job's site and the repository's to converge after deploying
_SSHD_LOCK = threading.Lock()  # deployment steps run in parallel threads


def last_words(said: str, returncode: int) -> str:
    """What a failed command said last; restic puts its reason on the line after "Fatal: ... at REPO:"."""
    lines = said.strip().splitlines()
    fatal = next((i for i, line in enumerate(lines) if line.startswith("Fatal:")), None)
    if fatal is not None:
        return " ".join(line.strip() for line in lines[fatal : fatal + 2])
    return lines[-1] if lines else f"exit {returncode}"


def unit_of(timer: str) -> str:
    return timer.removesuffix(".timer")


class LabBackups:
    """Runs the rendered backup jobs of the lab's hosts; `lab_dir/root/DEVICE` is each device's filesystem."""

    def __init__(self, lab_dir: Path, run: Path, pids: list[int]) -> None:
        self.lab_dir = lab_dir
        self.run_dir = run
        self.pids = pids
        self.ssh = run / "ssh"

    def root(self, device: str) -> Path:
        return self.lab_dir / "root" / device

    # -- what the deployment's `start TIMER` does -------------------------------------------------------------
    def timer(self, device: str, timer: str, action: str) -> str:
        """Start (or restart) a job's timer: in the lab, run its service once now. Returns what was done."""
        if action == "stop":
            return f"{timer}: nothing scheduled in the lab"
        unit = unit_of(timer)
        if not (self.root(device) / UNITS / timer).is_file():
            raise DriverError(f"{device}: no /{UNITS}/{timer}", device=device)
        job, script = self._job(device, unit)
        kind = config.job_kind(script)
        if kind not in config.RUNNABLE_KINDS:
            return f"{unit}: not run in the lab (its source, {kind}, does not run there)"
        env = self._environment(device, unit)
        repo = config.repository(env.get("RESTIC_REPOSITORY", ""))
        self.ensure_sshd(repo.host)
        self._wait_reachable(device, repo.host)
        self._record(job, {"device": device, "unit": unit, "repository_host": repo.host})
        self.run(device, unit)
        return f"{unit}: backed up to {repo.host}"

    def _job(self, device: str, unit: str) -> tuple[str, str]:
        service = config.service_unit(self._read(device, f"/{UNITS}/{unit}.service"))
        script = next((c.args[0] for c in service.commands if c.args[0].endswith(".sh")), None)
        if script is None:
            raise DriverError(f"{device}: {unit}.service runs no job script", device=device)
        return Path(script).stem, self._read(device, script)

    def _read(self, device: str, path: str) -> str:
        target = self.root(device) / path.lstrip("/")
        if not target.is_file():
            raise DriverError(f"{device}: no {path} (was the backup step deployed?)", device=device)
        return target.read_text(encoding="utf-8")

    def _environment(self, device: str, unit: str) -> dict[str, str]:
        service = config.service_unit(self._read(device, f"/{UNITS}/{unit}.service"))
        return config.environment(self._read(device, service.environment_file))

    # -- a run of the service, as systemd runs a oneshot unit -------------------------------------------------
    def run(self, device: str, unit: str) -> None:
        """Every command of the unit in order, in the device's namespace; a failure fails the run."""
        service = config.service_unit(self._read(device, f"/{UNITS}/{unit}.service"))
        env = self._restic_env(device, self._environment(device, unit))
        log = self.run_dir / device / f"{unit}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        tolerated: list[
            str
        ] = []  # what failed of the commands allowed to fail (`-`), told with a later failure
        for command in service.commands:
            args = self._localized(device, command.args)
            done = self._call(device, args, env, log)
            if done.returncode == 0:
                continue
            said = f"{Path(args[0]).name} {args[1] if len(args) > 1 else ''} failed: " + last_words(
                done.stderr, done.returncode
            )
            if not command.may_fail:
                before = f" (before it, {tolerated[-1]})" if tolerated else ""
                raise DriverError(f"{device}: {unit}: {said}{before}", device=device)
            tolerated.append(said)

    def _localized(self, device: str, args: tuple[str, ...]) -> list[str]:
        """The unit's own files (/etc/trisite/restic/...) as the lab's rooted copies of them."""
        if not args[0].startswith("/etc/trisite/"):
            return list(args)
        root = str(self.root(device))
        text = self._read(device, args[0])
        rooted = (
            config.rooted_paths(text, root, (TEXTFILE_DIR,))
            if args[0] == MARK_SUCCESS
            else config.rooted_script(text, root)
        )
        if args[0] == MARK_SUCCESS:
            (self.root(device) / TEXTFILE_DIR.lstrip("/")).mkdir(parents=True, exist_ok=True)
        copy = self.run_dir / device / "restic" / Path(args[0]).name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(rooted, encoding="utf-8")
        copy.chmod(0o700)
        return [str(copy), *args[1:]]

    def _restic_env(self, device: str, rendered: dict[str, str]) -> dict[str, str]:
        bin_dir = self.ssh / "bin"
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")},
            **rendered,
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}",
            "RESTIC_CACHE_DIR": str(self.run_dir / device / "restic-cache"),
        }

    def _call(
        self, device: str, args: list[str], env: dict[str, str], log: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        self.root(device).mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(  # noqa: S603 - the unit's own commands, the password in the environment only
                [IP, "netns", "exec", namespace(device), *args],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=RUN_TIMEOUT_S,
                cwd=self.root(device),
            )
        except subprocess.TimeoutExpired:
            raise DriverError(
                f"{device}: {args[0]} took more than {RUN_TIMEOUT_S:g} s", device=device
            ) from None
        if log is not None:
            with log.open("a", encoding="utf-8") as out:
                out.write(f"$ {' '.join(args)}\n{done.stdout}{done.stderr}exit {done.returncode}\n")
        return done

    # -- the repository host's sshd ---------------------------------------------------------------------------
    def ensure_sshd(self, host: str) -> None:
        """An SFTP server in the repository host's namespace, whose /srv is the host's lab filesystem."""
        with _SSHD_LOCK:
            self._client_files(host)
            if daemons.running(self.run_dir, host, "sshd"):
                return
            PRIVSEP.mkdir(mode=0o755, exist_ok=True)
            srv = self.root(host) / "srv"
            srv.mkdir(parents=True, exist_ok=True)
            conf = self.ssh / f"sshd-{host}.conf"
            conf.write_text(config.sshd_config(str(self.ssh / host), SFTP_PORT), encoding="utf-8")
            # Each daemon of daemons.py runs under `ip netns exec`, in a mount namespace of its own: binding
            # the lab's /srv over the machine's there is seen by that sshd alone.
            bind = f"mount --bind {srv} /srv && exec {SSHD} -D -e -f {conf}"
            group = daemons.start(self.run_dir, host, namespace(host), "sshd", ["sh", "-c", bind])
            self.pids.append(-group)
            self._wait_listening(host)

    def _wait_listening(self, host: str) -> None:
        """Until the new sshd accepts connections (a job run before would find no repository)."""
        self._wait_accepts(host, host, SSHD_READY_S)

    def _wait_reachable(self, device: str, host: str) -> None:
        """Until the job's host reaches the repository's sshd across the sites: the lab runs the job right after
        the deployment, while routing may still converge (a site's timer fires long after the network is up,
        systemd's network-online.target)."""
        self._wait_accepts(device, host, PATH_READY_S)

    def _wait_accepts(self, device: str, host: str, within: float) -> None:
        """Until `host`'s sshd accepts a connection made from `device`'s namespace."""
        address = self._address(host)

        def accepts() -> bool:
            try:
                socket.create_connection((address, SFTP_PORT), timeout=0.5).close()
            except OSError:
                return False
            return True

        deadline = time.monotonic() + within
        while not call_in_netns(namespace(device), accepts):
            if time.monotonic() > deadline:
                where = "" if device == host else f" from {device}"
                raise DriverError(f"{host}: sshd did not accept{where} within {within:g} s", device=host)
            time.sleep(0.05)

    def _client_files(self, host: str) -> None:
        keys = self.ssh / host
        keys.mkdir(parents=True, exist_ok=True)
        for name in ("host_ed25519", "client_ed25519"):
            path = self.ssh / (name if name.startswith("client") else f"{host}/{name}")
            if not path.exists():
                subprocess.run(  # noqa: S603 - fixed arguments
                    [
                        SSH_KEYGEN,
                        "-q",
                        "-t",
                        "ed25519",
                        "-N",
                        "",
                        "-C",
                        f"trisite-lab-{name}",
                        "-f",
                        str(path),
                    ],
                    check=True,
                )
        client = (self.ssh / "client_ed25519.pub").read_text(encoding="utf-8")
        # Every file below is read by the ssh processes of jobs already running in other threads: written aside.
        records.write_aside(keys / "authorized_keys", client)
        host_key = " ".join((keys / "host_ed25519.pub").read_text(encoding="utf-8").split()[:2])
        known = self.ssh / "known_hosts"
        lines = set(known.read_text(encoding="utf-8").splitlines()) if known.exists() else set()
        records.write_aside(known, "\n".join(sorted(lines | {f"{host} {host_key}"})) + "\n")
        blocks = self.ssh / "config.d"
        blocks.mkdir(exist_ok=True)
        text = config.ssh_config(host, self._address(host), str(self.ssh / "client_ed25519"), str(known))
        records.write_aside(blocks / host, text)
        joined = "".join(p.read_text(encoding="utf-8") for p in sorted(blocks.iterdir()))
        records.write_aside(self.ssh / "ssh_config", joined)
        wrapper = self.ssh / "bin" / "ssh"
        wrapper.parent.mkdir(exist_ok=True)
        records.write_aside(wrapper, config.ssh_wrapper(str(self.ssh / "ssh_config")), mode=0o755)

    def _address(self, host: str) -> str:
        """The repository host's first address in the lab (its management address)."""
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [IP, "-n", namespace(host), "-j", "-4", "address", "show", "scope", "global"],
            capture_output=True,
            text=True,
            check=False,
        )
        for link in json.loads(done.stdout or "[]"):
            for info in link.get("addr_info", []):
                return str(info["local"])
        raise DriverError(f"{host}: no address in the lab to reach its repositories at", device=host)

    # -- what was started, and its health ------------------------------------------------------------------------
    def max_ages(self) -> dict[str, int]:
        """Each job's max_age_h, from the design (written at `lab up`: the rendered host files do not say)."""
        path = self.lab_dir / MAX_AGES
        found: dict[str, int] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return found

    def recorded(self) -> dict[str, dict[str, str]]:
        return records.read(self.lab_dir / "backups.json")

    def _record(self, job: str, value: dict[str, str]) -> None:
        records.update(self.lab_dir / "backups.json", job, value)

    def snapshots(self, device: str, unit: str, job: str) -> list[dict[str, object]]:
        """`restic snapshots --json` of the job's repository, read from the host that backs it up."""
        env = self._restic_env(device, self._environment(device, unit))
        done = self._call(device, ["restic", "snapshots", "--json", "--tag", job], env)
        if done.returncode != 0:
            raise DriverError(f"{job}: {last_words(done.stderr, done.returncode)}")
        listed: list[dict[str, object]] = json.loads(done.stdout or "[]")
        return listed

    def restore(self, device: str, unit: str, on: str, target: Path) -> None:
        """Restore the job's latest snapshot on another host `on` (its namespace), with the job's env file."""
        env = self._restic_env(on, self._environment(device, unit))
        done = self._call(on, ["restic", "restore", "latest", "--target", str(target)], env)
        if done.returncode != 0:
            raise DriverError(f"{on}: restic restore: {last_words(done.stderr, done.returncode)}", device=on)

    def health(self) -> list[Health]:
        """Each job's repository: it answers and holds a snapshot younger than the job's max_age_h."""
        found = []
        ages = self.max_ages()
        for job, where in sorted(self.recorded().items()):
            limit_s = ages[job] * 3600
            try:
                age = config.newest_age_s(
                    self.snapshots(where["device"], where["unit"], job), datetime.now(UTC)
                )
            except DriverError as exc:
                found.append(
                    Health("backups", job, False, f"repository on {where['repository_host']}: {exc}")
                )
                continue
            ok = age is not None and age <= limit_s
            said = "no snapshot" if age is None else f"newest snapshot {age:.0f} s old"
            found.append(
                Health("backups", job, ok, f"{said} (max {limit_s // 3600} h) on {where['repository_host']}")
            )
        return found
