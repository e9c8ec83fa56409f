"""Findings read from the sweeps: single points of failure, services lost with a site, and the verdict."""

from __future__ import annotations

from collections import defaultdict

from trisite.verify.availability import ServiceAvailability
from trisite.verify.findings import Finding, Severity
from trisite.verify.reliability import budget_s
from trisite.verify.sweep import Scenario
from trisite.verify.twin import Twin

# Their own rules cover these: a line's session, routes between sites, backups (data safety).
NOT_SPOF = ("bgp/", "route/", "backup/")


def _severity(service: str) -> Severity:
    from trisite.verify.availability import VERDICT_PREFIXES  # noqa: PLC0415 - one list, one place

    return "critical" if service.startswith(VERDICT_PREFIXES) else "warning"


def spof(singles: list[Scenario]) -> list[Finding]:
    found: list[Finding] = []
    for sc in singles:
        (component,) = sc.failed
        if component.startswith("site:"):
            continue
        name = component.split(":", 1)[1]
        down = [s for s in sc.down if not s.startswith(NOT_SPOF) and s != f"vm/{name}"]
        if not down:
            continue
        severity: Severity = "critical" if any(_severity(s) == "critical" for s in down) else "warning"
        others = f" (and {sc.weight - 1} like it)" if sc.weight > 1 else ""
        found.append(
            Finding(
                "SPOF",
                severity,
                component,
                f"{component}{others} is a single point of failure: {', '.join(down)} go(es) down",
                "add redundancy for it (a second member, path, or feed) on another failure domain",
            )
        )
    return found


def site_loss(twin: Twin, scenarios: list[Scenario]) -> list[Finding]:
    specs = {s.name: s for s in twin.specs}
    ix = twin.topology.ix
    found: list[Finding] = []
    for sc in scenarios:
        site = sc.failed[0].split(":", 1)[1]
        lost = []
        for service in sc.down:
            members = specs[service].members
            if service.startswith(NOT_SPOF) or (members and {ix.site_of(m) for m in members} <= {site}):
                continue  # a site's own services go with it
            lost.append(service)
        by_severity: dict[Severity, list[str]] = defaultdict(list)
        for service in lost:
            by_severity[_severity(service)].append(service)
        for severity, services in by_severity.items():
            found.append(
                Finding(
                    "SITE-LOSS",
                    severity,
                    f"site:{site}",
                    f"losing {site} takes down {', '.join(services)}",
                    "spread members so that each site holds less than a quorum, and give every "
                    "service members on at least two sites",
                )
            )
    return found


def verdict(twin: Twin, availability: list[ServiceAvailability]) -> list[Finding]:
    budget = budget_s(twin.design)
    target = twin.design.platform.availability_target
    return [
        Finding(
            "AVAILABILITY",
            "critical",
            a.service,
            f"predicted {a.percent:.5f} % ({a.downtime_s:.0f} s a year: {a.structural_s:.0f} s while repairing, "
            f"{a.transient_s:.0f} s of failovers) is below the {target} % target ({budget:.0f} s)",
            "shorten the failovers that dominate (see the N-1 table) or add redundancy",
        )
        for a in availability
        if a.counts_for_verdict and a.downtime_s > budget
    ]
