"""The monitoring renderer: promtool runs the rendered rule tests, and every alert of the rendered rules has a
case where it fires and one where it stays quiet; the design's per-job backup ages, CARP/VRRP groups,
Alertmanager cluster and exporters all reach the rendered files."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES
from tests.unit.render.test_checkers import run, tool
from trisite.model import Design, load_design
from trisite.render import render
from trisite.render.artifact import Artifact
from trisite.render.monitoring.alertmanager import DROP_IN
from trisite.render.monitoring.metrics import HA_MASTER_METRIC

DESIGNS = ("three-sites", "minimal")


def _design(name: str) -> Design:
    return load_design(EXAMPLES / name / "design.yaml").design


def _monitoring(design: Design) -> dict[str, Artifact]:
    return {a.path: a for a in render(design) if a.component in ("prometheus", "alertmanager", "blackbox")}


def _under(files: dict[str, Artifact], folder: str) -> dict[str, Any]:
    prefix = f"platform/monitoring/{folder}/"
    return {
        p.removeprefix(prefix): yaml.safe_load(a.content) for p, a in files.items() if p.startswith(prefix)
    }


def coverage_gaps(rules: dict[str, Any], tests: dict[str, Any]) -> list[str]:
    """Alerts of RULES (file -> rule file) that the test file of the same name does not show both firing and
    staying quiet."""
    gaps = []
    for name, content in sorted(rules.items()):
        alerts = {r["alert"] for g in content["groups"] for r in g["rules"] if "alert" in r}
        seen: dict[str, set[bool]] = defaultdict(set)
        for test in (tests.get(name) or {}).get("tests", []):
            for check in test.get("alert_rule_test", []):
                seen[check["alertname"]].add(bool(check.get("exp_alerts")))
        gaps += [
            f"{name}: {alert} {sorted(seen[alert])}"
            for alert in sorted(alerts)
            if seen[alert] != {True, False}
        ]
    return gaps


@pytest.mark.parametrize("name", DESIGNS)
def test_every_alert_has_a_firing_and_a_quiet_case(name: str) -> None:
    files = _monitoring(_design(name))
    rules, tests = _under(files, "rules"), _under(files, "tests")
    assert rules and set(rules) == set(tests)
    assert coverage_gaps(rules, tests) == []


def test_coverage_check_finds_an_alert_without_tests() -> None:
    files = _monitoring(_design("minimal"))
    rules, tests = _under(files, "rules"), _under(files, "tests")
    rules["trisite.yml"]["groups"][0]["rules"].append({"alert": "Untested", "expr": "vector(1)"})
    quiet_only = rules["trisite.yml"]["groups"][0]["rules"][0]["alert"]
    for test in tests["trisite.yml"]["tests"]:
        for check in test["alert_rule_test"]:
            if check["alertname"] == quiet_only:
                check["exp_alerts"] = []
    assert sorted(coverage_gaps(rules, tests)) == sorted(
        ["trisite.yml: Untested []", f"trisite.yml: {quiet_only} [False]"]
    )


@pytest.mark.parametrize("name", DESIGNS)
def test_promtool_passes_the_rendered_rule_tests(name: str, tmp_path: Path) -> None:
    promtool = tool("promtool")
    for path, a in _monitoring(_design(name)).items():
        if path.startswith("platform/monitoring/"):
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text(a.content, encoding="utf-8")
    tests = sorted((tmp_path / "platform" / "monitoring" / "tests").glob("*.yml"))
    assert tests
    result = run(promtool, "test", "rules", *map(str, tests))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout


def _rules_of(design: Design) -> list[dict[str, Any]]:
    rules = _under(_monitoring(design), "rules")
    return [r for content in rules.values() for g in content["groups"] for r in g["rules"]]


def test_backup_alerts_use_each_jobs_own_max_age() -> None:
    design = _design("three-sites")
    too_old = {r["labels"]["job_name"]: r["expr"] for r in _rules_of(design) if r["alert"] == "BackupTooOld"}
    assert {j.name for j in design.backups} == set(too_old)
    for job in design.backups:
        assert too_old[job.name].endswith(f"> {job.max_age_h * 3600}"), too_old[job.name]
    assert too_old["etcd"] != too_old["galera"]  # 2 h and 26 h in the reference design


def test_ha_alerts_watch_the_shared_metric_of_every_group() -> None:
    design = _design("three-sites")
    rules = {r["alert"]: r["expr"] for r in _rules_of(design)}
    for alert in ("HaMasterChanged", "HaNoMaster", "HaSplitBrain"):
        assert HA_MASTER_METRIC in rules[alert]
    severity = {r["alert"]: r["labels"]["severity"] for r in _rules_of(design)}
    assert severity["HaMasterChanged"] == "info"  # an event: a failover happened, nothing is down
    assert severity["HaNoMaster"] == severity["HaSplitBrain"] == "critical"
    for group in design.ha_groups:  # a group whose members never report is no master, not silence
        assert f'absent({HA_MASTER_METRIC}{{group="{group.name}"}})' in rules["HaNoMaster"]


def test_no_alert_selects_a_label_its_exporter_lacks() -> None:
    """The issue's ManLinkDown selected state="full": frr_exporter's OSPF gauges carry vrf, iface, area only (and
    the target's own labels: job, host). Its neighbour count, per transit interface, against the design's."""
    exprs = " ".join(r["expr"] for r in _rules_of(_design("three-sites")))
    assert 'state="' not in exprs and "frr_bfd_peer_state" in exprs
    assert (
        'frr_ospf_neighbors{job="frr",host="dc1-fw1",iface="ix1.912"} < 3' in exprs
    )  # dc1-fw2, dc2-fw1, dc2-fw2


def test_every_service_of_the_design_is_scraped() -> None:
    design = _design("three-sites")
    files = _monitoring(design)
    prometheus = yaml.safe_load(files["platform/monitoring/prometheus.yml"].content)
    jobs = {j["job_name"] for j in prometheus["scrape_configs"]}
    assert {"node", "frr", "ceph", "galera", "rabbitmq", "etcd", "alertmanager", "bmc"} <= jobs
    hosts: dict[str, set[str]] = defaultdict(set)
    for path, a in files.items():
        if "/monitoring/targets/" in path:
            for group in yaml.safe_load(a.content):
                hosts[Path(path).stem].add(group["labels"]["host"])
    assert hosts["galera"] == hosts["rabbitmq"] == {h for r in design.openstack for h in r.controllers}
    assert hosts["etcd"] == {h for k in design.kubernetes for h in k.etcd}
    assert {f.name for f in design.firewalls} <= hosts["node"]  # their CARP/VRRP state comes from there
    assert {v.name for v in design.vms} <= hosts["node"]


def test_dns_is_probed_with_the_dns_prober() -> None:
    design = _design("three-sites")
    files = _monitoring(design)
    blackbox = yaml.safe_load(files["platform/monitoring/blackbox.yml"].content)["modules"]
    prometheus = yaml.safe_load(files["platform/monitoring/prometheus.yml"].content)
    for job in prometheus["scrape_configs"]:
        for group in job.get("static_configs", []):
            for target in group["targets"]:
                if target.endswith(":53"):
                    module = blackbox[group["labels"]["__param_module"]]
                    assert module["prober"] == "dns", job["job_name"]
                    assert module["dns"]["query_type"] == "SOA"


def test_alertmanagers_form_one_cluster_prometheus_alerts_all() -> None:
    design = _design("three-sites")
    assert design.monitoring is not None
    files = _monitoring(design)
    drop_ins = {a.device: a for a in files.values() if a.apply.target == DROP_IN}
    assert set(drop_ins) == set(design.monitoring.alertmanager)
    own = {d: re.search(r"--cluster\.listen-address=(\S+)", a.content) for d, a in drop_ins.items()}
    addresses = {d: m.group(1) for d, m in own.items() if m}
    for device, a in drop_ins.items():
        peers = set(re.findall(r"--cluster\.peer=(\S+)", a.content))
        assert peers == {addr for d, addr in addresses.items() if d != device}
    prometheus = yaml.safe_load(files["platform/monitoring/prometheus.yml"].content)
    (alerting,) = prometheus["alerting"]["alertmanagers"]
    assert (
        alerting["timeout"] == "3s"
    )  # a lost site's Alertmanager holds every batch of alerts this long, not 10 s
    assert {t.replace(":9093", ":9094") for t in alerting["static_configs"][0]["targets"]} == set(
        addresses.values()
    )


def test_alertmanager_drop_in_passes_systemd(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    unit = Path("/lib/systemd/system/prometheus-alertmanager.service")
    if not unit.exists():
        pytest.skip("prometheus-alertmanager is not installed")
    (tmp_path / unit.name).write_text(unit.read_text(), encoding="utf-8")
    drop_in = next(a for a in _monitoring(_design("three-sites")).values() if a.apply.target == DROP_IN)
    (tmp_path / f"{unit.name}.d").mkdir()
    (tmp_path / f"{unit.name}.d" / Path(DROP_IN).name).write_text(drop_in.content, encoding="utf-8")
    result = run("env", f"SYSTEMD_UNIT_PATH={tmp_path}:", analyze, "verify", str(tmp_path / unit.name))
    assert result.returncode == 0, result.stdout + result.stderr
