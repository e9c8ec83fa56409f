"""Flows: an active scan from each zone (check/flowscan.py says from where, to what, on which ports): every
declared flow passes, nothing undeclared passes, and the deployment's temporary rules are gone once its journal
says it removed them. A probe that passes where no flow allows it is traced to the firewall that forwarded it."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from trisite.check.flowscan import Probe, ScanPlan, Vantage
from trisite.check.observe import gather
from trisite.check.reality import Reality
from trisite.check.result import Check, failed, passed, skipped
from trisite.drivers.scan import REACHED
from trisite.errors import TargetError
from trisite.model import Design, Index

CATEGORY = "flows"
SHOWN = 4  # probes named in one check's finding (the count says how many more)
TRACED = 8  # undeclared passes traced to their firewall, at most (each is one more nmap run)


@dataclass
class Scanned:
    """What the scans found: per vantage the state of every probe (or why it could not scan), and the firewalls
    each traced leak crossed."""

    states: dict[str, dict[str, dict[str, str]] | TargetError] = field(default_factory=dict)
    crossed: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)  # (vantage, address, key)
    probes: int = 0
    seconds: float = 0.0


def read(plan: ScanPlan, reality: Reality) -> Scanned:
    scanner = reality.scanner
    assert scanner is not None  # check() asks only targets that scan

    def one(device: str) -> dict[str, dict[str, str]]:
        vantage = next(v for v in plan.vantages if v.device == device)
        addresses = [t.address for t in plan.targets(vantage)]
        if not addresses:
            return {}
        ports = plan.ports
        return scanner.scan(device, addresses, ports["tcp"], ports["udp"], timeout=reality.scan_timeout)

    started = time.monotonic()
    states = gather([v.device for v in plan.vantages], one, reality.scan_parallel)
    probes = sum(
        len(plan.probes(v)) for v in plan.vantages if not isinstance(states.get(v.device), TargetError)
    )
    return Scanned(states, {}, probes, time.monotonic() - started)


def passed_probe(probe: Probe, states: dict[str, dict[str, str]]) -> bool:
    return states.get(probe.target.address, {}).get(probe.key, "filtered") in REACHED


def leaks(plan: ScanPlan, scanned: Scanned) -> list[Probe]:
    """The probes that passed where no flow allows them."""
    found = []
    for vantage in plan.vantages:
        states = scanned.states.get(vantage.device)
        if isinstance(states, dict):
            found += [p for p in plan.probes(vantage) if p.flow is None and passed_probe(p, states)]
    return found


def locate(design: Design, reality: Reality, found: list[Probe], scanned: Scanned) -> None:
    """Trace the first leaks (one per vantage and destination network) to the firewalls on their way."""
    scanner = reality.scanner
    assert scanner is not None
    firewalls = _firewall_addresses(design)
    seen: set[tuple[str, str | None]] = set()
    for probe in found:
        where = (probe.vantage.device, probe.target.side.network)
        if where in seen or len(seen) >= TRACED:
            continue
        seen.add(where)
        try:
            hops = scanner.trace(
                probe.vantage.device, probe.target.address, probe.protocol, probe.port, timeout=30
            )
        except TargetError:
            continue
        names = [firewalls[h] for h in hops if h in firewalls]
        scanned.crossed[probe.vantage.device, probe.target.address, probe.key] = list(dict.fromkeys(names))


def _firewall_addresses(design: Design) -> dict[str, str]:
    ix = Index.of(design)
    return {str(a.ip): f.name for f in design.firewalls for a in ix.addresses(ix.hosts[f.name])}


def compare(plan: ScanPlan, scanned: Scanned) -> list[Check]:
    checks: list[Check] = []
    for vantage in plan.vantages:
        states = scanned.states.get(vantage.device)
        if isinstance(states, TargetError):
            hint = f"install nmap on {vantage.device}, or scan from another host of its zone"
            checks.append(failed(CATEGORY, _from(vantage), "unreadable", "a scan", str(states), hint))
            continue
        if states is None:
            continue
        probes = plan.probes(vantage)
        checks += _declared(vantage, probes, states)
        checks += _undeclared(vantage, probes, states, scanned.crossed)
    return checks


def _from(vantage: Vantage) -> str:
    return f"from {vantage.device} ({vantage.side.zone})"


def _named(probes: list[Probe]) -> str:
    shown = ", ".join(f"{p.target.address} ({p.target.name}) {p.key}" for p in probes[:SHOWN])
    return shown + (f" and {len(probes) - SHOWN} more" if len(probes) > SHOWN else "")


def _declared(vantage: Vantage, probes: list[Probe], states: dict[str, dict[str, str]]) -> list[Check]:
    """One check per flow that allows some of this vantage's probes: all of them pass."""
    by_flow: dict[str, list[Probe]] = defaultdict(list)
    for probe in probes:
        if probe.flow is not None:
            by_flow[probe.flow.name].append(probe)
    checks = []
    for name, allowed in sorted(by_flow.items()):
        blocked = [p for p in allowed if not passed_probe(p, states)]
        subject = f"{_from(vantage)}: flow {name}"
        want = f"{len(allowed)} probes pass ({', '.join(sorted({p.key for p in allowed})[:6])})"
        if not blocked:
            checks.append(passed(CATEGORY, subject, want, "all passed", kind="declared"))
            continue
        hint = (
            f"a firewall between {vantage.side.zone} and {blocked[0].target.side.zone} drops the declared flow "
            f"{name}, or {blocked[0].target.name} is down or hung (silent as a filter is): compare the firewalls' "
            "rulesets with the design (`trisite plan` shows drift), their routes, and the host"
        )
        found = f"{len(blocked)} blocked: {_named(blocked)}"
        checks.append(failed(CATEGORY, subject, "blocked", want, found, hint))
    return checks


def _undeclared(
    vantage: Vantage,
    probes: list[Probe],
    states: dict[str, dict[str, str]],
    crossed: dict[tuple[str, str, str], list[str]],
) -> list[Check]:
    """One check per destination network: none of the probes no flow allows passes."""
    by_network: dict[str, list[Probe]] = defaultdict(list)
    for probe in probes:
        if probe.flow is None:
            by_network[str(probe.target.side.network)].append(probe)
    checks = []
    for network, refused in sorted(by_network.items()):
        zone = refused[0].target.side.zone
        subject = f"{_from(vantage)} to {network} ({zone})"
        want = f"nothing undeclared passes ({len(refused)} probes)"
        through = [p for p in refused if passed_probe(p, states)]
        if not through:
            checks.append(passed(CATEGORY, subject, want, "all refused", kind="undeclared"))
            continue
        checks.append(_leak(vantage, subject, want, through, crossed))
    return checks


def _leak(
    vantage: Vantage,
    subject: str,
    want: str,
    through: list[Probe],
    crossed: dict[tuple[str, str, str], list[str]],
) -> Check:
    first = through[0]
    firewalls = next(
        (crossed[k] for p in through if (k := (vantage.device, p.target.address, p.key)) in crossed), []
    )
    where = f"on {', '.join(firewalls)}" if firewalls else "on the firewalls between them"
    ports = ", ".join(sorted({p.key for p in through}))
    hint = (
        f"remove the rule {where} that passes {ports} from {vantage.side.zone} to {first.target.side.zone}: "
        "no flow of the design declares it (or declare it under flows:)"
    )
    passed_by = f" (passed by {', '.join(firewalls)})" if firewalls else ""
    return failed(
        CATEGORY, subject, "undeclared", want, f"{len(through)} passed{passed_by}: {_named(through)}", hint
    )


def bootstrap_rules(reality: Reality) -> list[Check]:
    """The temporary rules of every firewall the deployment journaled removing: gone from the live ruleset."""
    placed = sorted(s.split(":")[0] for s in reality.journal if s.endswith(":temporary-rules"))
    if not placed:
        return [skipped(CATEGORY, "temporary rules", "no deployment journaled temporary rules here")]
    checks = []
    for device in placed:
        subject = f"{device} temporary rules"
        if reality.journal.get(f"{device}:remove-temporary-rules") != "done":
            checks.append(skipped(CATEGORY, subject, "the deployment has not removed them yet"))
            continue
        try:
            left = reality.devices.observe(device, "bootstrap-rules").strip()
        except TargetError as exc:
            left = f"unreadable: {exc}"
        if not left:
            checks.append(
                passed(CATEGORY, subject, "none left (the deployment removed them)", "none", kind="bootstrap")
            )
            continue
        hint = (
            f"flush them on {device} (nft flush chain inet trisite bootstrap), then find what put them back"
        )
        checks.append(failed(CATEGORY, subject, "bootstrap", "none left", left.splitlines()[0], hint))
    return checks


def check(design: Design, reality: Reality) -> list[Check]:
    checks = bootstrap_rules(reality) if reality.can("observe:bootstrap-rules") else []
    if reality.scanner is None or not reality.can("scan:flows"):
        return [*checks, skipped(CATEGORY, "flow scan", "this target cannot scan from its hosts")]
    removed = all(
        reality.journal.get(s.replace(":temporary-rules", ":remove-temporary-rules")) == "done"
        for s in reality.journal
        if s.endswith(":temporary-rules")
    )
    plan = ScanPlan(design, internet=reality.can("scan:internet"), bootstrap=not removed)
    scanned = read(plan, reality)
    locate(design, reality, leaks(plan, scanned), scanned)
    reality.notes.setdefault(CATEGORY, []).append(
        f"{scanned.probes} probes from {len(plan.vantages)} vantages in {scanned.seconds:.1f} s"
    )
    return [*checks, *compare(plan, scanned)]
