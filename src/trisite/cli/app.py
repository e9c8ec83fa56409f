"""The `trisite` command: a thin shell over the library. `main` is the one place where an error becomes a line
on stderr and an exit code (see trisite.errors for the codes)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import traceback
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import trisite
from trisite import pipelines
from trisite.cli import common
from trisite.cli.common import DesignArg, LabName, err, load, note, out, print_table, say
from trisite.cli.lab import lab_app
from trisite.cli.progress import DeployProgress
from trisite.drivers.files import write_tree
from trisite.drivers.secrets import unresolved
from trisite.drivers.site import SiteAccess
from trisite.drivers.twin import estimates as twin_estimates
from trisite.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    TrisiteError,
    UsageError,
)
from trisite.execute.engine import Answers
from trisite.model import Design
from trisite.render import render
from trisite.report import campaign as campaign_report
from trisite.report import plan as plan_report
from trisite.report import verify_report
from trisite.verify.findings import Severity, at_least
from trisite.verify.run import verify

MONTE_CARLO_MAX = 10_000_000  # about a minute per service on this kind of machine; more is a typo

app = typer.Typer(
    help="Model, verify, render, deploy and prove a multi-site platform from one design file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(lab_app, name="lab")


def _version(value: bool) -> None:
    if value:
        out.print(f"trisite {trisite.__version__}")
        raise typer.Exit


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="on an internal error, also print the traceback (for a bug report)"),
    ] = False,
    allow_path: Annotated[
        list[Path] | None,
        typer.Option(
            "--allow-path",
            envvar="TRISITE_ALLOW_PATH",
            file_okay=False,
            exists=True,
            help="a directory outside the design's own that includes and file secrets may come from (repeatable)",
        ),
    ] = None,
) -> None:
    """trisite: one design file in, a verified, deployed and proven platform out."""
    del version, debug  # acted on by their callback, and by `main` before any parsing
    common.ALLOWED[:] = allow_path or []


@app.command()
def validate(
    design: DesignArg,
    secrets: Annotated[
        bool, typer.Option("--secrets", help="also check every secret can be read now")
    ] = False,
) -> None:
    """Check a design: syntax, types, references, addresses. Exit 0 when valid, 1 when not."""
    loaded = load(design)
    if secrets:
        problems = unresolved(loaded.design.secrets, loaded.base_dir, allowed=loaded.allowed)
        for line in problems:
            err.print(f"{design}: {line}", markup=False, soft_wrap=True)
        if problems:
            raise typer.Exit(EXIT_INVALID)
    d = loaded.design
    counts = ", ".join(
        _count(len(items), word)
        for items, word in (
            (d.sites, "site"),
            (d.firewalls, "firewall"),
            (d.switches, "switch"),
            (d.servers, "server"),
            (d.vms, "VM"),
        )
    )
    say(f"{design}: valid: {d.platform.name}, {counts}")


def _count(n: int, word: str) -> str:
    plural = word + ("es" if word.endswith("ch") else "s")
    return f"{n} {word if n == 1 else plural}"


@app.command()
def show(design: DesignArg) -> None:
    """Summarise a design per site and per layer."""
    pipelines.summary(load(design).design, say)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write to this file")] = None,
) -> None:
    """Print the JSON Schema of design files (for editor completion and checks)."""
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **Design.model_json_schema()}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {exc.strerror or exc}") from None


class Format(StrEnum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


class FailOn(StrEnum):
    critical = "critical"
    warning = "warning"
    info = "info"
    never = "never"


@app.command("verify")
def verify_command(
    design: DesignArg,
    output_format: Annotated[
        Format, typer.Option("--format", help="rich (terminal), json or markdown")
    ] = Format.rich,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="exit 1 when a finding at or above this exists")
    ] = (FailOn.critical),
    double: Annotated[
        bool, typer.Option("--double/--no-double", help="also sweep every pair of failures")
    ] = True,
    today: Annotated[
        str | None, typer.Option("--today", help="date for end-of-life checks (YYYY-MM-DD)")
    ] = None,
    monte_carlo: Annotated[
        int,
        typer.Option(
            "--monte-carlo",
            min=0,
            max=MONTE_CARLO_MAX,
            help="also simulate this many random failure states (seeded)",
        ),
    ] = 0,
) -> None:
    """Verify a design: single points of failure, site losses, MAN cuts, N-2, quorum, timers, availability."""
    try:
        when = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        raise UsageError(f"--today: {today!r} is not a date (YYYY-MM-DD)") from None
    loaded = load(design)
    report = verify(
        loaded.design,
        today=when,
        source=loaded.source,
        double=double,
        workers=os.cpu_count() or 1,
        monte_carlo_samples=monte_carlo,
    )

    if output_format is Format.json:
        sys.stdout.write(verify_report.to_json(report))
    elif output_format is Format.markdown:
        sys.stdout.write(verify_report.to_markdown(report))
    else:
        say(verify_report.headline(report))
        for table in verify_report.tables(report):
            if table.rows:
                print_table(table)
    threshold: dict[FailOn, Severity] = {
        FailOn.critical: "critical",
        FailOn.warning: "warning",
        FailOn.info: "info",
    }
    if fail_on in threshold and at_least(report.findings, threshold[fail_on]):
        raise typer.Exit(EXIT_INVALID)


@app.command("render")
def render_command(
    design: DesignArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="directory to write the tree into")] = Path(
        "out"
    ),
) -> None:
    """Render the configuration of every component into OUTPUT/SITE/DEVICE/... and OUTPUT/platform/..."""
    loaded = load(design)
    artifacts = render(loaded.design)
    write_tree(output, artifacts)
    counts = Counter(a.component for a in artifacts)
    summary = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
    say(f"{output}: {len(artifacts)} artifacts ({summary})")


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


@app.command("plan")
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


@app.command("deploy")
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


@app.command("prove")
def prove_command(
    design: DesignArg,
    target: Annotated[
        Target, typer.Option("--target", help="where to run the tests (today: the lab)")
    ] = Target.lab,
    name: LabName = "default",
    only: Annotated[str | None, typer.Option("--only", help="run the tests whose name contains this")] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="draws the random port; the same seed, the same port")
    ] = 0,
    probe: Annotated[
        str, typer.Option("--probe", help="icmp, tcp:PORT or udp:PORT (a reset or port-unreachable answers)")
    ] = "icmp",
    output_format: Annotated[
        Format, typer.Option("--format", help="rich (terminal), json or markdown")
    ] = Format.rich,
) -> None:
    """Run the seed's network failover tests on a deployed lab and print the measured outages."""
    loaded = load(design)
    result = pipelines.prove_lab(loaded, name, note, only=only, seed=seed, probe=probe, target=str(target))
    if output_format is Format.json:
        sys.stdout.write(campaign_report.to_json(result))
    elif output_format is Format.markdown:
        sys.stdout.write(campaign_report.to_markdown(result))
    else:
        print_table(campaign_report.campaign_table(result))
    if not result.ok:
        raise typer.Exit(EXIT_INVALID)


@app.command()
def demo(
    design: Annotated[
        Path | None,
        typer.Option("--design", exists=True, dir_okay=False, help="design to use instead of the reference"),
    ] = None,
) -> None:
    """Run the main job on the reference design: validate, summarise, render into ./out, verify, and (as root)
    the lab: up, deploy, the seed's network failover tests, down."""
    pipelines.demo(design or pipelines.reference_design(), Path("out"), say)


def _internal(exc: BaseException, debug: bool) -> int:
    """A bug, not a mistake of the user's: say so in one line; the traceback only when asked for."""
    if debug:
        traceback.print_exception(exc)
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    sys.stderr.write(
        f"trisite: internal error: {type(exc).__name__}{at}: {exc} "
        "(a bug: please report it with the command; --debug prints the traceback)\n"
    )
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    """Run the command line; every outcome is an exit code, every error one line per problem on stderr."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = app(args=args, prog_name="trisite", standalone_mode=False)
    except TrisiteError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            sys.stderr.write(f"{line}\n")
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
    except typer.TyperException as exc:  # what typer refuses: unknown options, bad values, missing files
        sys.stderr.write(f"trisite: {exc.format_message()} (see trisite --help)\n")
        return exc.exit_code
    except Exception as exc:  # the boundary: anything else is a bug, and said to be one
        return _internal(exc, "--debug" in args)
    if code == EXIT_INTERRUPTED:  # typer turns a Ctrl-C inside a command into this code, silently
        sys.stderr.write("trisite: interrupted\n")
    return code if isinstance(code, int) else EXIT_OK
