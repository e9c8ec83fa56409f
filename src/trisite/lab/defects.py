"""Supplier defects the lab can deliver on request, as the seed's team received them: the design stays right,
what is built differs. Acceptance checks must find each one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trisite.drivers.host import LocalHost
from trisite.drivers.netns import namespace
from trisite.errors import LabError
from trisite.model import Design
from trisite.model.flows import FlowMatrix, Side
from trisite.model.index import Index

SLOW_RATE = "1gbit"  # what was delivered instead of the 10 Gbit/s ordered
DEFAULT_MTU = 1500


@dataclass(frozen=True)
class Defect:
    name: str
    what: str
    deliver: Callable[[Design], Design] | None = None  # the design as built, when it differs from the order
    after_up: Callable[[Design, LocalHost], None] | None = None
    # device -> the name the delivered box announces (its preconfigured hostname), when that differs
    announces: Callable[[Design], dict[str, str]] | None = None
    # server -> how its BMC misbehaves as delivered (lab/bmc.py: "hangs", "raid-only")
    bmc_quirks: Callable[[Design], dict[str, str]] | None = None
    # (device, path) -> content: files the delivered box carries in its own filesystem (a vendor's include)
    files: Callable[[Design], dict[tuple[str, str], str]] | None = None


def _swapped_man_cables(design: Design) -> Design:
    """Two MAN fibres leaving one site are connected to each other's far end."""
    ix = Index.of(design)
    links = list(design.man_links)
    for i, first in enumerate(links):
        for j in range(i + 1, len(links)):
            second = links[j]
            same_site = ix.site_of(first.a.split(":")[0]) == ix.site_of(second.a.split(":")[0])
            if same_site and ix.site_of(first.b.split(":")[0]) != ix.site_of(second.b.split(":")[0]):
                links[i] = first.model_copy(update={"b": second.b})
                links[j] = second.model_copy(update={"b": first.b})
                return design.model_copy(update={"man_links": links})
    raise LabError("defect swapped-man-cables: the design has no two MAN links from one site to two others")


def _slow_line(design: Design, host: LocalHost) -> None:
    """The first internet line shaped at 1 Gbit/s on the operator's side, where the customer cannot see it."""
    if not design.uplinks:
        raise LabError("defect slow-line: the design has no internet line")
    router = namespace(f"op-{design.uplinks[0].name}")
    host.in_netns(
        router,
        [
            "tc",
            "qdisc",
            "replace",
            "dev",
            "customer",
            "root",
            "tbf",
            "rate",
            SLOW_RATE,
            "burst",
            "256kb",
            "latency",
            "50ms",
        ],
    )


def _switch_at_wrong_site(design: Design) -> dict[str, str]:
    """The switches prepared for two sites were shipped to each other's site: each announces the other's name."""
    ix = Index.of(design)
    switches = [s.name for s in design.switches]
    for first in switches:
        for second in switches:
            if ix.site_of(first) != ix.site_of(second):
                return {first: second, second: first}
    raise LabError("defect switch-at-wrong-site: the design has no switches at two sites")


def _bmc_hangs(design: Design) -> dict[str, str]:
    """The last server's BMC stops answering (the seed's BMCs hung and needed a power cut)."""
    if not design.servers:
        raise LabError("defect bmc-hangs: the design has no server")
    return {design.servers[-1].name: "hangs"}


def _no_jbod(design: Design) -> dict[str, str]:
    """The first server that wants JBOD for its OSDs got a controller that can only build RAID volumes."""
    for server in design.servers:
        if server.disk_controller.mode == "jbod" and any(d.use == "osd" for d in server.disks):
            return {server.name: "raid-only"}
    raise LabError("defect no-jbod: no server of the design wants JBOD for OSD disks")


def _bmc_clock(design: Design) -> dict[str, str]:
    """The second server's BMC clock was set by hand, hours ahead (lab/bmc.py CLOCK_SKEW_S)."""
    if len(design.servers) < 2:
        raise LabError("defect bmc-clock: the design has fewer than two servers")
    return {design.servers[1].name: "clock-hours"}


def _bmc_timezone(design: Design) -> dict[str, str]:
    """The third server's BMC keeps the supplier's local time zone instead of UTC."""
    if len(design.servers) < 3:
        raise LabError("defect bmc-timezone: the design has fewer than three servers")
    return {design.servers[2].name: "timezone"}


def _man_mtu(design: Design, host: LocalHost) -> None:
    """The carrier left the first MAN link's far end at the default MTU: jumbo frames die there."""
    if not design.man_links:
        raise LabError("defect man-mtu: the design has no MAN link")
    device, port = design.man_links[0].b.split(":", 1)
    host.ip_batch([f"link set {port} mtu {DEFAULT_MTU}"], namespace(device))


def _bgp_down(design: Design, host: LocalHost) -> None:
    """The operator of the last line never enabled the session to its second firewall (one site's BGP down)."""
    lines = [u for u in design.uplinks if len(u.firewalls) > 1]
    if not lines:
        raise LabError("defect bgp-down: no internet line ends on two firewalls")
    line = lines[-1]
    address = _firewall_address(design, line.firewalls[1], line.network)
    commands = ["configure terminal", f"router bgp {_operator_asn(design, line.operator)}"]
    commands += [f"neighbor {address} shutdown"]
    args = ["vtysh", "-N", namespace(f"op-{line.name}")]
    for command in commands:
        args += ["-c", command]
    host.run(args)


def _firewall_address(design: Design, firewall: str, network: str) -> str:
    host = Index.of(design).hosts[firewall]
    return next(str(a.ip) for a in Index.of(design).addresses(host) if a.network == network)


def _operator_asn(design: Design, operator: str) -> int:
    return next(o.asn for o in design.operators if o.name == operator)


EXTRA_PORT = 3306  # MySQL: what a supplier's "temporary" database access rule opens
VENDOR_RULES = "/etc/nftables.d/zz-vendor.nft"  # loaded after every ruleset, as the firewall's image does


def _extra_permitted_flow(design: Design) -> dict[tuple[str, str], str]:
    """One firewall's image forwards MySQL from a management network to another zone's gateway network, which
    no flow declares. The firewall chosen is master of both gateways (requests and replies cross it alone)."""
    matrix = FlowMatrix(design)
    masters = {
        g.network: max(g.members, key=lambda m: m.priority).device
        for g in design.ha_groups
        if any(str(v) == str(Index.of(design).networks[g.network].gateway) for v in g.vips)
    }
    for source, firewall in sorted(masters.items()):
        for destination, other in sorted(masters.items()):
            src, dst = (
                Side(None, source, matrix.zone_of[source]),
                Side(None, destination, matrix.zone_of[destination]),
            )
            if (
                other != firewall
                or src.zone == dst.zone
                or src.zone in matrix.outside
                or dst.zone in matrix.outside
            ):
                continue
            if matrix.flow_for(src, dst, "tcp", EXTRA_PORT, bootstrap=True) is None:
                return {(firewall, VENDOR_RULES): _vendor_rule(design, source, destination)}
    raise LabError("defect extra-permitted-flow: no firewall is the gateway of two zones' networks")


def _vendor_rule(design: Design, source: str, destination: str) -> str:
    networks = Index.of(design).networks
    return (
        "# The supplier's image: loaded after every ruleset.\n"
        f"insert rule inet trisite forward ip saddr {networks[source].prefix} ip daddr {networks[destination].prefix} "
        f'tcp dport {EXTRA_PORT} ct state new accept comment "vendor: database access"\n'
    )


DEFECTS = {
    d.name: d
    for d in (
        Defect(
            "swapped-man-cables",
            "two MAN fibres from one site swapped at the far end",
            deliver=_swapped_man_cables,
        ),
        Defect("slow-line", f"the first internet line delivered at {SLOW_RATE}/s", after_up=_slow_line),
        Defect(
            "switch-at-wrong-site",
            "two switches prepared for different sites swapped in shipping",
            announces=_switch_at_wrong_site,
        ),
        Defect("bmc-hangs", "the last server's BMC stops answering", bmc_quirks=_bmc_hangs),
        Defect("no-jbod", "a Ceph server's disk controller cannot pass disks through", bmc_quirks=_no_jbod),
        Defect("bmc-clock", "the second server's BMC clock is hours ahead", bmc_quirks=_bmc_clock),
        Defect("bmc-timezone", "the third server's BMC keeps a local time zone", bmc_quirks=_bmc_timezone),
        Defect("man-mtu", f"the first MAN link's far end left at MTU {DEFAULT_MTU}", after_up=_man_mtu),
        Defect(
            "bgp-down",
            "the last line's operator left its session to the second firewall down",
            after_up=_bgp_down,
        ),
        Defect(
            "extra-permitted-flow",
            f"one firewall forwards TCP {EXTRA_PORT} between two zones, which no flow declares",
            files=_extra_permitted_flow,
        ),
    )
}


def chosen(names: list[str]) -> list[Defect]:
    unknown = [n for n in names if n not in DEFECTS]
    if unknown:
        raise LabError(f"unknown defect {unknown[0]!r}; known: {', '.join(sorted(DEFECTS))}")
    return [DEFECTS[n] for n in dict.fromkeys(names)]


def as_delivered(design: Design, defects: list[Defect]) -> Design:
    for defect in defects:
        design = defect.deliver(design) if defect.deliver else design
    return design


def announced_names(design: Design, defects: list[Defect]) -> dict[str, str]:
    names: dict[str, str] = {}
    for defect in defects:
        names |= defect.announces(design) if defect.announces else {}
    return names


def bmc_quirks(design: Design, defects: list[Defect]) -> dict[str, str]:
    """server -> its BMC's quirks, comma-separated (two defects may hit one server)."""
    quirks: dict[str, str] = {}
    for defect in defects:
        for server, quirk in (defect.bmc_quirks(design) if defect.bmc_quirks else {}).items():
            quirks[server] = f"{quirks[server]},{quirk}" if server in quirks else quirk
    return quirks


def delivered_files(design: Design, defects: list[Defect]) -> dict[tuple[str, str], str]:
    files: dict[tuple[str, str], str] = {}
    for defect in defects:
        files |= defect.files(design) if defect.files else {}
    return files
