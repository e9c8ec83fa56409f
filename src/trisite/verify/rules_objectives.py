"""Recovery objectives: how long each service may be interrupted when a site is lost, and when one component
fails, against what the sweeps predict.

A service that keeps running because its members are restarted elsewhere (VMs under oVirt HA) is "up" for the
availability figure, yet a quorum whose members all restart after a site loss stops for minutes: the objective
is what turns that interruption into a finding. The design's `objectives` come first (first match wins), then
these defaults, which a three-site design aiming at 99.999 % implies.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from trisite.model.operations import Objective
from trisite.verify.availability import VERDICT_PREFIXES
from trisite.verify.findings import Finding, Severity
from trisite.verify.sweep import Scenario
from trisite.verify.twin import Twin

DEFAULTS = (
    # A VM restarted on another host: fencing, then boot (and the engine's own restart when it was there too).
    Objective(services="vm/*", site_loss_s=600, single_failure_s=600),
    Objective(services="ovirt/*/engine", site_loss_s=600, single_failure_s=600),  # management, not data path
    Objective(services="kubernetes/*/workloads", site_loss_s=120, single_failure_s=120),  # pods rescheduled
    # Quorum and storage: a re-election and the OSD heartbeat grace, never a restart of the members.
    Objective(services="ceph/*", site_loss_s=60, single_failure_s=60),
    Objective(services="vip/*", site_loss_s=10, single_failure_s=10),  # CARP/VRRP take over in seconds
    Objective(services="bgp/*"),  # their own rules (BGP-*, MAN-SINGLE-PATH) and backups' cover these
    Objective(services="route/*"),
    Objective(services="backup/*"),
    Objective(services="*", site_loss_s=60, single_failure_s=60),  # APIs, DNS, the internet: seconds
)


def objective(objectives: list[Objective], service: str) -> Objective:
    return next(o for o in (*objectives, *DEFAULTS) if fnmatchcase(service, o.services))


def check(twin: Twin, singles: list[Scenario], sites: list[Scenario]) -> list[Finding]:
    objectives = twin.design.objectives
    found: list[Finding] = []
    for sc in sites:
        site = sc.failed[0].split(":", 1)[1]
        for service, st in sorted(sc.changes.items()):
            limit = objective(objectives, service).site_loss_s
            if limit is None or st.status == "down" or st.outage_s <= limit or _own(twin, service, site):
                continue  # down with a site: SITE-LOSS says it
            found.append(
                _finding(
                    twin,
                    sc,
                    rule="OBJECTIVE-SITE-LOSS",
                    service=service,
                    outage=st.outage_s,
                    limit=limit,
                    site=site,
                )
            )
    for sc in singles:
        (component,) = sc.failed
        if component.startswith("site:"):
            continue
        for service, st in sorted(sc.changes.items()):
            limit = objective(objectives, service).single_failure_s
            if limit is not None and st.status != "down" and st.outage_s > limit:
                found.append(
                    _finding(
                        twin,
                        sc,
                        rule="OBJECTIVE-SINGLE-FAILURE",
                        service=service,
                        outage=st.outage_s,
                        limit=limit,
                        site="",
                    )
                )
    return found


def _own(twin: Twin, service: str, site: str) -> bool:
    """A site's own service (every member there): it goes with its site."""
    members = next((s.members for s in twin.specs if s.name == service), ())
    ix = twin.topology.ix
    return bool(members) and {ix.site_of(m) for m in members} <= {site}


def _finding(
    twin: Twin, sc: Scenario, *, rule: str, service: str, outage: float, limit: float, site: str
) -> Finding:
    severity: Severity = "critical" if service.startswith(VERDICT_PREFIXES) else "warning"
    members = next((s.members for s in twin.specs if s.name == service), ())
    ix = twin.topology.ix
    hit = [m for m in members if site and ix.site_of(m) == site]
    failure = (
        f"losing {site}"
        if site
        else f"{sc.failed[0]}" + (f" (or {sc.weight - 1} like it)" if sc.weight > 1 else "")
    )
    why = f" (members there: {', '.join(hit)})" if hit else ""
    return Finding(
        rule,
        severity,
        service,
        f"{failure} interrupts {service} for {outage:g} s, over its objective of {limit:g} s{why}",
        "spread the members so that the service never waits for a restart, or set its objective under "
        "`objectives:` if this interruption is accepted",
    )
