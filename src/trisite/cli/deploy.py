"""`trisite plan` and `trisite deploy`: the deploy engine on a target (twin, lab or site); docs/deploy.md."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from trisite import pipelines
from trisite.cli.common import DesignArg, LabName, load, note, print_table, say
from trisite.cli.progress import DeployProgress
from trisite.drivers.targets import SiteAccess
from trisite.drivers.twin import estimates as twin_estimates
from trisite.errors import UsageError
from trisite.execute.engine import Answers
from trisite.report import plan as plan_report


class Target(StrEnum):
    twin = "twin"
    lab = "lab"
    site = "site"


TargetOption = Annotated[
    Target,
    typer.Option("--target", help="twin (a simulated platform), lab (namespaces, root) or site (hardware)"),
]
EXIT_PENDING = 2  # plan --detailed-exitcode: something would change
KnownHosts = Annotated[
    Path | None,
    typer.Option(
        "--known-hosts",
        exists=True,
        dir_okay=False,
        help="site: reach hosts over SSH, their keys checked against this file (none: hosts are not reached)",
    ),
]
SshKey = Annotated[
    Path | None, typer.Option("--ssh-key", exists=True, dir_okay=False, help="site: the SSH private key")
]
BmcCa = Annotated[
    Path | None,
    typer.Option(
        "--bmc-ca", exists=True, dir_okay=False, help="site: the CA bundle of the BMCs' certificates"
    ),
]


def plan_command(
    design: DesignArg,
    target: TargetOption = Target.twin,
    name: LabName = "default",
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="exit 2 when something would change (drift), 0 when not"),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="save the plan here, for `deploy --plan`")
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="list unchanged steps too")] = False,
    known_hosts: KnownHosts = None,
    ssh_key: SshKey = None,
    bmc_ca: BmcCa = None,
) -> None:
    """What deploying the design would do now, step by step (create, change, unchanged, remove, or not on this
    target), with the diff of every file and live state that would change. Nothing is changed."""
    loaded = load(design)
    started = time.perf_counter()
    site = SiteAccess(known_hosts, ssh_key=ssh_key, bmc_ca=bmc_ca)
    deployment, changes = pipelines.plan_job(loaded, str(target), name, site=site)
    print_table(plan_report.plan_table(deployment.plan, changes, str(target), all_steps=show_all))
    text = plan_report.diffs(changes)
    if text:
        sys.stdout.write(text)
    runs_here = {s: t for s, t in twin_estimates(deployment.plan).items() if s not in deployment.missing()}
    path, seconds = deployment.plan.critical_path(runs_here)
    note(
        f"planned in {time.perf_counter() - started:.2f} s; critical path {len(path)} steps, "
        f"about {seconds / 60:.0f} min on a real site: {' > '.join(path[:4])}{' > ...' if len(path) > 4 else ''}"
    )
    if output is not None:
        document = plan_report.to_json(changes, design_hash=deployment.design_hash, target=str(target))
        try:
            output.write_text(document, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{output}: cannot write: {exc.strerror or exc}") from None
    if detailed_exitcode and changes.pending:
        raise typer.Exit(EXIT_PENDING)


def deploy_command(
    design: DesignArg,
    target: TargetOption = Target.twin,
    name: LabName = "default",
    plan_file: Annotated[
        Path | None, typer.Option("--plan", exists=True, dir_okay=False, help="apply exactly this saved plan")
    ] = None,
    force_unlock: Annotated[
        bool,
        typer.Option(
            "--force-unlock",
            help="DANGEROUS: forget another deployment's lock (only when its holder is gone for good)",
        ),
    ] = False,
    mark_done: Annotated[
        list[str] | None,
        typer.Option(
            "--mark-done", help="an interrupted step that must not run twice DID complete: record it"
        ),
    ] = None,
    redo: Annotated[
        list[str] | None,
        typer.Option("--redo", help="an interrupted step that must not run twice did NOT complete: run it"),
    ] = None,
    known_hosts: KnownHosts = None,
    ssh_key: SshKey = None,
    bmc_ca: BmcCa = None,
) -> None:
    """Deploy the design from nothing, or what changed since: journaled, resumable after any crash, one at a
    time per target; steps the target cannot perform are listed, never skipped silently."""
    loaded = load(design)

    with DeployProgress() as progress:
        deployment, outcome = pipelines.deploy_job(
            loaded,
            str(target),
            lab=name,
            saved_plan=plan_file,
            unlock=force_unlock,
            answers=Answers(frozenset(mark_done or ()), frozenset(redo or ())),
            site=SiteAccess(known_hosts, ssh_key=ssh_key, bmc_ca=bmc_ca),
            on_event=progress,
        )
    path, seconds = deployment.plan.critical_path(outcome.done)
    say(
        f"deployed {len(outcome.done)} steps on the {target} target in {outcome.wall_s:.1f} s "
        f"(critical path {seconds:.1f} s over {len(path)} steps); {len(outcome.skipped)} unchanged, "
        f"{len(outcome.not_on_target)} not on this target"
    )
