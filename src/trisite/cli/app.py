"""The `trisite` command: a thin shell over the library. `main` is the one place where an error becomes a line
on stderr and an exit code (see trisite.errors for the codes)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import trisite
from trisite import pipelines
from trisite.check import run as check_run
from trisite.cli import common
from trisite.cli.common import DesignArg, err, load, out, print_table, say
from trisite.cli.deploy import BmcCa, KnownHosts, SshKey, Target, TargetOption, deploy_command, plan_command
from trisite.cli.lab import lab_app
from trisite.cli.prove import prove_command
from trisite.drivers.files import write_tree
from trisite.drivers.secrets import unresolved
from trisite.drivers.targets import SiteAccess
from trisite.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    TrisiteError,
    UsageError,
)
from trisite.model import Design
from trisite.model.secret_uses import secret_uses
from trisite.render import render
from trisite.report import check as check_report
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
        d = loaded.design
        problems = unresolved(d.secrets, loaded.base_dir, allowed=loaded.allowed, uses=secret_uses(d))
        for problem in problems:
            where = loaded.source.locate(problem.path)
            err.print(f"{where}: {problem.message}", markup=False, soft_wrap=True)
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


app.command("plan")(plan_command)  # in the order of the stages, as `trisite --help` lists them
app.command("deploy")(deploy_command)


app.command("prove")(prove_command)


class CheckFormat(StrEnum):
    rich = "rich"
    json = "json"
    junit = "junit"


@app.command("check")
def check_command(
    design: DesignArg,
    target: TargetOption = Target.lab,
    category: Annotated[
        list[str] | None,
        typer.Option(
            "-k", "--category", help=f"only this category (repeatable): {', '.join(check_run.BUILT)}"
        ),
    ] = None,
    name: Annotated[str, typer.Option("--lab", "--name", help="the lab to check (--target lab)")] = "default",
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="rich (a table per category), json or junit")
    ] = CheckFormat.rich,
    bmc_timeout: Annotated[
        float,
        typer.Option("--bmc-timeout", min=0.1, max=120, help="seconds a BMC has to answer (else: hung)"),
    ] = 3.0,
    known_hosts: KnownHosts = None,
    ssh_key: SshKey = None,
    bmc_ca: BmcCa = None,
) -> None:
    """Compare what was delivered with the design: cabling (LLDP), links (state, MTU, speed, iperf3 throughput),
    BMCs (hangs, health, clock, time zone, controller, boot mode, NICs, firmware), routing (BGP, BFD), flows (an
    nmap scan from each zone; temporary rules gone). Exit 1 when something does not match."""
    loaded = load(design)
    report = pipelines.check_job(
        loaded,
        str(target),
        check_run.chosen(category or []),
        lab=name,
        site=SiteAccess(known_hosts, ssh_key=ssh_key, bmc_ca=bmc_ca),
        bmc_timeout=bmc_timeout,
    )
    if output_format is CheckFormat.json:
        sys.stdout.write(check_report.to_json(report))
    elif output_format is CheckFormat.junit:
        sys.stdout.write(check_report.to_junit(report))
    else:
        for table in check_report.tables(report):
            print_table(table)
        say(check_report.headline(report))
    if not report.ok:
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
