"""`trisite lab ...`: the platform emulated on this machine (network namespaces, root)."""

from __future__ import annotations

import json
import sys
import time
from enum import StrEnum
from typing import Annotated

import typer

from trisite.cli.common import DesignArg, LabName, load, say
from trisite.drivers.host import LocalHost
from trisite.drivers.lab_overlay import LAYERS
from trisite.drivers.netns import namespace
from trisite.errors import UsageError
from trisite.lab import build as lab_build
from trisite.lab import defects as lab_defects
from trisite.lab import session as lab_session

lab_app = typer.Typer(
    help="The platform emulated on this machine (network namespaces; needs root).", no_args_is_help=True
)

DefectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--defect",
        help=f"deliver with a supplier defect (repeatable): {', '.join(sorted(lab_defects.DEFECTS))}",
    ),
]


ServicesOption = Annotated[
    bool, typer.Option("--services", help=f"run every upper layer the lab has: {', '.join(LAYERS)}")
]
ServiceOption = Annotated[
    list[str] | None,
    typer.Option("--service", help=f"run one upper layer (repeatable): {', '.join(LAYERS)}"),
]


@lab_app.command("up")
def lab_up(
    design: DesignArg,
    name: LabName = "default",
    defect: DefectOption = None,
    services: ServicesOption = False,
    service: ServiceOption = None,
) -> None:
    """Build what the suppliers deliver: a namespace per device, its cables, the MAN, operators and internet;
    with --services (or --service LAYER), `trisite deploy --target lab` then runs the upper layers too."""
    layers = list(LAYERS) if services else (service or [])
    unknown = sorted(set(layers) - set(LAYERS))
    if unknown:
        raise UsageError(f"--service {unknown[0]}: the lab runs {', '.join(LAYERS)}")
    loaded = load(design)
    started = time.perf_counter()
    state = lab_session.up(loaded, name, str(design), defect or [], layers)

    say(f"lab {name}: {len(state.namespaces)} namespaces up in {time.perf_counter() - started:.2f} s")


@lab_app.command("down")
def lab_down(name: LabName = "default") -> None:
    """Remove everything the lab made, also after a crash half-way through `up`."""
    removed = lab_build.down(name)
    say(f"lab {name}: removed {len(removed)} namespaces" if removed else f"lab {name}: nothing to remove")


@lab_app.command("status")
def lab_status(name: LabName = "default") -> None:
    """What the lab holds now."""
    say(json.dumps(lab_session.status(name), indent=2, sort_keys=True, default=str))


@lab_app.command("exec", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lab_exec(
    ctx: typer.Context, device: Annotated[str, typer.Argument(help="a device of the design")]
) -> None:
    """Run a command inside a device's namespace: trisite lab exec dc1-fw1 -- ip route"""
    if not ctx.args:
        raise UsageError("give the command after --, e.g. trisite lab exec dc1-fw1 -- ip address")
    result = LocalHost().in_netns(namespace(device), ctx.args, check=False)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    raise typer.Exit(result.returncode)


class PowerVerb(StrEnum):
    on = "on"
    off = "off"
    status = "status"


@lab_app.command("power")
def lab_power(
    design: DesignArg,
    server: Annotated[str, typer.Argument(help="a server of the design")],
    verb: Annotated[PowerVerb, typer.Argument(help="on, off, or status")] = PowerVerb.status,
    name: LabName = "default",
) -> None:
    """Power a server on or off through its Redfish BMC (it takes effect 1 to 11 s later), or read its state."""
    driver = lab_session.driver_for(name, load(design))
    if verb != PowerVerb.status:
        driver.power(server, "on" if verb == PowerVerb.on else "off")
        say(f"{server}: power {verb} requested from its BMC")
        return
    say(f"{server}: {driver.power_state(server)}")
