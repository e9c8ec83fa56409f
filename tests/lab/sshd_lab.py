"""A real OpenSSH server in a lab namespace, for the SSH and Ansible drivers: two namespaces (a station that
speaks, a host that runs sshd) joined by a veth on 198.18.252.0/30, keys and a known_hosts made for the test.

Everything is made by the lab (build.up records the namespaces first) and taken away by build.down, which also
kills what still runs inside them; sshd is stopped by its PID before that.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trisite.drivers.netns import call_in_netns
from trisite.drivers.ssh import SshAccess
from trisite.lab import build
from trisite.lab.plan import Address, LabPlan, Link

SSHD = "/usr/sbin/sshd"
PRIVSEP = Path("/run/sshd")  # Debian's sshd refuses to start without it
STATION, HOST = "198.18.252.1", "198.18.252.2"
READY_WITHIN = 20.0


@dataclass(frozen=True)
class SshHost:
    station: str  # the namespace the drivers speak from
    device: str
    access: SshAccess
    directory: Path  # keys, known_hosts, sshd's configuration and log


def _config(directory: Path) -> str:
    return "\n".join(
        [
            f"ListenAddress {HOST}",
            "Port 22",
            f"HostKey {directory / 'host_ed25519'}",
            f"PidFile {directory / 'sshd.pid'}",
            f"AuthorizedKeysFile {directory / 'authorized_keys'}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",  # the keys live in pytest's temporary directory
            "Subsystem sftp internal-sftp",
            "",
        ]
    )


def _keys(directory: Path) -> None:
    for name in ("host_ed25519", "client_ed25519"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(directory / name)],
            check=True,
        )
    (directory / "authorized_keys").write_text((directory / "client_ed25519.pub").read_text(encoding="utf-8"))
    host_key = (directory / "host_ed25519.pub").read_text(encoding="utf-8").split()[:2]
    (directory / "known_hosts").write_text(f"{HOST} {' '.join(host_key)}\n", encoding="utf-8")


def _listening(station: str) -> bool:
    def connect() -> bool:
        try:
            socket.create_connection((HOST, 22), timeout=0.5).close()
        except OSError:
            return False
        return True

    return call_in_netns(station, connect)


def _wait_listening(station: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while not _listening(station):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["(no log)"]
            raise RuntimeError(f"sshd did not listen within {READY_WITHIN:g} s: {tail[0]}")
        time.sleep(0.1)


@contextlib.contextmanager
def sshd_lab(name: str, directory: Path) -> Iterator[SshHost]:
    """Up, sshd started and listening, then everything taken away (build.STATE_ROOT points at a test dir)."""
    station, host = f"ts-{name}-st", f"ts-{name}-h"
    plan = LabPlan(
        namespaces={station: f"{name}-st", host: f"{name}-h"},
        links=[Link(station, "eth0", host, "eth0", f"cable:{name}")],
        addresses=[Address(station, "eth0", f"{STATION}/30"), Address(host, "eth0", f"{HOST}/30")],
    )
    build.up(plan, name, "-")
    made_privsep = not PRIVSEP.exists()
    process: subprocess.Popen[bytes] | None = None
    try:
        PRIVSEP.mkdir(mode=0o755, exist_ok=True)
        _keys(directory)
        config = directory / "sshd_config"
        config.write_text(_config(directory), encoding="utf-8")
        log = directory / "sshd.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                ["ip", "netns", "exec", host, SSHD, "-D", "-e", "-f", str(config)], stdout=out, stderr=out
            )
        state = build.load_state(name)
        assert state is not None
        state.pids.append(process.pid)  # `down` kills it even if this test dies first
        build.save_state(state)
        _wait_listening(station, process, log)
        keys = (str(directory / "client_ed25519"),)
        access = SshAccess(
            f"{name}-h", HOST, str(directory / "known_hosts"), client_keys=keys, timeout=5.0, backoff=0.2
        )
        yield SshHost(station, f"{name}-h", access, directory)
    finally:
        if process is not None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
                process.wait()
        build.down(name)
        if made_privsep:
            with contextlib.suppress(OSError):
                PRIVSEP.rmdir()
        assert not Path(f"/run/netns/{station}").exists()
