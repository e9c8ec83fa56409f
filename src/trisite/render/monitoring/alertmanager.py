"""Alertmanager: notification routes (alertmanager.yml), and the cluster its instances form across the sites
(each gossips with the others, so an alert Prometheus sends to all of them is notified once)."""

from __future__ import annotations

from typing import Any

from trisite.model import Design, Index
from trisite.render.monitoring import metrics
from trisite.render.monitoring.scrape import address

# Debian's unit runs `prometheus-alertmanager $ARGS` (ARGS from /etc/default/prometheus-alertmanager); the
# drop-in keeps those arguments and adds the cluster's.
DROP_IN = "/etc/systemd/system/prometheus-alertmanager.service.d/trisite-cluster.conf"


def alertmanager_config(design: Design) -> dict[str, Any]:
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


def cluster_flags(design: Design, ix: Index, host: str) -> list[str]:
    """HOST's gossip flags: it listens and advertises on its scrape address (Alertmanager refuses to guess an
    advertise address that is not private), and names every other instance as a peer."""
    m = design.monitoring
    assert m is not None
    port = metrics.ALERTMANAGER_CLUSTER_PORT
    own = address(ix, host)
    flags = [f"--cluster.listen-address={own}:{port}", f"--cluster.advertise-address={own}:{port}"]
    flags += [f"--cluster.peer={address(ix, peer)}:{port}" for peer in m.alertmanager if peer != host]
    return flags


def cluster_drop_in(design: Design, ix: Index, host: str, header: str) -> str:
    flags = " ".join(cluster_flags(design, ix, host))
    return "\n".join(
        [
            f"# {header}",
            "[Service]",
            "ExecStart=",
            f"ExecStart=/usr/bin/prometheus-alertmanager $ARGS {flags}",
            "",
        ]
    )
