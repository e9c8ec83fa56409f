"""`trisite prove`: the failover campaign on a target, its scenario files, and its report."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import trisite
from trisite import pipelines
from trisite.cli.common import DesignArg, LabName, load, note, print_table
from trisite.cli.deploy import Target
from trisite.cli.progress import CampaignProgress
from trisite.errors import EXIT_INVALID, UsageError
from trisite.prove import experiments
from trisite.prove.scenarios import Scenario
from trisite.report import campaign as campaign_report


class ProveFormat(StrEnum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


VERSION = str(trisite.__version__)


def prove_command(
    design: DesignArg,
    target: Annotated[
        Target, typer.Option("--target", help="twin (predicted) or lab (measured)")
    ] = Target.lab,
    name: LabName = "default",
    only: Annotated[
        str | None, typer.Option("-k", "--only", help="run the scenarios whose name or key contains this")
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="draws the random port; the same seed, the same port")
    ] = 0,
    probe: Annotated[
        str,
        typer.Option(
            "--probe",
            help="icmp, tcp:PORT, udp:PORT (a reset or port-unreachable answers) or http:PORT (a 200 answers)",
        ),
    ] = "icmp",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", file_okay=False, help="write campaign.json, junit.xml, .md and .html here"
        ),
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option(
            "--scenarios", exists=True, file_okay=False, help="run the (edited) scenario files here"
        ),
    ] = None,
    write_scenarios: Annotated[
        Path | None,
        typer.Option("--write-scenarios", file_okay=False, help="write the scenario files (YAML) and stop"),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export-chaostoolkit", file_okay=False, help="write Chaos Toolkit experiments and stop"
        ),
    ] = None,
    output_format: Annotated[
        ProveFormat, typer.Option("--format", help="rich (terminal), json or markdown")
    ] = ProveFormat.rich,
) -> None:
    """Run the seed's failover campaign (21 rows): measured on a deployed lab where it injects the fault,
    predicted by the twin elsewhere, each row saying which; exit 1 when a row is Not ok."""
    loaded = load(design)
    rows = pipelines.campaign_scenarios(loaded, only=only, seed=seed, probe=probe, scenarios_dir=scenarios)
    if write_scenarios or export:
        _write(rows, write_scenarios, export)
        return
    with CampaignProgress(len(rows)) as progress:
        result = pipelines.prove_job(loaded, str(target), rows, progress, lab=name)
    if output is not None:
        written = pipelines.write_campaign(result, output, VERSION)
        note(f"report: {', '.join(str(p) for p in written)}")
    if output_format is ProveFormat.json:
        sys.stdout.write(campaign_report.to_json(result, VERSION))
    elif output_format is ProveFormat.markdown:
        sys.stdout.write(campaign_report.to_markdown(result))
    else:
        print_table(campaign_report.campaign_table(result))
        note(campaign_report.headline(result))
    if not result.ok:
        raise typer.Exit(EXIT_INVALID)


def _write(rows: list[Scenario], yaml_dir: Path | None, ctk_dir: Path | None) -> None:
    try:
        for directory, chaostoolkit in ((yaml_dir, False), (ctk_dir, True)):
            if directory is not None:
                written = experiments.write(directory, rows, chaostoolkit=chaostoolkit)
                note(f"{directory}: {len(written)} scenario files")
    except OSError as exc:
        raise UsageError(f"cannot write the scenario files: {exc.strerror or exc}") from None
