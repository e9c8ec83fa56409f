"""The names other renderers and the alert rules must agree on: the metrics trisite's own scripts write for
node-exporter's textfile collector, and the ports the exporters listen on. One definition, imported by the
writers (render/ha.py, render/backups.py) and by the rules, so a rename cannot leave an alert watching nothing."""

from __future__ import annotations

# Debian's prometheus-node-exporter reads *.prom files here (--collector.textfile.directory in
# /etc/default/prometheus-node-exporter).
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"

# 1 while this member holds a CARP/VRRP group's addresses, 0 once it released them; label `group`: the
# design's ha_groups name. Written by ucarp's vip-up/vip-down scripts and keepalived's notify script.
HA_MASTER_METRIC = "trisite_ha_master"


def ha_master_file(group: str) -> str:
    """The textfile a member writes its state for GROUP to (one file per group: groups flip independently)."""
    return f"{TEXTFILE_DIR}/trisite_ha_{group}.prom"


# Unix time of a backup job's last good run; label `job_name`: the design's backups name (render/backups.py).
BACKUP_SUCCESS_METRIC = "trisite_backup_last_success_timestamp_seconds"

# Listening ports, from each exporter's defaults.
NODE_EXPORTER_PORT = 9100
FRR_EXPORTER_PORT = 9342  # prometheus-frr-exporter --web.listen-address
BLACKBOX_PORT = 9115
MYSQLD_EXPORTER_PORT = 9104  # Kolla's prometheus-mysqld-exporter on every MariaDB (Galera) host
RABBITMQ_PROMETHEUS_PORT = 15692  # the rabbitmq_prometheus plugin's listener
ETCD_METRICS_PORT = 2381  # kubespray's etcd_metrics_port: plain HTTP /metrics beside the TLS client port
CEPH_MGR_PROMETHEUS_PORT = 9283  # the mgr prometheus module's server_port
OPENSTACK_EXPORTER_PORT = 9198
ALERTMANAGER_PORT = 9093
ALERTMANAGER_CLUSTER_PORT = 9094  # gossip between Alertmanagers, TCP and UDP
# Prometheus sends each batch of alerts to every Alertmanager at once and waits for all of them before the next
# batch (notifier.sendAll): an Alertmanager whose site is lost holds every notification this long, not the
# default 10 s. One that answers does so in milliseconds; a batch one misses, the others received.
ALERTMANAGER_TIMEOUT_S = 3
