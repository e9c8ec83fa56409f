"""Prometheus, its exporters' targets, the blackbox exporter and Alertmanager: scrape jobs with their targets per
site, alert rules written against the metric names the Debian exporters expose, the promtool tests that prove
each alert fires when it should and only then, and an Alertmanager cluster spanning the sites."""

from __future__ import annotations

from trisite.model import Design, Index
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, to_json, to_yaml
from trisite.render.monitoring.alertmanager import DROP_IN, alertmanager_config, cluster_drop_in
from trisite.render.monitoring.alerts_backups import EVALUATION_INTERVAL as BACKUP_EVALUATION_INTERVAL
from trisite.render.monitoring.alerts_backups import backup_alerts
from trisite.render.monitoring.alerts_ha import ha_alerts
from trisite.render.monitoring.alerts_network import host_alerts, probe_alerts, routing_alerts
from trisite.render.monitoring.alerts_services import (
    alertmanager_alerts,
    ceph_alerts,
    etcd_alerts,
    galera_alerts,
    rabbitmq_alerts,
)
from trisite.render.monitoring.blackbox import blackbox_config
from trisite.render.monitoring.facts import Facts
from trisite.render.monitoring.rule_tests import rule_tests
from trisite.render.monitoring.rules import Alert
from trisite.render.monitoring.scrape import prometheus_config, site_of, targets

RELOAD_PROMETHEUS = "systemctl reload prometheus"


def platform_alerts(facts: Facts) -> list[Alert]:
    return [
        *host_alerts(facts),
        *routing_alerts(facts),
        *probe_alerts(facts),
        *ha_alerts(facts),
        *ceph_alerts(facts),
        *galera_alerts(facts),
        *rabbitmq_alerts(facts),
        *etcd_alerts(facts),
        *alertmanager_alerts(facts),
    ]


def rule_files(facts: Facts) -> list[tuple[str, list[Alert], str]]:
    """(name, alerts, promtool evaluation interval) per rule file: each has its test file of the same name."""
    found = [("trisite", platform_alerts(facts), "1m")]
    backups = backup_alerts(facts)
    if backups:
        found.append(("backups", backups, BACKUP_EVALUATION_INTERVAL))
    return found


def _prometheus_files(design: Design, facts: Facts) -> list[Artifact]:
    files = [
        ("prometheus.yml", to_yaml(prometheus_config(design, facts.ix, facts.targets), header("Prometheus")))
    ]
    for name, found, interval in rule_files(facts):
        rules = {
            "groups": [
                {
                    "name": f"trisite-{name}" if name != "trisite" else "trisite-platform",
                    "rules": [a.rule() for a in found],
                }
            ]
        }
        tests = rule_tests(found, f"../rules/{name}.yml", interval)
        files += [
            (f"rules/{name}.yml", to_yaml(rules, header("Prometheus alert rules"))),
            (f"tests/{name}.yml", to_yaml(tests, header("promtool rule tests"))),
        ]
    return [
        Artifact(
            f"platform/monitoring/{name}",
            content,
            "prometheus",
            "",
            None,
            Apply("file", f"/etc/prometheus/{name}", "0644", RELOAD_PROMETHEUS),
        )
        for name, content in files
    ]


def _alertmanager_files(design: Design, ix: Index) -> list[Artifact]:
    m = design.monitoring
    assert m is not None
    found = [
        Artifact(
            "platform/monitoring/alertmanager.yml",
            to_yaml(alertmanager_config(design), header("Alertmanager")),
            "alertmanager",
            "",
            None,
            Apply(
                "file", "/etc/prometheus/alertmanager.yml", "0644", "systemctl reload prometheus-alertmanager"
            ),
        )
    ]
    for host in m.alertmanager:
        site = site_of(ix, host)
        found.append(
            Artifact(
                f"{site}/{host}/alertmanager/trisite-cluster.conf",
                cluster_drop_in(design, ix, host, header("Alertmanager cluster")),
                "alertmanager",
                host,
                site,
                Apply(
                    "file",
                    DROP_IN,
                    "0644",
                    "systemctl daemon-reload && systemctl restart prometheus-alertmanager",
                ),
            )
        )
    return found


def render(design: Design, ix: Index) -> list[Artifact]:
    if design.monitoring is None:
        return []
    facts = Facts(design, ix, targets(design, ix))
    found = _prometheus_files(design, facts)
    found.append(
        Artifact(
            "platform/monitoring/blackbox.yml",
            to_yaml(blackbox_config(design), header("blackbox exporter")),
            "blackbox",
            "",
            None,
            Apply(
                "file",
                "/etc/prometheus/blackbox.yml",
                "0644",
                "systemctl reload prometheus-blackbox-exporter",
            ),
        )
    )
    found += _alertmanager_files(design, ix)
    for (site, job), groups in sorted(facts.targets.items()):
        found.append(
            Artifact(
                f"{site}/monitoring/targets/{job}.json",
                to_json(groups),
                "prometheus",
                "",
                site,
                Apply("file", f"/etc/prometheus/targets/{job}/{site}.json"),
            )
        )
    return found
