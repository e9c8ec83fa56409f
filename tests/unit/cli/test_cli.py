"""The command line: exit codes, one-line errors, and the summaries users read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.unit.cli.conftest import Cli
from trisite.lab import session as lab_session

REFERENCE = str(EXAMPLES / "three-sites" / "design.yaml")


def test_validate_ok(cli: Cli) -> None:
    result = cli("validate", REFERENCE)
    assert result.code == 0, result.output
    assert "valid: trisite-ref, 3 sites, 8 firewalls, 6 switches, 21 servers, 12 VMs" in result.output


def test_validate_invalid_design_exits_1_with_one_line_per_problem(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("platform: {name: x, domain: example.net, asn: 65000, colour: red}\n", encoding="utf-8")
    result = cli("validate", str(bad))
    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert f"{bad}:1:54: platform.colour: unknown field 'colour'" in lines[-1]
    assert "Traceback" not in result.output


def test_usage_error_exits_2(cli: Cli) -> None:
    assert cli("validate").code == 2
    assert cli("validate", REFERENCE, "--no-such-option").code == 2


def test_validate_secrets_reports_unset_variables(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRISITE_BMC_PASSWORD", raising=False)
    result = cli("validate", "--secrets", str(EXAMPLES / "minimal" / "design.yaml"))
    assert result.code == 1
    assert "secret 'bmc-admin': environment variable TRISITE_BMC_PASSWORD is not set" in result.stderr
    monkeypatch.setenv("TRISITE_BMC_PASSWORD", "abc")
    result = cli("validate", "--secrets", str(EXAMPLES / "minimal" / "design.yaml"))
    assert result.code == 1 and "secret 'bmc-admin': 3 characters, too short (at least 8)" in result.stderr
    assert "abc" not in result.output
    monkeypatch.setenv("TRISITE_BMC_PASSWORD", "not-printed")
    result = cli("validate", "--secrets", str(EXAMPLES / "minimal" / "design.yaml"))
    assert result.code == 0 and "not-printed" not in result.output


REFERENCE_SECRETS = {
    "TRISITE_BMC_PASSWORD": "bmc-password-ok",
    "TRISITE_BGP_MD5": "bgp-md5-one-word",
    "TRISITE_CARP_PASS": "carp-pass-20-chars!!",
    "TRISITE_VPN_PSK": "a-pre-shared-key",
    "TRISITE_RESTIC_PASSWORD": "restic-password",
    "TRISITE_KEYSTONE_ADMIN_PASSWORD": "keystone-admin-password",
}


def test_validate_secrets_refuses_what_their_programs_would_cut_or_break(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLES / "three-sites", tmp_path / "ref")
    (tmp_path / "ref" / "secrets").mkdir()
    for key in ("vpn-admin.key", "vpn-admin-fw2.key"):  # each firewall of the pair its own WireGuard key
        (tmp_path / "ref" / "secrets" / key).write_text("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n")
    design = str(tmp_path / "ref" / "design.yaml")
    for name, value in REFERENCE_SECRETS.items():
        monkeypatch.setenv(name, value)
    assert cli("validate", "--secrets", design).code == 0
    monkeypatch.setenv("TRISITE_CARP_PASS", "carp-pass-of-21-chars")
    monkeypatch.setenv("TRISITE_BGP_MD5", "two words")
    result = cli("validate", "--secrets", design)
    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    dc1 = str(tmp_path / "ref" / "dc1.yaml")
    assert any(
        line.startswith(f"{dc1}:61:") and "secret 'carp-pass': 21 characters, ucarp takes at most 20" in line
        for line in lines
    ), lines
    assert any(
        line.startswith(f"{dc1}:21:") and "secret 'bgp-md5': FRR cannot take a space in it" in line
        for line in lines
    ), lines
    assert "two words" not in result.output and "21-chars" not in result.output


def test_show_has_site_and_layer_tables(cli: Cli) -> None:
    result = cli("show", REFERENCE)
    assert result.code == 0
    for text in ("dc1", "dc3", "op-south", "MONs 1/1/1", "Keystone from region-a", "Kubernetes core"):
        assert text in result.output


def test_schema_is_json_schema_of_the_design(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert cli("schema", "-o", str(target)).code == 0
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert schema["title"] == "Design"
    assert {"platform", "sites", "firewalls", "ceph"} <= set(schema["properties"])


def test_version_and_help(cli: Cli) -> None:
    assert cli("--version").output.startswith("trisite ")
    for command in ("validate", "show", "schema", "demo"):
        assert cli(command, "--help").code == 0


def test_demo_runs_on_the_reference_design(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(lab_session, "missing_tools", lambda: "the lab runs in tests/lab")
    result = cli("demo", "--design", REFERENCE)
    assert result.code == 0, result.output
    assert "trisite-ref" in result.output and "Layers" in result.output
    assert (tmp_path / "out" / "MANIFEST.json").is_file()
    assert "lab skipped: the lab runs in tests/lab" in result.output


def test_render_writes_a_tree_and_refuses_foreign_directories(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "tree"
    assert cli("render", REFERENCE, "-o", str(target)).code == 0
    assert (target / "dc1" / "dc1-fw1" / "frr" / "frr.conf").is_file()
    assert cli("render", REFERENCE, "-o", str(target)).code == 0  # a re-render replaces it
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    result = cli("render", REFERENCE, "-o", str(foreign))
    assert result.code == 2 and "was not made by trisite render" in result.stderr
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_lab_power_without_a_lab_is_one_clear_line(cli: Cli) -> None:
    result = cli("lab", "power", REFERENCE, "dc1-ceph1", "off", "--name", "no-such-lab")
    assert result.code == 4  # the target failed, not the design
    assert result.stderr.strip() == "dc1-ceph1: the lab has no BMC for it (is the lab up? is it a server?)"


def test_prove_refuses_a_probe_it_cannot_run(cli: Cli) -> None:
    result = cli("prove", REFERENCE, "--probe", "sctp:9", "--name", "no-such-lab")
    assert result.code == 2
    assert "use icmp, tcp:PORT, udp:PORT, http:PORT or rados" in result.output
    result = cli("prove", REFERENCE, "--probe", "rados", "--name", "no-such-lab")
    assert result.code == 2
    assert "the Ceph rows' own" in result.output
