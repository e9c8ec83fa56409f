"""Monitoring in the lab: Prometheus, Alertmanager (clustered over the ops hosts), the blackbox exporter and the
exporters Prometheus scrapes, started from the files the deployment put on each host (the rendered
prometheus.yml, rule files, target files, alertmanager.yml, the cluster drop-in, blackbox.yml) with the
monitoring overlay, as supervised daemons (drivers/daemons.py); and their health read back.

The exporters come with a host's operating system on a real site (Debian starts prometheus-node-exporter when
it is installed); in the lab they are started when a Prometheus that scrapes them is deployed, where its target
files place them: a node exporter in each host's namespace, an FRR exporter beside each FRR instance.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from trisite.drivers import daemons, lab_alerts, records
from trisite.drivers import lab_monitoring_configs as configs
from trisite.drivers.lab_health import Health
from trisite.drivers.lab_overlay import MONITORING, MonitoringOverlay
from trisite.drivers.netns import NETNS_DIR, call_in_netns, namespace
from trisite.drivers.protocols import ServiceAction
from trisite.errors import DriverError

RECORDER = Path(configs.__file__).with_name("alert_webhook_recorder.py")
FRR_RUN = Path("/run/frr")
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
CRITICAL = "critical"  # the severity of an alert that says something is down now
TEXTFILE_DIR = "var/lib/prometheus/node-exporter"  # under a device's lab root (render/monitoring/metrics.py)
SERVICES = {
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
    "prometheus-blackbox-exporter": "blackbox",
}
_EXPORTERS_LOCK = threading.Lock()  # both Prometheus hosts deploy at once and scrape the same exporters

Record = Callable[[str, str, object], None]


def notifications_log(lab_dir: Path) -> Path:
    """The JSON lines file the lab's recorders write every notification to (drivers/lab_alerts.py reads it)."""
    return lab_dir / "services" / "notifications.jsonl"


def textfile_dir(root: Path) -> Path:
    """Where a device's node exporter reads textfile metrics (its HA scripts write there in the lab)."""
    return root / TEXTFILE_DIR


class LabMonitoring:
    """Starts the monitoring daemons of one lab (`run`: the lab's services directory, shared with
    drivers/lab_services.py so that its faults stop and start these daemons too)."""

    def __init__(
        self,
        lab_dir: Path,
        layers: frozenset[str],
        pids: list[int],
        record: Record,
        overlay: MonitoringOverlay = MONITORING,
    ) -> None:
        self.lab_dir = lab_dir
        self.run = lab_dir / "services"
        self.layers = layers
        self.pids = pids
        self.record = record
        self.overlay = overlay

    def _start(self, device: str, name: str, args: list[str]) -> None:
        self.pids.append(-daemons.start(self.run, device, namespace(device), name, args))

    def service(self, device: str, root: Path, name: str, action: ServiceAction) -> None:
        daemon = SERVICES[name]
        if action == "stop":
            daemons.stop(self.run, device, daemon)
            return
        if action == "reload" and daemons.running(self.run, device, daemon):
            self._configure(device, root, daemon)
            self._signal(device, daemon, signal.SIGHUP)
            return
        self._configure(device, root, daemon)
        self._start(device, daemon, self._args(device, root, daemon))
        if daemon == "prometheus":
            self._exporters(root)
        self.record("monitoring", f"{daemon}@{device}", {"device": device, "daemon": daemon})

    # -- the campaign's questions (prove/alerts.py): what a fault should raise, and when it was notified --------
    def expected_alerts(self, root: Callable[[str], Path], faults: Sequence[str]) -> list[tuple[str, float]]:
        """(alert, bound in seconds) of each alert the deployed rules define for the faults; [] when no
        Prometheus was deployed."""
        recorded: dict[str, dict[str, str]] = self._recorded()
        host = next((r["device"] for r in recorded.values() if r["daemon"] == "prometheus"), None)
        if host is None:
            return []
        etc = root(host) / "etc/prometheus"
        design_scrape = configs.design_scrape_s(self._read(etc / "prometheus.yml", host))
        rendered = lab_alerts.rules([p.read_text(encoding="utf-8") for p in sorted(etc.rglob("*.yml"))])
        # Each rule's `for` as the lab's Prometheus waits it (its rule files are written with the same).
        found = [replace(r, duration_s=self.overlay.for_s(r.duration_s, design_scrape)) for r in rendered]
        roles = lab_alerts.node_roles(
            [p.read_text(encoding="utf-8") for p in sorted((etc / "targets").glob("node*/*.json"))]
        )
        by_name = {r.name: r for r in found}
        names = list(dict.fromkeys(n for fault in faults for n in lab_alerts.expected(fault, roles, found)))
        routing = etc / "alertmanager.yml"  # the Alertmanager's, deployed beside Prometheus on the ops hosts
        muted_by = lab_alerts.inhibitions(routing.read_text(encoding="utf-8")) if routing.is_file() else {}
        ov = self.overlay

        # A fault that takes hosts away (a site, a device, a VM) may take an Alertmanager, or its site's way out
        # (a site's two firewalls): Prometheus waits for it with the batch that carries the alert, and the next
        # Alertmanager in the cluster waits one peer timeout for it before notifying in its place. (Prometheus
        # sends at most 64 alerts a batch: with more queued, each batch would wait again; a row raises a few.)
        lost = ov.alertmanager_timeout_s + ov.peer_timeout_s
        waits = lost if any(f.startswith(("site:", "device:", "vm:")) for f in faults) else 0

        def bound(alternatives: str) -> float:
            return waits + max(
                lab_alerts.bound_s(
                    by_name[n],
                    ov.scrape_interval_s,
                    ov.scrape_timeout_s,
                    ov.evaluation_interval_s,
                    ov.notify_s,
                )
                for n in alternatives.split("|")
            )

        return [(a, bound(a)) for a in lab_alerts.alternatives(names, muted_by, by_name)]

    def alert_times(
        self, name: str, injected: float, mended: float | None
    ) -> tuple[float | None, float | None]:
        seen = lab_alerts.time_to_alert(notifications_log(self.lab_dir), name, injected, mended)
        return seen.to_alert, seen.to_resolve

    def _recorded(self) -> dict[str, dict[str, str]]:
        monitoring: dict[str, dict[str, str]] = self._services().get("monitoring", {})
        return monitoring

    def _services(self) -> dict[str, Any]:
        """What every layer recorded it started (drivers/lab_services.py writes services.json)."""
        return records.read(self.lab_dir / "services.json")

    def _only(self) -> dict[str, list[str]]:
        """The jobs whose targets the lab runs on fewer hosts than the design: Ceph's MGRs (the deployment,
        before monitoring, recorded where it started them)."""
        clusters = self._services().get("ceph", {}).values()
        return {"ceph": sorted({m for c in clusters for m in c.get("mgrs", [])})} if clusters else {}

    def _signal(self, device: str, daemon: str, signum: signal.Signals) -> None:
        group = daemons.group(self.run, device, daemon)
        for pid in daemons.children(group) if group is not None else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    # -- configurations, from the files the deployment put in the device's lab root ------------------------------
    def _configure(self, device: str, root: Path, daemon: str) -> None:
        etc, run = root / "etc/prometheus", self.run / device / daemon
        run.mkdir(parents=True, exist_ok=True)
        if daemon == "prometheus":
            rendered = self._read(etc / "prometheus.yml", device)
            self._lab_rules(etc, run, configs.design_scrape_s(rendered))
            text = configs.prometheus_config(
                rendered, str(etc), self.layers, self.overlay, only=self._only(), rules_root=str(run)
            )
            (run / "prometheus.yml").write_text(text, encoding="utf-8")
        elif daemon == "alertmanager":
            webhook = f"http://127.0.0.1:{self.overlay.webhook_port}/"
            text = configs.alertmanager_config(
                self._read(etc / "alertmanager.yml", device), webhook, self.overlay
            )
            (run / "alertmanager.yml").write_text(text, encoding="utf-8")

    def _lab_rules(self, etc: Path, run: Path, design_scrape: float) -> None:
        """The deployed rule files (etc/rules/...), each rule's `for` as the lab waits it, at the same paths
        under the daemon's run directory, where the lab's prometheus.yml points."""
        for path in sorted((etc / "rules").rglob("*.yml")):
            copy = run / path.relative_to(etc)
            copy.parent.mkdir(parents=True, exist_ok=True)
            text = configs.lab_rules(path.read_text(encoding="utf-8"), design_scrape, self.overlay)
            copy.write_text(text, encoding="utf-8")

    @staticmethod
    def _read(path: Path, device: str) -> str:
        if not path.is_file():
            raise DriverError(f"{device}: no {path.name} deployed to start from", device=device)
        return path.read_text(encoding="utf-8")

    def _args(self, device: str, root: Path, daemon: str) -> list[str]:
        run = self.run / device / daemon
        if daemon == "prometheus":
            return configs.prometheus_args(str(run / "prometheus.yml"), str(run / "data"), self.overlay)
        if daemon == "blackbox":
            config = self._read(root / "etc/prometheus/blackbox.yml", device)
            (run / "blackbox.yml").write_text(config, encoding="utf-8")
            return ["prometheus-blackbox-exporter", f"--config.file={run / 'blackbox.yml'}"]
        drop_in = self._drop_in(device, root)
        log = notifications_log(self.lab_dir)
        recorder = [
            sys.executable,
            str(RECORDER),
            "127.0.0.1",
            str(self.overlay.webhook_port),
            str(log),
            device,
        ]
        self._start(device, "alert-recorder", recorder)
        flags = configs.cluster_flags(drop_in)
        return configs.alertmanager_args(
            str(run / "alertmanager.yml"), str(run / "data"), ALERTMANAGER_PORT, flags, self.overlay
        )

    def _drop_in(self, device: str, root: Path) -> str:
        found = sorted((root / "etc/systemd/system/prometheus-alertmanager.service.d").glob("*.conf"))
        if not found:
            raise DriverError(f"{device}: no Alertmanager cluster drop-in deployed", device=device)
        return found[-1].read_text(encoding="utf-8")

    # -- the exporters a Prometheus scrapes ------------------------------------------------------------------------
    def _exporters(self, root: Path) -> None:
        targets = root / "etc/prometheus/targets"
        files = {str(p.relative_to(targets)): p.read_text(encoding="utf-8") for p in targets.glob("*/*.json")}
        hosts = {str(group["labels"]["host"]) for text in files.values() for group in json.loads(text)}
        present = {h for h in hosts if (NETNS_DIR / namespace(h)).exists()}
        with _EXPORTERS_LOCK:
            for exporter in configs.exporters(files, present):
                name = configs.EXPORTERS[exporter.job]
                if not daemons.running(self.run, exporter.host, name):
                    self._start(exporter.host, name, self._exporter_args(exporter))

    def _exporter_args(self, exporter: configs.Exporter) -> list[str]:
        if exporter.job == "frr":
            return configs.frr_exporter_args(exporter.port, str(FRR_RUN / namespace(exporter.host)))
        textfiles = textfile_dir(self.lab_dir / "root" / exporter.host)
        textfiles.mkdir(parents=True, exist_ok=True)
        return configs.node_exporter_args(exporter.port, str(textfiles), self.overlay)


# -- health ---------------------------------------------------------------------------------------------------------
def api(device: str, port: int, path: str, timeout: float = 2.0) -> Any:
    """A JSON answer of a Prometheus or Alertmanager API on DEVICE (asked inside its namespace), or None."""

    def ask() -> Any:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as answer:
                return json.loads(answer.read())
        except (OSError, ValueError, urllib.error.URLError):
            return None

    return call_in_netns(namespace(device), ask)


def down_targets(device: str, scrapes: int = 2) -> tuple[int, list[str]] | None:
    """How many targets DEVICE's Prometheus scrapes, and the down ones as 'job instance (error)': those whose
    last SCRAPES scrapes all failed. One failed scrape is not a target down: Ceph's MGR, for one, resets a
    connection now and then under load, and the steady state would flap with it."""
    found = api(device, PROMETHEUS_PORT, "/api/v1/targets?state=active")
    if not found or found.get("status") != "success":
        return None
    active = found["data"]["activeTargets"]
    window = f"{scrapes * MONITORING.scrape_interval_s + 1:g}s"
    down = [
        f"{t['labels'].get('job')} {t['labels'].get('instance')} ({t.get('lastError') or t['health']})"
        for t in active
        if t["health"] != "up" and not _up_within(device, t["labels"], window)
    ]
    return len(active), down


def _up_within(device: str, labels: dict[str, str], window: str) -> bool:
    """Whether the target answered a scrape within the last WINDOW."""
    query = f'max_over_time(up{{job="{labels.get("job")}",instance="{labels.get("instance")}"}}[{window}])'
    found = api(device, PROMETHEUS_PORT, "/api/v1/query?" + urllib.parse.urlencode({"query": query}))
    series = found["data"]["result"] if found and found.get("status") == "success" else []
    return any(float(s["value"][1]) >= 1 for s in series)


def firing(device: str) -> list[dict[str, Any]] | None:
    """The alerts DEVICE's Prometheus has firing (None when it does not answer)."""
    found = api(device, PROMETHEUS_PORT, "/api/v1/alerts")
    if not found or found.get("status") != "success":
        return None
    return [a for a in found["data"]["alerts"] if a.get("state") == "firing"]


def _alert_name(labels: dict[str, str]) -> str:
    """An alert's name with what tells it apart (its group, host or instance)."""
    which = labels.get("group") or labels.get("host") or labels.get("instance")
    return f"{labels.get('alertname')} {which}" if which else str(labels.get("alertname"))


def prometheus_health(device: str) -> Health:
    targets, alerts = down_targets(device), firing(device)
    if targets is None or alerts is None:
        return Health("monitoring", f"prometheus@{device}", False, "does not answer")
    total, down = targets
    said = f"{total - len(down)}/{total} targets up"
    said += f" (down: {'; '.join(down[:3])}{' ...' if len(down) > 3 else ''})" if down else ""
    # The steady state holds against critical alerts: something is down now. A warning tells of a degradation
    # or of instability over a window (EtcdLeaderChurn: elections in the last 15 minutes), an info of an event
    # (HaMasterChanged: a failover happened): listed, not held against it, or a campaign would wait out the
    # window of every failover it causes.
    by_severity: dict[str, list[str]] = {}
    for a in alerts:
        by_severity.setdefault(a["labels"].get("severity", ""), []).append(_alert_name(a["labels"]))
    critical = sorted(set(by_severity.pop(CRITICAL, [])))
    said += f", {len(critical)} critical alerts firing" + (f" ({', '.join(critical)})" if critical else "")
    for severity, names in sorted(by_severity.items()):
        said += f", {severity or 'no severity'}: {', '.join(sorted(set(names)))}"
    return Health("monitoring", f"prometheus@{device}", total > 0 and not down and not critical, said)


def alertmanager_health(device: str, size: int) -> Health:
    """An Alertmanager answers, ready, with every member of the cluster its peer."""
    status = api(device, ALERTMANAGER_PORT, "/api/v2/status")
    if not status:
        return Health("monitoring", f"alertmanager@{device}", False, "does not answer")
    cluster = status.get("cluster", {})
    peers = len(cluster.get("peers") or [])
    ok = peers == size and cluster.get("status") == "ready"
    return Health(
        "monitoring", f"alertmanager@{device}", ok, f"cluster {cluster.get('status')}, {peers}/{size} peers"
    )


def read(recorded: dict[str, dict[str, str]]) -> list[Health]:
    """The health of the monitoring a deployment started (services.json's `monitoring`)."""
    found = []
    members = sorted(r["device"] for r in recorded.values() if r["daemon"] == "alertmanager")
    for record in sorted(recorded.values(), key=lambda r: (r["daemon"], r["device"])):
        if record["daemon"] == "prometheus":
            found.append(prometheus_health(record["device"]))
        elif record["daemon"] == "alertmanager":
            found.append(alertmanager_health(record["device"], len(members)))
    return found
