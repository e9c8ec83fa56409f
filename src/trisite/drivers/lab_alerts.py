"""Alerts as the campaign sees them (issue 14's "monitoring proven"): which alerts the rendered rules should
fire for a fault, and when each was notified firing and resolved, read from the lab's notification recorder
(drivers/alert_webhook_recorder.py) or asked of an Alertmanager.

A fault is named as the campaign names it: a component (`uplink:LINE`, `bgp:LINE`, `man:LINK`, `cable:...`),
`device:NAME` (every cable of a device: it is gone), or `service:DEVICE:DAEMON` (a daemon stopped).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

# The exporters whose loss a scrape sees (drivers/lab_monitoring_configs.EXPORTERS's daemons).
NODE_EXPORTER, FRR_EXPORTER = "node-exporter", "frr-exporter"


@dataclass(frozen=True)
class Rule:
    name: str
    expr: str
    duration_s: float


def rules(rule_files: Sequence[str]) -> list[Rule]:
    """The alerting rules of rendered rule files' text."""
    found = []
    for text in rule_files:
        for group in (yaml.safe_load(text) or {}).get("groups", []):
            for rule in group.get("rules", []):
                if "alert" in rule:
                    found.append(Rule(rule["alert"], rule["expr"], seconds(str(rule.get("for", "0s")))))
    return found


def seconds(duration: str) -> float:
    """A Prometheus duration (30s, 1m, 1h30m) in seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    total, number = 0.0, ""
    rest = duration
    while rest:
        if rest[0].isdigit():
            number, rest = number + rest[0], rest[1:]
            continue
        unit = "ms" if rest.startswith("ms") else rest[0]
        total, number, rest = total + float(number) * units[unit], "", rest[len(unit) :]
    return total


def _node_alerts(role: str) -> tuple[str, ...]:
    return ("FirewallDown",) if role == "firewall" else ("NodeDown",)


def expected(fault: str, roles: Mapping[str, str], found: Sequence[Rule]) -> list[str]:
    """The alerts the rendered rules should fire for FAULT; ROLES: host -> the `role` label of its node target
    (the rendered target files'). Only alerts the rules define are named."""
    kind, _, what = fault.partition(":")
    wanted: tuple[str, ...] = ()
    if kind == "service":
        device, _, daemon = what.partition(":")
        if daemon == NODE_EXPORTER:
            wanted = _node_alerts(roles.get(device, ""))
        elif daemon == FRR_EXPORTER:
            wanted = ("ScrapeTargetDown",)
    elif kind in ("device", "vm"):  # a server or a VM gone: its node exporter with it
        wanted = _node_alerts(roles.get(what, ""))
    elif kind == "site":  # every host of the site gone: its firewalls and its servers
        wanted = ("FirewallDown", "NodeDown")
    elif kind == "uplink":
        wanted = ("BgpSessionDown", "InternetLineLost")
    elif kind == "bgp":
        wanted = ("BgpSessionDown",)
    elif kind == "man":
        # Not BfdPeerDown: OSPF's BFD sessions leave with their neighbour, so no session stays down to be seen.
        wanted = ("ManLinkDown",)
    defined = {r.name for r in found}
    return [name for name in wanted if name in defined]


def inhibitions(alertmanager_yml: str) -> dict[str, str]:
    """target alert -> the alert that mutes it (the rendered `inhibit_rules` matching on alert names)."""
    found = {}
    for rule in (yaml.safe_load(alertmanager_yml) or {}).get("inhibit_rules", []):
        sources = [
            m.split("=", 1)[1].strip('"') for m in rule.get("source_matchers", []) if "alertname=" in m
        ]
        targets = [
            m.split("=", 1)[1].strip('"') for m in rule.get("target_matchers", []) if "alertname=" in m
        ]
        found.update({t: s for t in targets for s in sources})
    return found


def alternatives(names: Sequence[str], muted_by: Mapping[str, str], defined: Collection[str]) -> list[str]:
    """The expected alerts, each that an inhibit rule can mute merged with its muter: 'InternetLineLost|
    BgpSessionDown' is notified as one or the other (a site's last line lost mutes its session alerts, one of
    several lines lost does not)."""
    targets = {muted_by[n] for n in names if n in muted_by}
    merged = [f"{muted_by[n]}|{n}" if muted_by.get(n) in defined else n for n in names if n not in targets]
    return list(dict.fromkeys(merged))


def node_roles(target_files: Sequence[str]) -> dict[str, str]:
    """host -> role of the rendered node target files (file_sd JSON)."""
    return {
        str(g["labels"]["host"]): str(g["labels"].get("role", ""))
        for text in target_files
        for g in json.loads(text)
    }


@dataclass(frozen=True)
class Notified:
    """An alert's notification: its name and labels, fired or resolved, and when the recorder received it
    (Unix time) from which Alertmanager host."""

    name: str
    labels: dict[str, str]
    status: str  # firing, resolved
    received: float
    host: str
    starts: float | None = None  # when Prometheus saw the alert become active (its startsAt), Unix time


def notifications(log: Path) -> list[Notified]:
    """Every alert of every notification the recorder wrote, in the order received."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry: dict[str, Any] = json.loads(line)
        for alert in entry["alerts"]:
            found.append(
                Notified(
                    alert["name"],
                    alert["labels"],
                    alert["status"],
                    entry["received"],
                    entry["host"],
                    _unix(alert.get("startsAt", "")),
                )
            )
    return found


def _unix(stamp: str) -> float | None:
    """An RFC 3339 time of Alertmanager's as Unix time; None if absent."""
    return datetime.fromisoformat(stamp).timestamp() if stamp else None


def first(log: Path, name: str, status: str, since: float, **labels: str) -> float | None:
    """When the first notification of alert NAME with STATUS (and LABELS) arrived after SINCE (Unix time). A
    firing one counts only for an alert that became active after SINCE: an alert still firing from before (a
    group notified again) is not the fault's."""
    for n in notifications(log):
        matches = all(n.labels.get(k) == v for k, v in labels.items())
        new = status != "firing" or n.starts is None or n.starts >= since
        if n.name == name and n.status == status and n.received >= since and matches and new:
            return n.received
    return None


@dataclass(frozen=True)
class TimeToAlert:
    """Seconds from a fault's injection to its alert notified firing, and from its repair to resolved."""

    name: str
    to_alert: float | None
    to_resolve: float | None


def time_to_alert(log: Path, name: str, injected: float, mended: float | None, **labels: str) -> TimeToAlert:
    """NAME may be alternatives ('A|B'): the first of them notified firing, and its resolution."""
    fired_as = [
        (t, n) for n in name.split("|") if (t := first(log, n, "firing", injected, **labels)) is not None
    ]
    fired, which = min(fired_as) if fired_as else (None, name.split("|", maxsplit=1)[0])
    resolved = first(log, which, "resolved", mended, **labels) if mended is not None else None
    return TimeToAlert(
        name,
        fired - injected if fired is not None else None,
        resolved - mended if resolved is not None and mended is not None else None,
    )


def bound_s(rule: Rule, scrape_s: float, timeout_s: float, evaluation_s: float, notify_s: float) -> float:
    """The latest an alert may be notified after its cause: the next scrape, which sees a silent target only
    at its timeout; the rule's `for`, counted from the evaluation that first sees it (which may come one
    evaluation later); one more evaluation to fire; and the Alertmanager's wait (`notify_s`: the larger of
    group_wait, for a new group, and group_interval, for a change to a group already notified)."""
    return scrape_s + timeout_s + rule.duration_s + 2 * evaluation_s + notify_s
