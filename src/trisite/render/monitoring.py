"""Prometheus and Alertmanager: scrape jobs with their targets per site (file_sd, so that a site's change stays
in that site's files), alert rules for every failure the campaign injects, and the notification routes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from trisite.model import Design, Index
from trisite.model.interfaces import interfaces
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header, to_json, to_yaml


def _address(ix: Index, host: str) -> str:
    ifaces = interfaces(ix, host)
    mgmt = [
        i for i in ifaces if ix.networks[i.network].zone in ("mgmt", "virt", "cloud", "containers", "storage")
    ]
    return str((mgmt or ifaces)[0].address.ip)


def _targets(design: Design, ix: Index) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(site, job) -> file_sd groups."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in design.servers:
        labels = {"site": s.site, "role": ",".join(s.roles), "host": s.name}
        found[(s.site, "node")].append({"targets": [f"{_address(ix, s.name)}:9100"], "labels": labels})
        found[(s.site, "bmc")].append({"targets": [f"https://{s.bmc.address}/redfish/v1"], "labels": labels})
    for f in design.firewalls:
        if f.kind != "physical":
            continue
        labels = {"site": f.site, "role": "firewall", "host": f.name}
        found[(f.site, "node")].append({"targets": [f"{_address(ix, f.name)}:9100"], "labels": labels})
        found[(f.site, "frr")].append({"targets": [f"{_address(ix, f.name)}:9342"], "labels": labels})
    for cluster in design.ceph:
        for mgr in cluster.mgrs:
            site = ix.site_of(mgr) or "platform"
            found[(site, "ceph")].append(
                {
                    "targets": [f"{_address(ix, mgr)}:9283"],
                    "labels": {"site": site, "cluster": cluster.name, "host": mgr},
                }
            )
    return found


def _public_endpoints(design: Design) -> list[str]:
    found = [f"https://{r.external_vip}/" for r in design.openstack]
    for zone in design.dns:
        found += [
            f"{r.name}.{zone.name}:53" for r in zone.records if r.type == "A" and r.name.startswith("ns")
        ]
    return sorted(found)


def _prometheus(design: Design) -> dict[str, Any]:
    m = design.monitoring
    assert m is not None
    jobs: list[dict[str, Any]] = []
    for job in ("node", "frr", "ceph"):
        jobs.append({"job_name": job, "file_sd_configs": [{"files": [f"targets/{job}/*.json"]}]})
    jobs.append(
        {
            "job_name": "bmc",
            "metrics_path": "/probe",
            "params": {"module": ["http_2xx_insecure"]},
            "file_sd_configs": [{"files": ["targets/bmc/*.json"]}],
            "relabel_configs": _probe_relabel(),
        }
    )
    for region in design.openstack:  # Kolla's prometheus-openstack-exporter runs on the controllers
        jobs.append(
            {
                "job_name": f"openstack-{region.name}",
                "static_configs": [
                    {"targets": [f"{region.internal_vip}:9198"], "labels": {"region": region.name}}
                ],
            }
        )
    for cluster in design.kubernetes:
        jobs.append(
            {
                "job_name": f"kubernetes-{cluster.name}",
                "scheme": "https",
                "authorization": {"credentials_file": f"secrets/kubernetes-{cluster.name}.token"},
                "tls_config": {"insecure_skip_verify": True},
                "static_configs": [
                    {"targets": [f"{cluster.api_vip}:6443"], "labels": {"cluster": cluster.name}}
                ],
            }
        )
    for site in m.blackbox_from:
        jobs.append(
            {
                "job_name": f"public-from-{site}",
                "metrics_path": "/probe",
                "params": {"module": ["http_2xx"]},
                "static_configs": [{"targets": _public_endpoints(design), "labels": {"probe_site": site}}],
                "relabel_configs": _probe_relabel(f"blackbox.{site}.{design.platform.domain}:9115"),
            }
        )
    return {
        "global": {
            "scrape_interval": f"{m.scrape_interval_s}s",
            "evaluation_interval": f"{m.scrape_interval_s}s",
            "external_labels": {"platform": design.platform.name},
        },
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"{h}:9093" for h in m.alertmanager]}]}]
        },
        "rule_files": ["rules/*.yml"],
        "scrape_configs": jobs,
    }


def _probe_relabel(exporter: str = "localhost:9115") -> list[dict[str, Any]]:
    return [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": exporter},
    ]


def _rule(name: str, expr: str, duration: str, severity: str, summary: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {"summary": summary},
    }


def _rules(design: Design) -> dict[str, Any]:
    mons = max((len(c.mons) for c in design.ceph), default=3)
    backup_age = max((j.max_age_h for j in design.backups), default=26)
    alerts = [
        _rule(
            "FirewallDown",
            'up{job="node",role="firewall"} == 0',
            "30s",
            "critical",
            "firewall {{ $labels.host }} is down",
        ),
        _rule(
            "NodeDown",
            'up{job="node",role!="firewall"} == 0',
            "1m",
            "warning",
            "{{ $labels.host }} does not answer",
        ),
        _rule(
            "BgpSessionDown",
            'frr_bgp_peer_state{afi="ipv4"} != 1',
            "10s",
            "critical",
            "BGP session to {{ $labels.peer }} on {{ $labels.host }} is down",
        ),
        _rule(
            "InternetLineLost",
            'sum by (site) (frr_bgp_peer_state{afi="ipv4"}) == 0',
            "10s",
            "critical",
            "no BGP session left at {{ $labels.site }}: its line is lost",
        ),
        _rule(
            "ManLinkDown",
            'frr_ospf_neighbors{state="full"} < 1',
            "10s",
            "critical",
            "{{ $labels.host }} lost its OSPF neighbour over the MAN",
        ),
        _rule("CephDegraded", "ceph_health_status > 0", "1m", "warning", "Ceph health is not OK"),
        _rule(
            "CephQuorumAtRisk",
            f"count(ceph_mon_quorum_status == 1) < {mons}",
            "30s",
            "critical",
            "a Ceph MON left the quorum: one more loss stops the cluster",
        ),
        _rule(
            "BmcUnreachable",
            'probe_success{job="bmc"} == 0',
            "5m",
            "warning",
            "BMC of {{ $labels.host }} does not answer (the seed's hanging BMCs)",
        ),
        _rule(
            "PublicEndpointDown",
            'probe_success{job=~"public-from-.*"} == 0',
            "30s",
            "critical",
            "{{ $labels.instance }} unreachable from {{ $labels.probe_site }}",
        ),
        _rule(
            "BackupTooOld",
            f"time() - trisite_backup_last_success_timestamp_seconds > {backup_age * 3600}",
            "10m",
            "warning",
            "backup {{ $labels.job_name }} is older than its allowed age",
        ),
    ]
    return {"groups": [{"name": "trisite-platform", "rules": alerts}]}


def _alertmanager(design: Design) -> dict[str, Any]:
    m = design.monitoring
    assert m is not None
    receivers: list[dict[str, Any]] = [{"name": "null"}]
    for r in m.receivers:
        if r.kind == "email":
            receivers.append({"name": r.name, "email_configs": [{"to": r.target, "send_resolved": True}]})
        else:
            receivers.append({"name": r.name, "webhook_configs": [{"url": r.target, "send_resolved": True}]})
    default = m.receivers[0].name if m.receivers else "null"
    return {
        "global": {
            "smtp_smarthost": f"smtp.{design.platform.domain}:25",
            "smtp_from": f"alertmanager@{design.platform.domain}",
        },
        "route": {
            "receiver": default,
            "group_by": ["alertname", "site"],
            "group_wait": "10s",
            "group_interval": "1m",
            "repeat_interval": "4h",
            "routes": [{"matchers": ['severity="critical"'], "receiver": default, "repeat_interval": "1h"}],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['alertname="InternetLineLost"'],
                "target_matchers": ['alertname="BgpSessionDown"'],
                "equal": ["site"],
            }
        ],
        "receivers": receivers,
    }


def render(design: Design, ix: Index) -> list[Artifact]:
    if design.monitoring is None:
        return []
    found = [
        Artifact(
            "platform/monitoring/prometheus.yml",
            to_yaml(_prometheus(design), header("Prometheus")),
            "prometheus",
            "",
            None,
            Apply("file", "/etc/prometheus/prometheus.yml", "0644", "systemctl reload prometheus"),
        ),
        Artifact(
            "platform/monitoring/rules/trisite.yml",
            to_yaml(_rules(design), header("Prometheus alert rules")),
            "prometheus",
            "",
            None,
            Apply("file", "/etc/prometheus/rules/trisite.yml", "0644", "systemctl reload prometheus"),
        ),
        Artifact(
            "platform/monitoring/alertmanager.yml",
            to_yaml(_alertmanager(design), header("Alertmanager")),
            "alertmanager",
            "",
            None,
            Apply(
                "file", "/etc/prometheus/alertmanager.yml", "0644", "systemctl reload prometheus-alertmanager"
            ),
        ),
    ]
    for (site, job), groups in sorted(_targets(design, ix).items()):
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
