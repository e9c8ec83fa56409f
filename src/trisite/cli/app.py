"""The `trisite` command: a thin shell over the library. Errors become lines and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import trisite
from trisite.cli.common import (
    EXIT_INVALID,
    EXIT_USAGE,
    DesignArg,
    LabName,
    err,
    lab_call,
    load,
    out,
    print_table,
)
from trisite.cli.lab import lab_app
from trisite.drivers.files import write_tree
from trisite.drivers.secrets import unresolved
from trisite.errors import TrisiteError
from trisite.lab import build as lab_build
from trisite.lab import session as lab_session
from trisite.model import Design, LoadedDesign
from trisite.prove import campaign
from trisite.prove.scenarios import network_scenarios, with_probe
from trisite.render import render
from trisite.report.campaign import campaign_table
from trisite.report.summary import layer_table, site_table
from trisite.report.verify_report import headline, tables, to_json, to_markdown
from trisite.verify.findings import Severity, at_least
from trisite.verify.run import verify

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
) -> None:
    """trisite: one design file in, a verified, deployed and proven platform out."""


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
        problems = unresolved(loaded.design.secrets, loaded.base_dir)
        for line in problems:
            err.print(f"{design}: {line}", markup=False, highlight=False, soft_wrap=True)
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
    out.print(f"{design}: valid: {d.platform.name}, {counts}", highlight=False, soft_wrap=True)


def _count(n: int, word: str) -> str:
    plural = word + ("es" if word.endswith("ch") else "s")
    return f"{n} {word if n == 1 else plural}"


def _show(design: Design) -> None:
    out.print(
        f"[bold]{design.platform.name}[/bold] ({design.platform.domain}, AS{design.platform.asn}), "
        f"availability target {design.platform.availability_target} %"
    )
    print_table(site_table(design))
    print_table(layer_table(design))


@app.command()
def show(design: DesignArg) -> None:
    """Summarise a design per site and per layer."""
    _show(load(design).design)


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
        err.print(f"{output}: cannot write: {exc.strerror}", markup=False, highlight=False)
        raise typer.Exit(EXIT_INVALID) from None


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
        int, typer.Option("--monte-carlo", help="also simulate this many random failure states (seeded)")
    ] = 0,
) -> None:
    """Verify a design: single points of failure, site losses, MAN cuts, N-2, quorum, timers, availability."""
    loaded = load(design)
    try:
        when = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        err.print(f"--today: '{today}' is not a date (YYYY-MM-DD)")
        raise typer.Exit(EXIT_USAGE) from None
    report = verify(
        loaded.design,
        today=when,
        source=loaded.source,
        double=double,
        workers=os.cpu_count() or 1,
        monte_carlo_samples=monte_carlo,
    )

    if output_format is Format.json:
        sys.stdout.write(to_json(report))
    elif output_format is Format.markdown:
        sys.stdout.write(to_markdown(report))
    else:
        out.print(headline(report), highlight=False)
        for table in tables(report):
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
    try:
        artifacts = render(loaded.design)
        write_tree(output, artifacts)
    except TrisiteError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(EXIT_INVALID) from None
    counts = Counter(a.component for a in artifacts)
    summary = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
    out.print(f"{output}: {len(artifacts)} artifacts ({summary})", highlight=False, soft_wrap=True)


class Target(StrEnum):
    lab = "lab"


@app.command("deploy")
def deploy_command(
    design: DesignArg,
    target: Annotated[Target, typer.Option("--target", help="where to deploy (today: the lab)")] = Target.lab,
    name: LabName = "default",
) -> None:
    """Deploy the network layer (filters, routing, virtual addresses) of the design into a running lab."""
    loaded = load(design)
    started = time.perf_counter()
    run = lab_call(lambda: lab_session.deploy(loaded, name, lambda line: out.print(line, highlight=False)))
    out.print(
        f"deployed {len(run.done)} steps into lab {name} ({target}) in {time.perf_counter() - started:.1f} s"
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
) -> None:
    """Run the seed's network failover tests on a deployed lab and print the measured outages."""
    loaded = load(design)
    try:
        scenarios = [
            with_probe(loaded.design, s, probe)
            for s in network_scenarios(loaded.design, seed)
            if only is None or only in s.name
        ]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--probe") from None
    driver = lab_session.driver_for(name, loaded)
    lab_call(lambda: lab_session.wait_ready(loaded, name))  # a fresh deployment is still converging
    results = lab_call(
        lambda: campaign.run(
            loaded.design,
            driver,
            scenarios,
            target=str(target),
            on_event=lambda line: err.print(line, highlight=False),
        )
    )
    print_table(campaign_table(results))
    if not all(r.ok for r in results):
        raise typer.Exit(EXIT_INVALID)


def reference_design() -> Path:
    """The bundled three-site design: from the working directory, else from the source tree."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = root / "examples" / "three-sites" / "design.yaml"
        if candidate.is_file():
            return candidate
    err.print(
        "cannot find examples/three-sites/design.yaml; run from the trisite source tree or pass --design"
    )
    raise typer.Exit(EXIT_USAGE)


@app.command()
def demo(
    design: Annotated[
        Path | None, typer.Option("--design", help="design to use instead of the reference")
    ] = None,
) -> None:
    """Run the main job on the reference design: validate, summarise, verify, and render it into ./out."""
    path = design or reference_design()
    loaded = load(path)
    out.print(f"[green]valid[/green]: {path}")
    _show(loaded.design)
    try:
        artifacts = render(loaded.design)
        write_tree(Path("out"), artifacts)
    except TrisiteError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(EXIT_INVALID) from None
    out.print(
        f"rendered {len(artifacts)} artifacts into out/ (one directory per site and device, plus out/platform)"
    )

    report = verify(loaded.design, today=dt.date.today(), source=loaded.source, workers=os.cpu_count() or 1)
    out.print(headline(report), highlight=False)
    for table in tables(report):
        if table.rows and table.title.startswith(("Findings", "Site losses", "Availability")):
            print_table(table)
    missing = lab_session.missing_tools()
    if missing:
        out.print(
            f"lab skipped: {missing} (run `make demo` as root on Debian 12 to install what the lab needs)"
        )
        return
    _demo_lab(loaded, path)


def _demo_lab(loaded: LoadedDesign, path: Path) -> None:
    """Lab up, deploy, prove, lab down (always), and the seed's table."""
    name = "demo"
    lab_call(lambda: lab_build.down(name))  # a previous demo killed half-way leaves nothing behind
    try:
        started = time.perf_counter()
        lab_call(lambda: lab_session.up(loaded, name, str(path)))
        out.print(f"lab up in {time.perf_counter() - started:.1f} s")
        lab_call(lambda: lab_session.deploy(loaded, name, lambda _: None))
        ready = lab_call(lambda: lab_session.wait_ready(loaded, name))
        out.print(
            f"network deployed; BGP established at every site after {ready:.1f} s; running the failover tests"
        )
        scenarios = network_scenarios(loaded.design)
        results = lab_call(
            lambda: campaign.run(
                loaded.design,
                lab_session.driver_for(name),
                scenarios,
                on_event=lambda line: out.print(f"  {line}", highlight=False),
            )
        )
    finally:
        lab_build.down(name)
    print_table(campaign_table(results))


def main() -> None:

    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
