"""The SSH driver against a real sshd in a lab namespace (what the conformance kit does not already cover):
host keys always checked, atomic puts, systemctl, observations, timeouts and an unreachable host."""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.lab.sshd_lab import STATION, SshHost, sshd_lab
from trisite.drivers.ssh import SshDriver
from trisite.errors import DriverError

pytestmark = pytest.mark.lab
BOOTSTRAP = """table inet trisite {
  chain bootstrap {
    type filter hook input priority 0; policy accept;
    tcp dport 22 accept comment "the station, while deploying"
  }
}
"""


@pytest.fixture
def host(lab_root: Path, tmp_path: Path) -> Iterator[SshHost]:
    assert lab_root.name == "state"
    keys = tmp_path / "keys"
    keys.mkdir()
    with sshd_lab("ssh", keys) as found:
        yield found


def driver_for(host: SshHost, **changes: object) -> SshDriver:
    return SshDriver({host.device: dataclasses.replace(host.access, **changes)}, netns=host.station)


def test_a_host_key_that_is_not_known_stops_before_logging_in(host: SshHost, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    other = tmp_path / "known_hosts_other"
    other.write_text(
        f"{host.access.address} {' '.join(stranger.with_suffix('.pub').read_text().split()[:2])}\n"
    )
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    for known in (other, empty):
        with driver_for(host, known_hosts=str(known)) as ssh, pytest.raises(DriverError) as caught:
            ssh.exec(host.device, ["true"])
        assert f"host key not verified against {known}" in str(caught.value)
        assert caught.value.device == host.device


def test_a_put_is_atomic_and_leaves_nothing_beside_the_file(host: SshHost, tmp_path: Path) -> None:
    target = tmp_path / "etc" / "app.conf"
    with driver_for(host) as ssh:
        ssh.put(host.device, str(target), "one\n", "0600")
        ssh.put(host.device, str(target), "two\n", "0640")
        assert target.read_text() == "two\n" and oct(target.stat().st_mode & 0o777) == "0o640"
        assert [p.name for p in target.parent.iterdir()] == ["app.conf"]  # no temporary file left
        with pytest.raises(DriverError, match="file mode '9999'"):
            ssh.put(host.device, str(target), "three\n", "9999")
        assert target.read_text() == "two\n"


def test_services_go_through_systemctl(host: SshHost, tmp_path: Path) -> None:
    """A stand-in systemctl (no systemd runs here) that logs its arguments and knows two units; a changed unit
    is read again and a disabled one enabled before it starts."""
    log, stub = tmp_path / "systemctl.log", tmp_path / "systemctl"
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {log}\n'
        'case "$1" in daemon-reload) exit 0 ;; esac\n'
        # frr: a changed, disabled unit; nftables: enabled, unchanged; anything else: unknown
        'case "$1 $3" in "show frr") printf "NeedDaemonReload=yes\\nUnitFileState=disabled\\n"; exit 0 ;;\n'
        '  "show nftables") printf "NeedDaemonReload=no\\nUnitFileState=enabled\\n"; exit 0 ;;\n'
        '  show*) printf "NeedDaemonReload=no\\nUnitFileState=\\n"; exit 0 ;; esac\n'
        'case "$2" in frr|nftables) exit 0 ;; esac\n'
        'echo "Failed to $1 $2.service: Unit $2.service not found." >&2\nexit 5\n'
    )
    stub.chmod(0o755)
    with driver_for(host, systemctl=str(stub)) as ssh:
        ssh.service(host.device, "frr", "restart")
        ssh.service(host.device, "nftables", "start")
        ssh.service(host.device, "nftables", "reload")
        with pytest.raises(DriverError) as caught:
            ssh.service(host.device, "ucarp-vip1", "start")
    show = "show --property=NeedDaemonReload,UnitFileState"
    assert log.read_text().splitlines() == [
        *(f"{show} frr", "daemon-reload", "enable frr", "restart frr"),  # read again, enabled, started
        *(f"{show} nftables", "start nftables"),  # enabled and unchanged: started only
        "reload nftables",
        *(f"{show} ucarp-vip1", "start ucarp-vip1"),
    ]
    assert str(caught.value) == (
        f"{host.device}: systemctl start ucarp-vip1: Failed to start ucarp-vip1.service: Unit ucarp-vip1.service "
        "not found."
    )


def test_observations_read_the_hosts_live_state(host: SshHost, tmp_path: Path) -> None:
    rules = tmp_path / "bootstrap.nft"
    rules.write_text(BOOTSTRAP)
    with driver_for(host) as ssh:
        assert ssh.observe(host.device, "bootstrap-rules") == ""  # no chain yet: no rules left
        assert ssh.exec(host.device, ["nft", "-f", str(rules)]).returncode == 0
        assert (
            ssh.observe(host.device, "bootstrap-rules")
            == 'tcp dport 22 accept comment "the station, while deploying"'
        )
        assert "chain bootstrap" in ssh.observe(host.device, "nftables")
        assert ssh.observe(host.device, "routes") == ""  # the link's own route is the kernel's, not set
        assert (
            ssh.exec(host.device, ["ip", "route", "add", "198.18.100.0/24", "via", STATION]).returncode == 0
        )
        assert "198.18.100.0/24 via 198.18.252.1 dev eth0" in ssh.observe(host.device, "routes")
        assert ssh.observe(host.device, "accounts").startswith("root:x:0:0:")
        assert ssh.observe(host.device, "frr") == ""  # no FRR runs in that namespace


def test_a_command_that_does_not_finish_is_cut_at_its_timeout(host: SshHost) -> None:
    with driver_for(host) as ssh:
        started = time.monotonic()
        with pytest.raises(DriverError, match=r"sleep: no answer within 0\.5 s"):
            ssh.exec(host.device, ["sleep", "30"], timeout=0.5)
        assert time.monotonic() - started < 10
        assert ssh.exec(host.device, ["true"]).returncode == 0  # the connection still serves


def test_an_unreachable_host_is_tried_with_backoff_then_named(host: SshHost) -> None:
    unreachable = driver_for(host, address="198.18.252.3", timeout=0.5, attempts=2, backoff=0.1)
    with unreachable as ssh, pytest.raises(DriverError) as caught:
        ssh.exec(host.device, ["true"])
    message = str(caught.value)
    assert message.startswith(f"{host.device}: SSH to root@198.18.252.3:22: no connection (")
    assert message.endswith("2 attempts over 0.1 s); check the address and that sshd runs there")


def test_calls_from_many_threads_share_one_login(host: SshHost) -> None:
    with driver_for(host) as ssh, ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda n: ssh.exec(host.device, ["echo", str(n)]), range(12)))
    assert [d.stdout for d in done] == [f"{n}\n" for n in range(12)]
    logins = (host.directory / "sshd.log").read_text().count("Accepted publickey for root")
    assert logins == 1
