"""What the lab's Prometheus, Alertmanager and exporters are told, read from the rendered files as the real
daemons read them (prometheus.yml, the file_sd target files, alertmanager.yml, the Alertmanager cluster drop-in)
with the lab's monitoring overlay on top (drivers/lab_overlay.py, `MonitoringOverlay`).

Pure functions: files' text in, configurations and command lines out; drivers/lab_monitoring.py starts them.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import yaml

from trisite.drivers import lab_alerts
from trisite.drivers.lab_overlay import MonitoringOverlay
from trisite.errors import DriverError

# The scrape jobs whose targets the lab runs, by the layer that runs them (the network layer is always there):
# a job of a layer the lab does not run is left out of the lab's prometheus.yml, since its targets are down by
# construction. The OpenStack and Kubernetes API probes and the public HTTPS probes are left out always: the
# lab's API stand-ins speak plain HTTP behind the VIPs, not the APIs' TLS. Ceph's metrics come from its MGR's
# prometheus module (pools.sh enables it), Galera's from mysqld-exporter, RabbitMQ's from its plugin.
NETWORK_JOBS = ("node", "frr", "alertmanager", "bmc")
LAYER_JOBS = {
    "etcd": ("etcd",),
    "dns": ("dns-from-",),
    "ceph": ("ceph",),
    "galera": ("galera",),
    "rabbitmq": ("rabbitmq",),
}
EXPORTERS = {"node": "node-exporter", "frr": "frr-exporter"}  # the daemons the lab starts per target


def scraped(job: str, layers: Collection[str]) -> bool:
    """Whether the lab scrapes JOB (a job name of the rendered prometheus.yml) with LAYERS running."""
    wanted = [*NETWORK_JOBS, *(j for layer in layers for j in LAYER_JOBS.get(layer, ()))]
    return any(job == w or (w.endswith("-") and job.startswith(w)) for w in wanted)


def _yaml(text: str, what: str) -> dict[str, Any]:
    loaded = yaml.safe_load(text) or {}
    if not isinstance(loaded, dict):
        raise DriverError(f"the rendered {what} is not a mapping")
    return loaded


def prometheus_config(
    rendered: str,
    etc: str,
    layers: Collection[str],
    ov: MonitoringOverlay,
    *,
    only: Mapping[str, Collection[str]] | None = None,
    rules_root: str | None = None,
) -> str:
    """The rendered prometheus.yml with the overlay's intervals, only the jobs the lab runs, and its relative
    paths (rule files, target files) made absolute under ETC, the host's /etc/prometheus in the lab, or the
    rule files under RULES_ROOT (the lab's copies, `lab_rules`). ONLY keeps, of a job's targets, those of the
    hosts named (the lab runs one Ceph MGR where the design places more)."""
    config = _yaml(rendered, "prometheus.yml")
    config.setdefault("global", {}).update(
        scrape_interval=f"{ov.scrape_interval_s}s", evaluation_interval=f"{ov.evaluation_interval_s}s"
    )
    config["rule_files"] = [f"{rules_root or etc}/{path}" for path in config.get("rule_files", [])]
    for sender in config.get("alerting", {}).get("alertmanagers", []):
        sender["timeout"] = f"{ov.alertmanager_timeout_s}s"
    jobs = [job for job in config.get("scrape_configs", []) if scraped(str(job["job_name"]), layers)]
    for job in jobs:
        for sd in job.get("file_sd_configs", []):
            sd["files"] = [f"{etc}/{path}" for path in sd["files"]]
        job["scrape_timeout"] = f"{ov.scrape_timeout_s}s"  # no longer than the interval
        hosts = (only or {}).get(str(job["job_name"]))
        if hosts is not None:
            keep = {
                "source_labels": ["host"],
                "regex": "|".join(sorted(map(re.escape, hosts))),
                "action": "keep",
            }
            job["relabel_configs"] = [*job.get("relabel_configs", []), keep]
    config["scrape_configs"] = jobs
    return yaml.safe_dump(config, sort_keys=True)


def design_scrape_s(rendered: str) -> float:
    """The design's scrape interval, as its prometheus.yml says (Prometheus's own default, 1m, if it says none)."""
    interval = _yaml(rendered, "prometheus.yml").get("global", {}).get("scrape_interval", "1m")
    return lab_alerts.seconds(str(interval))


def lab_rules(rendered: str, design_scrape: float, ov: MonitoringOverlay) -> str:
    """A rendered rule file with each alerting rule's `for` as the lab waits it (MonitoringOverlay.for_s)."""
    rules = _yaml(rendered, "rule file")
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            if "alert" in rule and "for" in rule:
                rendered_s = lab_alerts.seconds(str(rule["for"]))
                lab_s = ov.for_s(rendered_s, design_scrape)
                rule["for"] = rule["for"] if lab_s == rendered_s else f"{lab_s:g}s"
    return yaml.safe_dump(rules, sort_keys=False)


def alertmanager_config(rendered: str, webhook: str, ov: MonitoringOverlay) -> str:
    """The rendered alertmanager.yml, its routes and inhibitions as they are, every receiver that notifies
    someone sending to the lab's recorder at WEBHOOK instead, and the overlay's grouping timers."""
    config = _yaml(rendered, "alertmanager.yml")
    for receiver in config.get("receivers", []):
        if set(receiver) - {"name"}:  # not a null receiver
            name = receiver["name"]
            receiver.clear()
            receiver.update(name=name, webhook_configs=[{"url": webhook, "send_resolved": True}])
    route = config.setdefault("route", {})
    route.update(group_wait=f"{ov.group_wait_s}s", group_interval=f"{ov.group_interval_s}s")
    config.get("global", {}).pop("smtp_smarthost", None)  # nothing sends mail any more
    config.get("global", {}).pop("smtp_from", None)
    return yaml.safe_dump(config, sort_keys=True)


def cluster_flags(drop_in: str) -> list[str]:
    """The --cluster.* flags of the rendered systemd drop-in's ExecStart (what the host's unit runs)."""
    starts = re.findall(r"^ExecStart=(.+)$", drop_in, re.MULTILINE)
    if not starts:
        raise DriverError("the Alertmanager cluster drop-in has no ExecStart")
    flags = [word for word in shlex.split(starts[-1]) if word.startswith("--cluster.")]
    if not flags:
        raise DriverError("the Alertmanager cluster drop-in's ExecStart has no --cluster flags")
    return flags


@dataclass(frozen=True)
class Exporter:
    """A target of a rendered file_sd file the lab runs the exporter of: EXPORTERS[job] on HOST at PORT."""

    job: str
    host: str
    port: int


def exporters(target_files: Mapping[str, str], namespaces: Collection[str]) -> list[Exporter]:
    """The node and frr exporters the rendered target files name, on hosts the lab has (NAMESPACES: the
    devices of the lab)."""
    found = set()
    for path, text in target_files.items():
        job = path.rstrip("/").split("/")[-2]
        if job not in EXPORTERS:
            continue
        for group in json.loads(text):
            host = str(group["labels"]["host"])
            for target in group["targets"]:
                if host in namespaces:
                    found.add(Exporter(job, host, int(str(target).rsplit(":", 1)[1])))
    return sorted(found, key=lambda e: (e.host, e.job))


def node_exporter_args(port: int, textfile_dir: str, ov: MonitoringOverlay) -> list[str]:
    args = ["prometheus-node-exporter", f"--web.listen-address=:{port}", "--collector.disable-defaults"]
    args += [f"--collector.{name}" for name in ov.node_collectors]
    return [*args, f"--collector.textfile.directory={textfile_dir}"]


def frr_exporter_args(port: int, socket_dir: str) -> list[str]:
    """tynany/frr_exporter reading the namespace's FRR instance through its daemons' sockets. Its BFD collector
    (1.1.4, Debian's) asks vtysh instead, which finds the lab's FRR by its pathspace, named as the socket
    directory (`vtysh -N`); without it the collector fails and no frr_bfd_* gauge exists."""
    return [
        "prometheus-frr-exporter",
        f"--web.listen-address=:{port}",
        f"--frr.socket.dir-path={socket_dir}",
        f"--frr.vtysh.options=-N {PurePath(socket_dir).name}",
    ]


def prometheus_args(config: str, data: str, ov: MonitoringOverlay) -> list[str]:
    return [
        "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--storage.tsdb.retention.time={ov.retention}",
        "--web.listen-address=:9090",
    ]


def alertmanager_args(
    config: str, data: str, port: int, flags: list[str], ov: MonitoringOverlay
) -> list[str]:
    return [
        "prometheus-alertmanager",
        f"--config.file={config}",
        f"--storage.path={data}",
        f"--web.listen-address=:{port}",
        *flags,
        f"--cluster.peer-timeout={ov.peer_timeout_s}s",
    ]
