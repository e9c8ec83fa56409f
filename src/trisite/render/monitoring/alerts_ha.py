"""Alerts on the CARP/VRRP groups, from the state each member writes for node-exporter's textfile collector
(metrics.HA_MASTER_METRIC: 1 while it holds the group's addresses): a change of master, a group nobody holds,
and a group two members hold at once (split brain)."""

from __future__ import annotations

import math

from trisite.model.network import HaGroup
from trisite.render.monitoring.facts import Facts
from trisite.render.monitoring.metrics import HA_MASTER_METRIC
from trisite.render.monitoring.rules import Alert, Case, flips, merged, series, steady

# A master change stays visible this long, so that one flip between two evaluations is not missed.
CHANGE_WINDOW = "15m"
# The severity of an alert that records an event rather than a fault (Alertmanager's default route notifies it,
# the critical route does not page for it; the lab's steady state lists it without counting it as a fault).
EVENT = "info"


def _failover_s(group: HaGroup) -> float:
    """Master-down interval: three advertisements (VRRPv3, RFC 5798; CARP alike), plus one for the skew."""
    return 4 * group.advert_interval_ms / 1000


def _settle(f: Facts) -> str:
    """How long no master (or two) may last before it is an incident: the slowest group's failover, plus two
    scrapes for the textfile to be read."""
    slowest = max(_failover_s(g) for g in f.design.ha_groups)
    return f"{math.ceil(slowest) + 2 * f.scrape_s}s"


def _member_series(f: Facts, group: HaGroup, member: str) -> str:
    return series(HA_MASTER_METRIC, {**f.node(member), "group": group.name})


def _healthy(f: Facts) -> dict[str, str]:
    """Every group held by its first member all along."""
    found = {}
    for g in f.design.ha_groups:
        for n, m in enumerate(g.members):
            found[_member_series(f, g, m.device)] = steady(1 if n == 0 else 0, 10)
    return found


def ha_alerts(f: Facts) -> list[Alert]:
    if not f.design.ha_groups:
        return []
    pair = next((g for g in f.design.ha_groups if len(g.members) >= 2), None)
    if pair is None:
        return []
    first, second = (_member_series(f, pair, m.device) for m in pair.members[:2])
    group = {"group": pair.name}
    failover = {first: flips(1, 0, 5, 10), second: flips(0, 1, 5, 10)}
    nobody = {first: flips(1, 0, 2, 10)}
    both = {second: flips(0, 1, 2, 10)}
    unreported = {k: v for k, v in _healthy(f).items() if f'group="{pair.name}"' not in k}
    absent = " or ".join(f'absent({HA_MASTER_METRIC}{{group="{g.name}"}})' for g in f.design.ha_groups)
    settle = _settle(f)
    return [
        Alert(
            "HaMasterChanged",
            f"sum by (group) (changes({HA_MASTER_METRIC}[{CHANGE_WINDOW}])) > 0",
            "0s",
            EVENT,  # it reports that a failover happened, for CHANGE_WINDOW: nothing is down while it fires
            "{{ $labels.group }} changed master: check why the previous one let go",
            (
                Case("the backup took over", merged(_healthy(f), failover), (group,)),
                Case("the master held", _healthy(f)),
            ),
        ),
        Alert(
            "HaNoMaster",
            f"sum by (group) ({HA_MASTER_METRIC}) < 1 or {absent}",
            settle,
            "critical",
            "no member holds the addresses of {{ $labels.group }}",
            (
                Case("the master let go, nobody took over", merged(_healthy(f), nobody), (group,)),
                Case("no member reports the group", unreported, (group,)),
                Case("a failover completes", merged(_healthy(f), failover)),
            ),
        ),
        Alert(
            "HaSplitBrain",
            f"sum by (group) ({HA_MASTER_METRIC}) > 1",
            settle,
            "critical",
            "two members hold the addresses of {{ $labels.group }} (split brain)",
            (
                Case("the backup claims the group too", merged(_healthy(f), both), (group,)),
                Case("one master", _healthy(f)),
            ),
        ),
    ]
