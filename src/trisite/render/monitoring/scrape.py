"""What Prometheus scrapes: per-site file_sd target files (a site's change stays in that site's files) for every
exporter the design implies, and the scrape jobs of prometheus.yml that read them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from trisite.model import Design, Index
from trisite.model.interfaces import interfaces
from trisite.render.monitoring import metrics
from trisite.render.monitoring.blackbox import DNS_TRANSPORTS, HTTP_INSECURE_MODULE, HTTP_MODULE, dns_module

Targets = dict[tuple[str, str], list[dict[str, Any]]]

# Jobs read from file_sd target files, in the order prometheus.yml lists them.
FILE_SD_JOBS = ("node", "frr", "ceph", "galera", "rabbitmq", "etcd", "alertmanager")
SCRAPE_ZONES = ("mgmt", "virt", "cloud", "containers", "storage")


def address(ix: Index, host: str) -> str:
    """The address Prometheus reaches HOST on: its first interface in a management-like zone."""
    ifaces = interfaces(ix, host)
    mgmt = [i for i in ifaces if ix.networks[i.network].zone in SCRAPE_ZONES]
    return str((mgmt or ifaces)[0].address.ip)


def site_of(ix: Index, host: str) -> str:
    return ix.site_of(host) or "platform"


class _Collector:
    def __init__(self, ix: Index) -> None:
        self.ix = ix
        self.found: Targets = defaultdict(list)

    def add(self, job: str, host: str, port: int, **labels: str) -> None:
        site = site_of(self.ix, host)
        self.found[(site, job)].append(
            {
                "targets": [f"{address(self.ix, host)}:{port}"],
                "labels": {"site": site, "host": host, **labels},
            }
        )


def targets(design: Design, ix: Index) -> Targets:
    """(site, job) -> file_sd groups."""
    c = _Collector(ix)
    for s in design.servers:
        c.add("node", s.name, metrics.NODE_EXPORTER_PORT, role=",".join(s.roles))
        site = s.site
        c.found[(site, "bmc")].append(
            {
                "targets": [f"https://{s.bmc.address}/redfish/v1"],
                "labels": {"site": site, "role": ",".join(s.roles), "host": s.name},
            }
        )
    for vm in design.vms:
        c.add("node", vm.name, metrics.NODE_EXPORTER_PORT, role=",".join(vm.roles))
    for f in design.firewalls:
        c.add("node", f.name, metrics.NODE_EXPORTER_PORT, role="firewall")
        c.add("frr", f.name, metrics.FRR_EXPORTER_PORT, role="firewall")
    _service_targets(design, c)
    return c.found


def _service_targets(design: Design, c: _Collector) -> None:
    """The clustered services' own metrics: Ceph mgr, Galera and RabbitMQ of each OpenStack region (Kolla runs
    them on the controllers), etcd of each Kubernetes cluster, and the Alertmanagers themselves."""
    for cluster in design.ceph:
        for mgr in cluster.mgrs:
            c.add("ceph", mgr, metrics.CEPH_MGR_PROMETHEUS_PORT, cluster=cluster.name)
    for region in design.openstack:
        for host in region.controllers:
            c.add("galera", host, metrics.MYSQLD_EXPORTER_PORT, region=region.name)
            c.add("rabbitmq", host, metrics.RABBITMQ_PROMETHEUS_PORT, region=region.name)
    for k8s in design.kubernetes:
        for host in k8s.etcd:
            c.add("etcd", host, metrics.ETCD_METRICS_PORT, cluster=k8s.name)
    if design.monitoring is not None:
        for host in design.monitoring.alertmanager:
            c.add("alertmanager", host, metrics.ALERTMANAGER_PORT)


def probe_host(design: Design, ix: Index, site: str) -> str | None:
    """The host whose blackbox exporter probes from SITE: a monitoring host there (a Prometheus host first)."""
    m = design.monitoring
    assert m is not None
    return next((h for h in [*m.prometheus, *m.alertmanager] if ix.site_of(h) == site), None)


def probe_exporter(design: Design, ix: Index, site: str) -> str:
    """The blackbox exporter probing from SITE."""
    host = probe_host(design, ix, site)
    if host is not None:
        return f"{address(ix, host)}:{metrics.BLACKBOX_PORT}"
    return f"blackbox.{site}.{design.platform.domain}:{metrics.BLACKBOX_PORT}"


def probe_relabel(exporter: str) -> list[dict[str, Any]]:
    """The blackbox pattern: the target becomes the probe's ?target= and the instance, the exporter is scraped."""
    return [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": exporter},
    ]


def _file_sd(job: str) -> dict[str, Any]:
    return {"job_name": job, "file_sd_configs": [{"files": [f"targets/{job}/*.json"]}]}


def _public_probes(design: Design, ix: Index, site: str) -> list[dict[str, Any]]:
    exporter = probe_exporter(design, ix, site)
    web = [f"https://{r.external_vip}/" for r in design.openstack]
    found: list[dict[str, Any]] = []
    if web:
        found.append(
            {
                "job_name": f"public-from-{site}",
                "metrics_path": "/probe",
                "params": {"module": [HTTP_MODULE]},
                "static_configs": [{"targets": sorted(web), "labels": {"probe_site": site}}],
                "relabel_configs": probe_relabel(exporter),
            }
        )
    groups = []
    for zone in design.dns:
        servers = sorted(
            {f"{v}:53" for r in zone.records if r.type == "A" and r.name.startswith("ns") for v in r.values}
        )
        if not servers:
            continue
        for transport in DNS_TRANSPORTS:
            labels = {"probe_site": site, "zone": zone.name, "transport": transport}
            # A __param_ label becomes the probe's URL parameter: one job, a module per zone and transport.
            labels["__param_module"] = dns_module(zone.name, transport)
            groups.append({"targets": servers, "labels": labels})
    if groups:
        found.append(
            {
                "job_name": f"dns-from-{site}",
                "metrics_path": "/probe",
                "static_configs": groups,
                "relabel_configs": probe_relabel(exporter),
            }
        )
    return found


def _service_jobs(design: Design) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    for region in design.openstack:  # Kolla's prometheus-openstack-exporter answers on the internal VIP
        target = f"{region.internal_vip}:{metrics.OPENSTACK_EXPORTER_PORT}"
        jobs.append(
            {
                "job_name": f"openstack-{region.name}",
                "static_configs": [{"targets": [target], "labels": {"region": region.name}}],
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
    return jobs


def scrape_configs(design: Design, ix: Index, found: Targets) -> list[dict[str, Any]]:
    present = {job for _, job in found}
    jobs = [_file_sd(job) for job in FILE_SD_JOBS if job in present]
    if "bmc" in present:
        jobs.append(
            {
                **_file_sd("bmc"),
                "metrics_path": "/probe",
                "params": {"module": [HTTP_INSECURE_MODULE]},
                "relabel_configs": probe_relabel(f"localhost:{metrics.BLACKBOX_PORT}"),
            }
        )
    jobs += _service_jobs(design)
    assert design.monitoring is not None
    for site in design.monitoring.blackbox_from:
        jobs += _public_probes(design, ix, site)
    return jobs


def prometheus_config(design: Design, ix: Index, found: Targets) -> dict[str, Any]:
    m = design.monitoring
    assert m is not None
    # Every Alertmanager of the cluster: Prometheus sends each alert to all, their gossip deduplicates.
    alertmanagers = [f"{address(ix, h)}:{metrics.ALERTMANAGER_PORT}" for h in m.alertmanager]
    return {
        "global": {
            "scrape_interval": f"{m.scrape_interval_s}s",
            "evaluation_interval": f"{m.scrape_interval_s}s",
            "external_labels": {"platform": design.platform.name},
        },
        "alerting": {
            "alertmanagers": [
                {
                    "timeout": f"{metrics.ALERTMANAGER_TIMEOUT_S}s",
                    "static_configs": [{"targets": alertmanagers}],
                }
            ]
        },
        "rule_files": ["rules/*.yml"],
        "scrape_configs": scrape_configs(design, ix, found),
    }
