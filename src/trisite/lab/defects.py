"""Supplier defects the lab can deliver on request, as the seed's team received them: the design stays right,
what is built differs. Acceptance checks must find each one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trisite.drivers.host import LocalHost
from trisite.drivers.netns import namespace
from trisite.errors import LabError
from trisite.model import Design
from trisite.model.index import Index

SLOW_RATE = "1gbit"  # what was delivered instead of the 10 Gbit/s ordered


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
    quirks: dict[str, str] = {}
    for defect in defects:
        quirks |= defect.bmc_quirks(design) if defect.bmc_quirks else {}
    return quirks
