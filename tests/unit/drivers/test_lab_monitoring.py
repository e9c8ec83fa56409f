"""The lab's monitoring configurations from the rendered files (drivers/lab_monitoring_configs.py), checked by
the tools' own checkers, the notification recorder's log and the campaign's alert API (drivers/lab_alerts.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES
from tests.unit.render.test_checkers import tool
from trisite.drivers import lab_alerts, lab_configs, lab_galera
from trisite.drivers import lab_monitoring_configs as configs
from trisite.drivers.alert_webhook_recorder import record
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_overlay import MONITORING
from trisite.model import load_design
from trisite.prove.alerts import AlertDriver
from trisite.render import render


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    return {a.path: a.content for a in render(design)}


def etc_prometheus(files: dict[str, str], into: Path) -> Path:
    """The rendered /etc/prometheus of a Prometheus host, as the deployment puts it."""
    etc = into / "etc/prometheus"
    for path, text in files.items():
        if path.startswith("platform/monitoring/"):
            target = etc / path.removeprefix("platform/monitoring/")
        elif "/monitoring/targets/" in path:
            site, _, _, job = path.removesuffix(".json").split("/")
            target = etc / "targets" / job / f"{site}.json"
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return etc


def promtool_accepts(text: str, tmp_path: Path) -> None:
    """Prometheus's own checker accepts the configuration the lab would start it with."""
    (tmp_path / "prometheus.yml").write_text(text, encoding="utf-8")
    checked = subprocess.run(
        [tool("promtool"), "check", "config", str(tmp_path / "prometheus.yml")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheus_scrapes_only_what_the_lab_runs_every_few_seconds(
    files: dict[str, str], tmp_path: Path
) -> None:
    etc = etc_prometheus(files, tmp_path)
    text = configs.prometheus_config(
        files["platform/monitoring/prometheus.yml"], str(etc), {"dns"}, MONITORING
    )
    config = yaml.safe_load(text)
    jobs = [j["job_name"] for j in config["scrape_configs"]]
    assert jobs == ["node", "frr", "alertmanager", "bmc", "dns-from-dc1", "dns-from-dc2", "dns-from-dc3"]
    assert config["global"]["scrape_interval"] == f"{MONITORING.scrape_interval_s}s"
    assert config["rule_files"] == [f"{etc}/rules/*.yml"]
    assert config["scrape_configs"][0]["file_sd_configs"][0]["files"] == [f"{etc}/targets/node/*.json"]
    # A lost Alertmanager holds each batch of alerts this long (rendered 3 s, Prometheus's default 10 s).
    assert [s["timeout"] for s in config["alerting"]["alertmanagers"]] == [
        f"{MONITORING.alertmanager_timeout_s}s"
    ]
    promtool_accepts(text, tmp_path)


def test_the_services_jobs_are_scraped_with_their_layers_and_ceph_only_where_the_lab_runs_an_mgr(
    files: dict[str, str], tmp_path: Path
) -> None:
    etc = etc_prometheus(files, tmp_path)
    layers = {"ceph", "galera", "rabbitmq", "etcd"}
    only = {"ceph": ["dc1-ceph1"]}
    text = configs.prometheus_config(
        files["platform/monitoring/prometheus.yml"], str(etc), layers, MONITORING, only=only
    )
    config = yaml.safe_load(text)
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert {"ceph", "galera", "rabbitmq", "etcd"} <= set(jobs)
    assert not any(name.startswith(("openstack-", "kubernetes-", "public-")) for name in jobs)
    assert jobs["ceph"]["relabel_configs"] == [
        {"source_labels": ["host"], "regex": r"dc1\-ceph1", "action": "keep"}
    ]
    assert "relabel_configs" not in jobs["galera"]
    promtool_accepts(text, tmp_path)


def test_galeras_exporter_listens_where_the_rendered_targets_point(files: dict[str, str]) -> None:
    kayobe = {p: t for p, t in files.items() if p.startswith("platform/kayobe/region-a/")}
    assert lab_configs.kolla_exporter(kayobe, "mysqld") and lab_configs.kolla_exporter(kayobe, "rabbitmq")
    assert not lab_configs.kolla_exporter({}, "mysqld")  # Kolla's default: no Prometheus
    group = lab_configs.region_vip("region-a", kayobe)
    rendered = {
        (g["labels"]["host"], t)
        for path, text in files.items()
        if path.endswith("/monitoring/targets/galera.json")
        for g in json.loads(text)
        for t in g["targets"]
    }
    for node in lab_galera.nodes(group, "/x"):
        args = lab_galera.exporter_args(node)
        listen = next(a for a in args if a.startswith("--web.listen-address=")).split("=", 1)[1]
        assert (node.device, listen) in rendered
        assert f"DATA_SOURCE_NAME=root@unix({node.socket})/" in args


def test_alertmanager_notifies_the_recorder_with_the_rendered_routes(
    files: dict[str, str], tmp_path: Path
) -> None:
    rendered = yaml.safe_load(files["platform/monitoring/alertmanager.yml"])
    text = configs.alertmanager_config(
        files["platform/monitoring/alertmanager.yml"], "http://127.0.0.1:9097/", MONITORING
    )
    config = yaml.safe_load(text)
    assert config["inhibit_rules"] == rendered["inhibit_rules"]
    assert config["route"]["routes"] == rendered["route"]["routes"]
    assert config["route"]["group_wait"] == f"{MONITORING.group_wait_s}s"
    noc = next(r for r in config["receivers"] if r["name"] == "noc")
    assert noc == {
        "name": "noc",
        "webhook_configs": [{"url": "http://127.0.0.1:9097/", "send_resolved": True}],
    }
    assert {"name": "null"} in config["receivers"]
    (tmp_path / "alertmanager.yml").write_text(text, encoding="utf-8")
    checked = subprocess.run(
        [tool("amtool"), "check-config", str(tmp_path / "alertmanager.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_cluster_flags_and_exporters_from_the_rendered_files(files: dict[str, str]) -> None:
    flags = configs.cluster_flags(files["dc1/dc1-ops1/alertmanager/trisite-cluster.conf"])
    assert flags == [
        "--cluster.listen-address=198.18.1.17:9094",
        "--cluster.advertise-address=198.18.1.17:9094",
        "--cluster.peer=198.18.2.17:9094",
        "--cluster.peer=198.18.3.17:9094",
    ]
    targets = {  # as the host has them: targets/JOB/SITE.json
        f"{p.split('/')[-1].removesuffix('.json')}/{p.split('/')[0]}.json": t
        for p, t in files.items()
        if "/monitoring/targets/" in p
    }
    found = configs.exporters(targets, {"dc1-fw1", "dc1-ops1"})
    assert found == [
        configs.Exporter("frr", "dc1-fw1", 9342),
        configs.Exporter("node", "dc1-fw1", 9100),
        configs.Exporter("node", "dc1-ops1", 9100),
    ]
    with pytest.raises(Exception, match="no --cluster flags"):
        configs.cluster_flags("[Service]\nExecStart=/usr/bin/prometheus-alertmanager\n")


def test_expected_alerts_and_time_to_alert(files: dict[str, str], tmp_path: Path) -> None:
    found = lab_alerts.rules([t for p, t in files.items() if p.startswith("platform/monitoring/rules/")])
    roles = lab_alerts.node_roles([t for p, t in files.items() if p.endswith("targets/node.json")])
    assert lab_alerts.expected("service:dc2-fw1:node-exporter", roles, found) == ["FirewallDown"]
    assert lab_alerts.expected("device:dc1-ops1", roles, found) == ["NodeDown"]
    assert lab_alerts.expected("vm:ra-ctl1", roles, found) == ["NodeDown"]  # a VM's links cut
    assert lab_alerts.expected("site:dc1", roles, found) == ["FirewallDown", "NodeDown"]
    assert lab_alerts.expected("man:man-12", roles, found) == ["ManLinkDown"]
    assert lab_alerts.expected("service:dc1-fw1:frr-exporter", roles, found) == ["ScrapeTargetDown"]
    assert lab_alerts.seconds("1m30s") == 90 and lab_alerts.seconds("250ms") == 0.25
    firewall = next(r for r in found if r.name == "FirewallDown")
    assert lab_alerts.bound_s(firewall, 2, 2, 2, 1) == 2 + 2 + 30 + 4 + 1
    log = tmp_path / "notifications.jsonl"
    alert = {"labels": {"alertname": "FirewallDown", "host": "dc2-fw1"}, "startsAt": "", "endsAt": ""}
    record(
        log,
        "dc1-ops1",
        {"receiver": "noc", "status": "firing", "alerts": [{**alert, "status": "firing"}]},
        140,
    )
    record(log, "dc2-ops1", {"status": "resolved", "alerts": [{**alert, "status": "resolved"}]}, 210)
    measured = lab_alerts.time_to_alert(log, "FirewallDown", 100, 200, host="dc2-fw1")
    # An alert firing since before the fault, notified again after it, is not the fault's.
    old = {**alert, "status": "firing", "startsAt": "1970-01-01T00:00:50Z"}
    record(
        log,
        "dc3-ops1",
        {"status": "firing", "alerts": [{**old, "labels": {**alert["labels"], "host": "x"}}]},
        120,
    )
    assert lab_alerts.first(log, "FirewallDown", "firing", 100, host="x") is None
    assert measured == lab_alerts.TimeToAlert("FirewallDown", 40, 10)
    assert lab_alerts.time_to_alert(log, "FirewallDown", 100, 200, host="dc1-fw1").to_alert is None


def test_the_lab_tells_the_campaign_which_alerts_a_fault_raises_and_when(
    files: dict[str, str], tmp_path: Path
) -> None:
    """The lab driver's answers to prove/alerts.py: the deployed rules' alerts for each fault, with bounds from
    the monitoring overlay, and the recorder's times (nothing deployed: nothing expected)."""
    lab = tmp_path / "lab"
    driver = LabDriver(lab, layers=frozenset({"monitoring"}))
    assert driver.expected_alerts(["device:dc1-fw1"]) == []
    etc_prometheus(files, lab / "root" / "dc1-ops1")
    (lab / "services.json").write_text(
        json.dumps({"monitoring": {"prometheus@dc1-ops1": {"device": "dc1-ops1", "daemon": "prometheus"}}}),
        encoding="utf-8",
    )
    expected = dict(driver.expected_alerts(["device:dc1-fw1", "man:man-12"]))
    assert set(expected) == {"FirewallDown", "ManLinkDown"}
    # A line's loss: the site's last line mutes its sessions' alerts (the rendered inhibit rule): either comes.
    for fault in ("uplink:dc1-transit", "bgp:dc1-transit"):
        assert [n for n, _ in driver.expected_alerts([fault])] == ["InternetLineLost|BgpSessionDown"]
    # The next scrape (2 s) ending at its timeout (2 s), the lab's `for` (30 s and 10 s rendered: 4 s each), two
    # evaluations (4 s), the Alertmanager's group interval (2 s).
    # A host taken away (here a firewall): Prometheus's wait for a lost Alertmanager with the alert's batch (2 s)
    # and one peer timeout (2 s), for the Alertmanager after the lost one.
    assert dict(driver.expected_alerts(["man:man-12"]))["ManLinkDown"] == 2 + 2 + 4 + 4 + 2  # no host taken
    assert expected["FirewallDown"] == 2 + 2 + 4 + 4 + 2 + 2 + 2
    assert dict(driver.expected_alerts(["site:dc1"]))["FirewallDown"] == 2 + 2 + 4 + 4 + 2 + 2 + 2
    assert isinstance(driver, AlertDriver)
    assert driver.alert_times("FirewallDown", 0.0, 1.0) == (None, None)  # nothing notified yet


def test_alternatives_are_timed_by_whichever_was_notified(tmp_path: Path) -> None:
    log = tmp_path / "notifications.jsonl"
    for status, at in (("firing", 20.0), ("resolved", 45.0)):
        alert = {"name": "InternetLineLost", "labels": {"site": "dc1"}, "status": status}
        entry = {"received": at, "host": "dc1-ops1", "status": status, "alerts": [alert]}
        with log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
    seen = lab_alerts.time_to_alert(log, "InternetLineLost|BgpSessionDown", 10.0, 40.0)
    assert (seen.to_alert, seen.to_resolve) == (10.0, 5.0)


def test_each_rules_for_shrinks_with_the_scrape_interval_and_promtool_still_accepts_them(
    files: dict[str, str], tmp_path: Path
) -> None:
    design_scrape = configs.design_scrape_s(files["platform/monitoring/prometheus.yml"])
    assert design_scrape == 15
    rendered = files["platform/monitoring/rules/trisite.yml"]
    lab = yaml.safe_load(configs.lab_rules(rendered, design_scrape, MONITORING))
    fors = {r["alert"]: r.get("for") for g in lab["groups"] for r in g["rules"] if "alert" in r}
    assert fors["NodeDown"] == "8s"  # 1m x 2/15
    assert fors["ScrapeTargetDown"] == "16s"  # 2m x 2/15
    assert fors["BgpSessionDown"] == "4s"  # 10s x 2/15 = 1.3 s, raised to two evaluations
    assert fors["HaMasterChanged"] is None  # 0s: fires at once, as rendered
    backups = yaml.safe_load(
        configs.lab_rules(files["platform/monitoring/rules/backups.yml"], design_scrape, MONITORING)
    )
    kept = {
        r.get("for") for g in backups["groups"] for r in g["rules"] if r["alert"] == "BackupNeverReported"
    }
    assert kept == {"26h", "2h"}  # an hour or more: a daily job's freshness, not shrunk
    assert [r["expr"] for g in lab["groups"] for r in g["rules"]] == [
        r["expr"] for g in yaml.safe_load(rendered)["groups"] for r in g["rules"]
    ]
    path = tmp_path / "trisite.yml"
    path.write_text(configs.lab_rules(rendered, design_scrape, MONITORING), encoding="utf-8")
    checked = subprocess.run(
        [tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
