"""Throughput: what each MAN link and internet line carries end to end (iperf3 between the devices at its two
ends), against a fraction of what a link of its ordered speed carries on this target (the driver says: a lab's
veths carry less than the optics they stand for). Measured one after the other: two at once would measure the
cores they share."""

from __future__ import annotations

from dataclasses import dataclass

from trisite.check.reality import Reality
from trisite.check.result import Check, failed, passed, skipped
from trisite.errors import TargetError
from trisite.model import Design, Index
from trisite.model.links import OPERATOR, Link, links

CATEGORY = "links"
FRACTION = 0.7  # one TCP stream gets this much of a healthy link at least; a line shaped to a tenth does not


@dataclass(frozen=True)
class Path:
    link: Link
    client: str
    server: str
    address: str  # the server's, on the network the link carries
    reverse: bool  # the server sends: what its side's egress delivers (an operator's policer)


def paths(design: Design, operators: bool) -> list[Path]:
    """Between the firewalls of a MAN link's two sites on the network only that link carries, and from each
    line's first firewall to its operator's router (where the target shows it)."""
    ix, designed = Index.of(design), {lk.name: lk for lk in links(design)}
    found = []
    for man in design.man_links:
        sites = {ix.site_of(end.split(":")[0]) for end in (man.a, man.b)}
        ends = _ends(design, sites)
        if ends is not None:
            found.append(Path(designed[f"MAN link {man.name}"], *ends, reverse=False))
    for line in design.uplinks if operators else []:
        found.append(
            Path(
                designed[f"line {line.name}"],
                line.firewalls[0],
                OPERATOR + line.name,
                str(line.bgp.peer_address),
                True,
            )
        )
    return found


def _ends(design: Design, sites: set[str | None]) -> tuple[str, str, str] | None:
    """The first firewall of each site on a network spanning exactly those two sites, and the second's address."""
    ix = Index.of(design)
    for network in design.networks:
        if set(network.sites) != sites or len(sites) != 2:
            continue
        on = [
            (f.name, ix.site_of(f.name), str(a.ip))
            for f in sorted(design.firewalls, key=lambda f: f.name)
            for a in ix.addresses(ix.hosts[f.name])
            if a.network == network.name
        ]
        first, second = sorted(sites, key=str)
        client = next((f for f in on if f[1] == first), None)
        server = next((f for f in on if f[1] == second), None)
        if client and server:
            return client[0], server[0], server[2]
    return None


def _filtering(reality: Reality, device: str) -> bool:
    """Whether a device's live firewall drops what it was not told to accept (an iperf3 server there is
    unreachable: the deployed policy opens nothing for it)."""
    if not reality.can("observe:nftables"):
        return False
    try:
        return "policy drop" in reality.devices.observe(device, "nftables")
    except TargetError:
        return False


def check(design: Design, reality: Reality) -> list[Check]:
    meter = reality.meter
    if meter is None or not reality.can("measure:throughput"):
        return [skipped(CATEGORY, "throughput", "this target cannot measure throughput")]
    checks, figures = [], []
    for path in paths(design, reality.can("operator-end")):
        subject = f"{path.link.name} throughput ({path.client} - {path.server})"
        nominal = meter.nominal_mbps(path.link.speed)
        want = f">= {FRACTION * nominal:.0f} Mbit/s ({FRACTION:.0%} of {nominal} Mbit/s)"
        if not path.reverse and _filtering(reality, path.server):
            why = f"{path.server} filters connections to itself (deployed): measured on a delivery, before deploying"
            checks.append(skipped(CATEGORY, subject, why))
            continue
        try:
            rate = meter.throughput(path.client, path.server, path.address, reverse=path.reverse)
        except TargetError as exc:
            why = (
                f"not measured: {exc} (a deployed firewall refuses the measurement: measure before deploying)"
            )
            checks.append(skipped(CATEGORY, subject, why))
            continue
        figures.append(f"{path.link.name} {rate:.0f} Mbit/s")
        if rate >= FRACTION * nominal:
            checks.append(passed(CATEGORY, subject, want, f"{rate:.0f} Mbit/s", kind="throughput"))
            continue
        hint = (
            f"the path {path.client} - {path.server} carries {rate:.0f} of {path.link.speed} Mbit/s ordered: "
            "have the supplier test it end to end (the ports' shaping and errors show where)"
        )
        checks.append(failed(CATEGORY, subject, "throughput", want, f"{rate:.0f} Mbit/s", hint))
    reality.notes.setdefault(CATEGORY, []).append("iperf3: " + (", ".join(figures) or "nothing measured"))
    return checks
