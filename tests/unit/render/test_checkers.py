"""The components' own tools accept what trisite renders: nft, keepalived, FRR's vtysh, promtool, amtool,
the blackbox exporter, ansible-inventory, Ceph's spec classes, sh. A missing tool skips its test, unless TRISITE_REQUIRE_TOOLS=1
(CI sets it, and .ci/run installs the tools)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES
from trisite.model import Index, load_design
from trisite.model.interfaces import interfaces
from trisite.render import render
from trisite.render.artifact import Artifact

CEPH_CHECK = """
import sys, yaml
from ceph.deployment.service_spec import ServiceSpec
from ceph.deployment.hostspec import HostSpec
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if doc.get("service_type") == "host":
            HostSpec.from_json(doc)
        else:
            ServiceSpec.from_json(doc).validate()
"""


def tool(name: str, path: str | None = None) -> str:
    found = path if path and Path(path).exists() else shutil.which(name)
    if found is None:
        if os.environ.get("TRISITE_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{name} is required (TRISITE_REQUIRE_TOOLS=1) but not installed")
        pytest.skip(f"{name} not installed")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Artifact]]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    artifacts = render(design)
    root = tmp_path_factory.mktemp("rendered")
    for a in artifacts:
        (root / a.path).parent.mkdir(parents=True, exist_ok=True)
        (root / a.path).write_text(a.content, encoding="utf-8")
    return root, artifacts


def of(tree: tuple[Path, list[Artifact]], component: str, suffix: str = "") -> list[Path]:
    root, artifacts = tree
    found = [root / a.path for a in artifacts if a.component == component and a.path.endswith(suffix)]
    assert found, f"no {component} artifact"
    return found


def test_frr_parses(tree: tuple[Path, list[Artifact]]) -> None:
    vtysh = tool("vtysh")
    for path in of(tree, "frr"):
        result = run(vtysh, "--dryrun", "-f", str(path))
        assert result.returncode == 0, f"{path}: {result.stdout}{result.stderr}"


def test_nftables_checks(tree: tuple[Path, list[Artifact]]) -> None:
    nft = tool("nft")
    for path in of(tree, "nftables", "nftables.nft"):
        combined = path.with_name("combined.nft")
        combined.write_text(path.read_text() + path.with_name("bootstrap.nft").read_text(), encoding="utf-8")
        result = run(nft, "-c", "-f", str(combined))
        assert result.returncode == 0, f"{path}: {result.stderr}"


def test_keepalived_checks(tree: tuple[Path, list[Artifact]], scratch_netns: str) -> None:
    keepalived = tool("keepalived")
    ix = Index(load_design(EXAMPLES / "three-sites" / "design.yaml").design)
    for path in of(tree, "keepalived", "keepalived.conf"):
        device = path.parts[-3]
        for i, iface in enumerate(sorted({i.name for i in interfaces(ix, device)})):
            subprocess.run(
                [
                    "ip",
                    "-n",
                    scratch_netns,
                    "link",
                    "add",
                    iface,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    f"p{i}{device[-4:]}",
                ],
                check=False,
                capture_output=True,
            )
        result = run("ip", "netns", "exec", scratch_netns, keepalived, "-t", "-f", str(path))
        assert result.returncode == 0, f"{path}: {result.stdout}{result.stderr}"


def test_prometheus_config_and_rules(tree: tuple[Path, list[Artifact]], tmp_path: Path) -> None:
    promtool = tool("promtool")
    root, _ = tree
    etc = tmp_path / "prometheus"
    shutil.copytree(root / "platform" / "monitoring", etc)
    for site in ("dc1", "dc2", "dc3"):
        for target in (root / site / "monitoring" / "targets").iterdir():
            (etc / "targets" / target.stem).mkdir(parents=True, exist_ok=True)
            shutil.copy(target, etc / "targets" / target.stem / f"{site}.json")
    (etc / "secrets").mkdir()
    for cluster in ("core",):  # deploy writes each cluster's scrape token here
        (etc / "secrets" / f"kubernetes-{cluster}.token").write_text("token\n", encoding="utf-8")
    result = run(promtool, "check", "config", str(etc / "prometheus.yml"))

    assert result.returncode == 0, result.stdout + result.stderr
    for rules in sorted((etc / "rules").glob("*.yml")):
        result = run(promtool, "check", "rules", str(rules))
        assert result.returncode == 0, result.stdout + result.stderr
        assert " rules found" in result.stdout and "SUCCESS: 0 rules" not in result.stdout


def test_alertmanager_config(tree: tuple[Path, list[Artifact]]) -> None:
    amtool = tool("amtool")
    (path,) = of(tree, "alertmanager", "alertmanager.yml")
    result = run(amtool, "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_blackbox_exporter_accepts_its_modules(tree: tuple[Path, list[Artifact]]) -> None:
    blackbox = tool("prometheus-blackbox-exporter")
    (path,) = of(tree, "blackbox", "blackbox.yml")
    result = run(blackbox, f"--config.file={path}", "--config.check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_inventory_lists_every_host(tree: tuple[Path, list[Artifact]]) -> None:
    inventory = tool("ansible-inventory")
    args = [inventory]
    for path in of(tree, "inventory"):
        args += ["-i", str(path)]
    result = subprocess.run(
        [*args, "--list"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "ANSIBLE_INVENTORY_UNPARSED_WARNING": "True"},
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    hosts = {h for group in listed.values() if isinstance(group, dict) for h in group.get("hosts", [])}
    assert {"dc1-fw1", "dc3-sw2", "dc2-ceph1", "ra-ctl1", "vfw2"} <= hosts
    assert "dc2-ceph1" in listed["role_ceph"]["hosts"] and "dc2-ceph1" in listed["site_dc2"]["hosts"]
    assert listed["_meta"]["hostvars"]["dc2-ceph1"]["ansible_host"] == "198.18.2.11"


def test_no_yaml_file_carries_anchors(tree: tuple[Path, list[Artifact]]) -> None:
    """A value written twice stays written twice: people read these files, and diff them."""
    _, artifacts = tree
    for artifact in artifacts:
        if artifact.path.endswith((".yml", ".yaml")):
            events = yaml.parse(artifact.content, Loader=yaml.SafeLoader)
            anchored = [e for e in events if getattr(e, "anchor", None) or isinstance(e, yaml.AliasEvent)]
            assert not anchored, f"{artifact.path}: {anchored[0]}"


def test_cephadm_specs_pass_cephs_own_classes(tree: tuple[Path, list[Artifact]]) -> None:
    python = tool("python3 with ceph", "/usr/bin/python3")
    if run(python, "-c", "import ceph.deployment.service_spec").returncode != 0:
        tool("python3-ceph-common (ceph.deployment)", "/nonexistent")
    paths = [str(p) for p in of(tree, "cephadm", ".yaml")]
    result = run(python, "-c", CEPH_CHECK, *paths)
    assert result.returncode == 0, result.stderr


def test_scripts_parse(tree: tuple[Path, list[Artifact]]) -> None:
    sh = tool("sh")
    for path in [*of(tree, "cephadm", ".sh"), *of(tree, "ucarp", "vip-up"), *of(tree, "ucarp", "vip-down")]:
        assert run(sh, "-n", str(path)).returncode == 0, path


def test_powerdns_accepts_the_zones(tree: tuple[Path, list[Artifact]], tmp_path: Path) -> None:
    pdnsutil = tool("pdnsutil")
    zones = of(tree, "powerdns", ".zone")
    named = "".join(
        f'zone "{z.stem}" {{ type master; file "{z}"; }};\n' for z in {z.name: z for z in zones}.values()
    )
    (tmp_path / "named.conf").write_text(named, encoding="utf-8")
    (tmp_path / "pdns.conf").write_text(
        f"launch=bind\nbind-config={tmp_path}/named.conf\nenable-lua-records=yes\n", encoding="utf-8"
    )
    result = run(pdnsutil, f"--config-dir={tmp_path}", "check-all-zones")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


def test_kubespray_and_kayobe_inventories(tree: tuple[Path, list[Artifact]]) -> None:
    inventory = tool("ansible-inventory")
    (hosts,) = of(tree, "kubespray", "hosts.yaml")
    listed = json.loads(run(inventory, "-i", str(hosts), "--list").stdout)
    assert set(listed["etcd"]["hosts"]) == {"k8s-cp1", "k8s-cp2", "k8s-cp3"}
    assert set(listed["k8s_cluster"]["children"]) == {"kube_control_plane", "kube_node"}
    for path in of(tree, "kayobe", "inventory/hosts"):
        # Kayobe reads the whole directory: its groups, the hosts, and the group and host variables.
        result = run(inventory, "-i", str(path.parent), "--list")
        assert result.returncode == 0, result.stderr
        listed = json.loads(result.stdout)
        assert len(listed["controllers"]["hosts"]) == 3 and listed["compute"]["hosts"]
        assert {"controllers", "network", "monitoring", "storage", "compute"} <= set(
            listed["overcloud"]["children"]
        )
        assert "controllers" in listed["network"]["children"]  # no separate network nodes in the design
        controller, compute = listed["controllers"]["hosts"][0], listed["compute"]["hosts"][0]
        variables = listed["_meta"]["hostvars"]
        assert variables[controller]["internal_interface"] == "eth0.400"
        assert variables[controller]["external_interface"] == "eth0.100"
        assert variables[compute]["internal_interface"] == "bond0.400"


def test_a_region_borrowing_keystone_keeps_the_admin_credentials(tree: tuple[Path, list[Artifact]]) -> None:
    """Kolla-Ansible logs in to the home region's Keystone with region-b's openstack_auth: all of it, and the
    same admin password as the home region (given to Kayobe's passwords file by reference, never in clear)."""
    root, artifacts = tree
    kolla = root / "platform/kayobe/region-b/etc/kayobe/kolla/globals.yml"
    auth = yaml.safe_load(kolla.read_text())["openstack_auth"]
    assert (
        auth["username"] == "{{ keystone_admin_user }}"
        and auth["password"] == "{{ keystone_admin_password }}"  # noqa: S105 - a reference, not a password
    )
    assert auth["auth_url"] == "{{ keystone_internal_url }}" and auth["project_name"]
    for region in ("region-a", "region-b"):
        path = f"platform/kayobe/{region}/etc/kayobe/kolla.yml"
        overrides = yaml.safe_load((root / path).read_text())["kolla_ansible_extra_custom_passwords"]
        assert overrides == {"keystone_admin_password": "${secret:keystone-admin}"}
        assert next(a for a in artifacts if a.path == path).secrets == ("keystone-admin",)
    assert not [a.path for a in artifacts if a.path.endswith("passwords.yml")]


def test_backup_schedules_are_systemd_calendars(tree: tuple[Path, list[Artifact]]) -> None:
    analyze = tool("systemd-analyze")
    for path in of(tree, "backup", ".timer"):
        (line,) = [x for x in path.read_text().splitlines() if x.startswith("OnCalendar=")]
        result = run(analyze, "calendar", line.split("=", 1)[1])
        assert result.returncode == 0, f"{path}: {result.stderr}"


def test_structured_files_parse(tree: tuple[Path, list[Artifact]]) -> None:

    for component in ("kayobe", "kubespray", "ovirt", "cephadm", "prometheus", "inventory"):
        for path in of(tree, component):
            if path.suffix in (".yml", ".yaml"):
                assert list(yaml.safe_load_all(path.read_text())), path

    for path in of(tree, "switch", "startup.yaml"):
        (doc,) = yaml.safe_load(path.read_text())
        assert doc["set"]["system"]["hostname"] == path.parts[-3]
    for path in of(tree, "redfish"):
        assert json.loads(path.read_text())["operations"]


def test_the_dns_health_agent_unit_passes_systemd(tree: tuple[Path, list[Artifact]], tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    units = of(tree, "dns-health", ".service")
    assert units, "no DNS health agent unit rendered"
    for path in units:
        (tmp_path / path.name).write_text(path.read_text(), encoding="utf-8")
        result = run("env", f"SYSTEMD_UNIT_PATH={tmp_path}:", analyze, "verify", str(tmp_path / path.name))
        # verify exits 0 on a key it does not know or a value it cannot parse: it says so, "ignoring"
        assert result.returncode == 0 and not result.stderr.strip(), f"{path}: {result.stdout}{result.stderr}"
