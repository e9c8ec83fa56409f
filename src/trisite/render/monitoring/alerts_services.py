"""Alerts on the clustered services, each from its own exporter: the Ceph mgr prometheus module, mysqld_exporter's
wsrep status for Galera, the rabbitmq_prometheus plugin, etcd's /metrics, and Alertmanager's own gossip."""

from __future__ import annotations

from dataclasses import replace

from trisite.render.monitoring.facts import Facts
from trisite.render.monitoring.rules import Alert, Case, Labels, flips, series, steady


def _gauge(alert: Alert, metric: str, labels: Labels, *, bad: float, good: float) -> Alert:
    """ALERT on one gauge, proven: it fires once the gauge has read BAD for a while, and is quiet on GOOD."""
    return replace(
        alert,
        cases=(
            Case(
                f"{metric} turns {bad:g}", {series(metric, labels): flips(good, bad, 2, 10)}, fires=(labels,)
            ),
            Case(f"{metric} stays {good:g}", {series(metric, labels): steady(good, 10)}),
        ),
    )


def ceph_alerts(f: Facts) -> list[Alert]:
    if not f.design.ceph:
        return []
    mgr = f.one("ceph")
    osd = {**mgr, "ceph_daemon": "osd.0"}
    return [
        _gauge(
            Alert(
                "CephDegraded",
                'ceph_health_status{job="ceph"} > 0',
                "1m",
                "warning",
                "Ceph {{ $labels.cluster }} health is not OK",
            ),
            "ceph_health_status",
            mgr,
            bad=1,
            good=0,
        ),
        _gauge(
            Alert(
                "CephHealthError",
                'ceph_health_status{job="ceph"} == 2',
                "1m",
                "critical",
                "Ceph {{ $labels.cluster }} health is ERR: I/O may be blocked",
            ),
            "ceph_health_status",
            mgr,
            bad=2,
            good=1,
        ),
        _gauge(
            Alert(
                "CephOsdDown",
                'ceph_osd_up{job="ceph"} == 0',
                "1m",
                "warning",
                "{{ $labels.ceph_daemon }} of Ceph {{ $labels.cluster }} is down",
            ),
            "ceph_osd_up",
            osd,
            bad=0,
            good=1,
        ),
        _mon_quorum(f),
    ]


def _mon_quorum(f: Facts) -> Alert:
    wanted = {c.name: len(c.mons) for c in f.design.ceph}
    expr = " or ".join(
        f'sum by (cluster) (ceph_mon_quorum_status{{job="ceph",cluster="{name}"}}) < {n}'
        for name, n in sorted(wanted.items())
    )
    cluster = f.design.ceph[0]
    mgr = f.one("ceph", lambda t: t["cluster"] == cluster.name)
    mons = [series("ceph_mon_quorum_status", {**mgr, "ceph_daemon": f"mon.{m}"}) for m in cluster.mons]
    full = {m: steady(1, 10) for m in mons}
    return Alert(
        "CephQuorumAtRisk",
        expr,
        "30s",
        "critical",
        "a MON of Ceph {{ $labels.cluster }} left the quorum: one more loss may stop the cluster",
        (
            Case("a MON leaves", {**full, mons[-1]: flips(1, 0, 2, 10)}, fires=({"cluster": cluster.name},)),
            Case("every MON in quorum", full),
        ),
    )


def galera_alerts(f: Facts) -> list[Alert]:
    if not f.design.openstack:
        return []
    node = f.one("galera")
    sizes = {r.name: len(r.controllers) for r in f.design.openstack}
    region, size = sorted(sizes.items())[0]
    expr = " or ".join(
        f'mysql_global_status_wsrep_cluster_size{{job="galera",region="{name}"}} < {n}'
        for name, n in sorted(sizes.items())
    )
    sized = f.one("galera", lambda t: t["region"] == region)
    return [
        _gauge(
            Alert(
                "GaleraDown",
                'mysql_up{job="galera"} == 0',
                "1m",
                "critical",
                "MariaDB on {{ $labels.host }} does not answer its exporter",
            ),
            "mysql_up",
            node,
            bad=0,
            good=1,
        ),
        _gauge(
            Alert(
                "GaleraNotPrimary",
                'mysql_global_status_wsrep_cluster_status{job="galera"} != 1',
                "30s",
                "critical",
                "{{ $labels.host }} is outside the primary Galera component: it refuses writes",
            ),
            "mysql_global_status_wsrep_cluster_status",
            node,
            bad=0,
            good=1,
        ),
        _gauge(
            Alert(
                "GaleraNodeNotSynced",
                'mysql_global_status_wsrep_local_state{job="galera"} != 4',
                "5m",
                "warning",
                "Galera on {{ $labels.host }} is not Synced (wsrep_local_state)",
            ),
            "mysql_global_status_wsrep_local_state",
            node,
            bad=1,
            good=4,
        ),
        _gauge(
            Alert(
                "GaleraClusterShrunk",
                expr,
                "1m",
                "warning",
                "{{ $labels.host }} sees a Galera cluster of {{ $labels.region }} smaller than designed",
            ),
            "mysql_global_status_wsrep_cluster_size",
            sized,
            bad=size - 1,
            good=size,
        ),
    ]


def rabbitmq_alerts(f: Facts) -> list[Alert]:
    if not f.design.openstack:
        return []
    node = f.one("rabbitmq")
    alarm = (
        'label_replace({__name__=~"rabbitmq_alarms_.+",job="rabbitmq"} == 1, '
        '"alarm", "$1", "__name__", "rabbitmq_alarms_(.+)")'
    )
    memory = series("rabbitmq_alarms_memory_used_watermark", node)
    disk = series("rabbitmq_alarms_free_disk_space_watermark", node)
    return [
        _gauge(
            Alert(
                "RabbitmqPartitioned",
                'rabbitmq_unreachable_cluster_peers_count{job="rabbitmq"} > 0',
                "1m",
                "critical",
                "RabbitMQ on {{ $labels.host }} cannot reach a cluster peer",
            ),
            "rabbitmq_unreachable_cluster_peers_count",
            node,
            bad=1,
            good=0,
        ),
        Alert(
            "RabbitmqResourceAlarm",
            alarm,
            "1m",
            "critical",
            "RabbitMQ on {{ $labels.host }} raised {{ $labels.alarm }}: publishers are blocked",
            (
                Case(
                    "memory runs out",
                    {memory: flips(0, 1, 2, 10), disk: steady(0, 10)},
                    fires=({**node, "alarm": "memory_used_watermark"},),
                ),
                Case("no alarm", {memory: steady(0, 10), disk: steady(0, 10)}),
            ),
        ),
    ]


def etcd_alerts(f: Facts) -> list[Alert]:
    if not f.design.kubernetes:
        return []
    member = f.one("etcd")
    changes = series("etcd_server_leader_changes_seen_total", member)
    return [
        _gauge(
            Alert(
                "EtcdNoLeader",
                'etcd_server_has_leader{job="etcd"} == 0',
                "1m",
                "critical",
                "etcd member {{ $labels.host }} of {{ $labels.cluster }} has no leader",
            ),
            "etcd_server_has_leader",
            member,
            bad=0,
            good=1,
        ),
        Alert(
            "EtcdLeaderChurn",
            'increase(etcd_server_leader_changes_seen_total{job="etcd"}[15m]) > 3',
            "0s",
            "warning",
            "etcd of {{ $labels.cluster }} keeps electing leaders (seen from {{ $labels.host }})",
            (
                Case("a leader a minute", {changes: "0+0.25x40"}, fires=(member,)),
                Case("one election", {changes: "0x20 1x20"}),
            ),
        ),
    ]


def alertmanager_alerts(f: Facts) -> list[Alert]:
    m = f.design.monitoring
    assert m is not None
    if len(m.alertmanager) < 2:
        return []
    peer = f.one("alertmanager")
    n = len(m.alertmanager)
    return [
        _gauge(
            Alert(
                "AlertmanagerClusterDegraded",
                f'alertmanager_cluster_members{{job="alertmanager"}} < {n}',
                "5m",
                "warning",
                "Alertmanager on {{ $labels.host }} sees fewer than its peers: notifications may double",
            ),
            "alertmanager_cluster_members",
            peer,
            bad=n - 1,
            good=n,
        ),
    ]
