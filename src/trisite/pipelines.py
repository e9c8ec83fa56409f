"""Whole jobs that chain the stages (the demo, a lab campaign), for the CLI, tests and library users alike.

A job tells what it has to say through `say` (a line or a table, printed by whoever calls it) and raises a
`TrisiteError` when a stage fails; it never prints and never exits.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

from trisite.drivers.files import write_tree
from trisite.errors import UsageError
from trisite.lab import build as lab_build
from trisite.lab import session as lab_session
from trisite.model import Design, LoadedDesign, load_design
from trisite.prove import campaign
from trisite.prove.scenarios import network_scenarios, with_probe
from trisite.render import render
from trisite.report.campaign import campaign_table
from trisite.report.summary import layer_table, site_table
from trisite.report.table import Table
from trisite.report.verify_report import headline, tables
from trisite.verify.run import verify

Say = Callable[[str | Table], None]
DEMO_LAB = "demo"
# The verify tables the demo shows (the full set is `trisite verify`'s).
DEMO_TABLES = ("Findings", "Site losses", "Availability")


def reference_design(start: Path | None = None) -> Path:
    """The bundled three-site design: from the working directory, else from the source tree."""
    for root in (start or Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = root / "examples" / "three-sites" / "design.yaml"
        if candidate.is_file():
            return candidate
    raise UsageError(
        "cannot find examples/three-sites/design.yaml; run from the trisite source tree or pass --design"
    )


def summary(design: Design, say: Say) -> None:
    p = design.platform
    say(f"{p.name} ({p.domain}, AS{p.asn}), availability target {p.availability_target} %")
    say(site_table(design))
    say(layer_table(design))


def demo(path: Path, out_dir: Path, say: Say, *, today: dt.date | None = None) -> None:
    """The main job on one design: validate, summarise, render, verify, then (as root, with the lab's
    tools) lab up, deploy, the seed's network failover tests, lab down."""
    loaded = load_design(path)
    say(f"valid: {path}")
    summary(loaded.design, say)
    artifacts = render(loaded.design)
    write_tree(out_dir, artifacts)
    say(
        f"rendered {len(artifacts)} artifacts into {out_dir}/ (one directory per site and device, plus platform/)"
    )
    report = verify(
        loaded.design, today=today or dt.date.today(), source=loaded.source, workers=os.cpu_count() or 1
    )
    say(headline(report))
    for table in tables(report):
        if table.rows and table.title.startswith(DEMO_TABLES):
            say(table)
    missing = lab_session.missing_tools()
    if missing:
        say(f"lab skipped: {missing} (run `make demo` as root on Debian 12 to install what the lab needs)")
        return
    demo_lab(loaded, path, say)


def demo_lab(loaded: LoadedDesign, path: Path, say: Say) -> campaign.Campaign:
    """Lab up, deploy, prove, lab down (always, also when interrupted), and the seed's table."""
    lab_build.down(DEMO_LAB)  # a previous demo killed half-way leaves nothing behind
    try:
        started = time.perf_counter()
        lab_session.up(loaded, DEMO_LAB, str(path))
        say(f"lab up in {time.perf_counter() - started:.1f} s")
        lab_session.deploy(loaded, DEMO_LAB, lambda _: None)
        ready = lab_session.wait_ready(loaded, DEMO_LAB)
        say(
            f"network deployed; BGP established at every site after {ready:.1f} s; running the failover tests"
        )
        result = campaign.run(
            loaded.design,
            lab_session.driver_for(DEMO_LAB),
            network_scenarios(loaded.design),
            on_event=lambda line: say(f"  {line}"),
        )
    finally:
        lab_build.down(DEMO_LAB)
    say(campaign_table(result))
    return result


def prove_lab(
    loaded: LoadedDesign,
    lab: str,
    on_event: Callable[[str], None],
    *,
    only: str | None = None,
    seed: int = 0,
    probe: str = "icmp",
    target: str = "lab",
) -> campaign.Campaign:
    """The seed's network failover tests on a deployed lab, measured; `only` filters them by name."""
    try:
        scenarios = [
            with_probe(loaded.design, s, probe)
            for s in network_scenarios(loaded.design, seed)
            if only is None or only in s.name
        ]
    except ValueError as exc:
        raise UsageError(f"--probe: {exc}") from None
    if not scenarios:
        raise UsageError(f"--only: no test name contains {only!r}")
    driver = lab_session.driver_for(lab, loaded)
    lab_session.wait_ready(loaded, lab)  # a fresh deployment is still converging
    return campaign.run(loaded.design, driver, scenarios, target=target, on_event=on_event)
