"""The lab's readers of the rendered restic and WireGuard files (pure): what systemd, restic and wg-quick take
from them, read from the reference design's own rendered artifacts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers import lab_backup_config as backup
from trisite.drivers import lab_vpn_config as vpn
from trisite.drivers.lab_backups import last_words
from trisite.errors import DriverError
from trisite.model import Index, load_design
from trisite.render import backups as render_backups
from trisite.render import vpn as render_vpn

DESIGN = load_design(EXAMPLES / "three-sites" / "design.yaml").design
IX = Index.of(DESIGN)
RENDERED = {a.path: a.content for a in render_backups.render(DESIGN, IX) + render_vpn.render(DESIGN, IX)}


def test_the_rendered_backup_unit_runs_init_then_the_job_then_retention_and_the_mark() -> None:
    unit = backup.service_unit(RENDERED["dc1/dc1-ops1/restic/trisite-backup-ops-config.service"])
    assert unit.environment_file == "/etc/trisite/restic/ops-config.env"
    assert [c.args[:2] for c in unit.commands] == [
        ("/usr/bin/restic", "init"),
        ("/etc/trisite/restic/ops-config.sh",),
        ("/usr/bin/restic", "forget"),
        ("/etc/trisite/restic/mark-success", "ops-config"),
    ]
    assert [c.may_fail for c in unit.commands] == [True, False, False, False]  # init fails once it exists


def test_a_unit_without_exec_start_is_refused() -> None:
    with pytest.raises(DriverError, match="ExecStart"):
        backup.service_unit("[Service]\nEnvironmentFile=/x\n")


def test_the_env_file_gives_the_repository_and_the_password_placeholder() -> None:
    env = backup.environment(RENDERED["dc1/dc1-ops1/restic/ops-config.env"])
    assert env["RESTIC_PASSWORD"] == "${secret:backup-repo}"  # noqa: S105 - a placeholder, no password
    repository = backup.repository(env["RESTIC_REPOSITORY"])
    assert repository == backup.Repository("restic", "dc2-ops1", "/srv/restic/ops-config")


def test_a_repository_other_than_sftp_is_refused() -> None:
    with pytest.raises(DriverError, match="sftp"):
        backup.repository("s3:https://example.net/bucket")


def test_the_job_kind_is_read_from_the_script() -> None:
    assert backup.job_kind(RENDERED["dc1/dc1-ops1/restic/ops-config.sh"]) == "files"
    assert backup.job_kind(RENDERED["dc1/k8s-cp1/restic/etcd.sh"]) == "etcd"


def test_the_backed_up_paths_move_into_the_device_root_and_nothing_else_does() -> None:
    script = RENDERED["dc1/dc1-ops1/restic/ops-config.sh"]
    rooted = backup.rooted_script(script, "/lab/root/dc1-ops1")
    assert (
        "restic backup --tag trisite --tag ops-config /lab/root/dc1-ops1/etc /lab/root/dc1-ops1/var/lib/trisite"
        in rooted
    )
    assert "(/etc/trisite/restic/ops-config.env)" in rooted  # the comment is left alone


def test_the_success_mark_writes_into_the_device_root() -> None:
    text = 'tmp="/var/lib/prometheus/node-exporter/.x"\nmv "$tmp" "/var/lib/prometheus/node-exporter/y"\n'
    rooted = backup.rooted_paths(text, "/r", ("/var/lib/prometheus/node-exporter",))
    assert rooted.count("/r/var/lib/prometheus/node-exporter/") == 2


def test_the_ssh_wrapper_drops_restics_user_and_uses_the_labs_config() -> None:
    wrapper = backup.ssh_wrapper("/lab/ssh/ssh_config")
    assert 'if [ "$a" = -l ]' in wrapper and "exec /usr/bin/ssh -F /lab/ssh/ssh_config" in wrapper


def test_the_ssh_config_pins_the_host_key_under_the_hosts_name() -> None:
    text = backup.ssh_config("dc2-ops1", "198.18.2.31", "/k", "/known")
    assert (
        "HostKeyAlias dc2-ops1" in text
        and "StrictHostKeyChecking yes" in text
        and "HostName 198.18.2.31" in text
    )


def test_the_newest_snapshot_age_reads_restics_nanoseconds() -> None:
    now = datetime(2026, 12, 7, 8, 0, 0, tzinfo=UTC)
    snapshots = [{"time": "2026-12-07T07:59:00.123456789Z"}, {"time": "2026-12-07T07:00:00+00:00"}]
    age = backup.newest_age_s(snapshots, now)  # type: ignore[arg-type]
    assert age is not None and 59.8 < age < 59.9
    assert backup.newest_age_s([], now) is None


def test_wg_quick_keys_are_stripped_and_kept_for_ip() -> None:
    text = RENDERED["dc1/dc1-fw1/wireguard/wg-admin.conf"]
    parsed = vpn.wg_quick(text + vpn.peer("PUB", ["198.18.250.254/32"]))
    assert parsed.addresses == ("198.18.250.1/32",)
    assert "Address" not in parsed.setconf and "ListenPort = 51820" in parsed.setconf
    assert parsed.allowed_ips == ("198.18.250.254/32",)
    assert vpn.private_key(parsed) == "${secret:vpn-admin-key}"
    assert vpn.client_endpoint(text) == ("203.0.113.2", 51820)


def test_the_labs_administrator_takes_the_last_host_of_the_tunnel_network() -> None:
    assert vpn.client_address(("198.18.250.1/32",)) == "198.18.250.254/32"


def test_handshake_ages_tell_never_from_seconds_ago() -> None:
    assert vpn.handshake_ages("A=\t1000\nB=\t0\n", 1010.0) == {"A=": 10.0, "B=": None}


def test_a_failed_restic_is_told_by_its_fatal_line_and_its_reason() -> None:
    said = "open repository\nFatal: unable to open repository at sftp:restic@dc2-ops1:/srv/x:\n  ssh: connection refused\n"
    assert (
        last_words(said, 1)
        == "Fatal: unable to open repository at sftp:restic@dc2-ops1:/srv/x: ssh: connection refused"
    )
    assert last_words("", 3) == "exit 3"
