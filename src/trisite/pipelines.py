"""Whole jobs that chain the stages (the demo, a lab campaign), for the CLI, tests and library users alike.

A job tells what it has to say through `say` (a line or a table, printed by whoever calls it) and raises a
`TrisiteError` when a stage fails; it never prints and never exits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import cast

from trisite.check.reality import Reality
from trisite.check.result import CheckReport
from trisite.check.run import run as run_checks
from trisite.drivers.files import write_tree
from trisite.drivers.journal import Journal
from trisite.drivers.lock import force_unlock
from trisite.drivers.protocols import BmcInspectDriver, FlowScanDriver, ThroughputDriver
from trisite.drivers.secrets import reveal, reveal_or_make
from trisite.drivers.targets import SiteAccess, Target
from trisite.drivers.twin import TwinPlatform
from trisite.errors import LabError, TrisiteError, UsageError
from trisite.execute import engine
from trisite.lab import build as lab_build
from trisite.lab import session as lab_session
from trisite.model import Design, Index, LoadedDesign, load_design
from trisite.plan.diff import PlanDiff, stale
from trisite.prove import campaign, experiments, injected
from trisite.prove.catalog import campaign_catalog, select
from trisite.prove.scenarios import Scenario, network_scenarios, site_mesh, with_probe
from trisite.render import render
from trisite.report import campaign as campaign_report
from trisite.report import campaign_html
from trisite.report.campaign import campaign_table
from trisite.report.summary import layer_table, site_table
from trisite.report.table import Table
from trisite.report.verify_report import headline, tables
from trisite.verify.run import verify

Say = Callable[[str | Table], None]
DEMO_LAB = "demo"
# The verify tables the demo shows (the full set is `trisite verify`'s).
DEMO_TABLES = ("Findings", "Site losses", "Availability")
TARGETS = ("twin", "lab", "site")
# Where journals, locks and the twin's simulated platform live (the lab's live with the lab).
STATE_ROOT = Path(os.environ.get("TRISITE_STATE", Path.home() / ".local" / "state" / "trisite"))


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
        deploy_job(loaded, "lab", lab=DEMO_LAB)
        ready = lab_session.wait_ready(loaded, DEMO_LAB)
        say(
            f"network deployed; BGP established at every site after {ready:.1f} s; running the failover tests"
        )
        result = campaign.run(
            loaded.design,
            lab_session.driver_for(DEMO_LAB),
            network_scenarios(loaded.design),
            on_event=lambda event: say(f"  {event}") if event.phase in campaign.FINISHED else None,
        )
    finally:
        lab_build.down(DEMO_LAB)
    say(campaign_table(result))
    return result


def campaign_scenarios(
    loaded: LoadedDesign,
    *,
    only: str | None = None,
    seed: int = 0,
    probe: str = "icmp",
    scenarios_dir: Path | None = None,
) -> list[Scenario]:
    """The campaign's rows: the seed's 21 from the design (or the edited files of `scenarios_dir`), probed with
    `probe` where that applies, those whose name contains `only`."""
    rows = experiments.read(scenarios_dir) if scenarios_dir else campaign_catalog(loaded.design, seed)
    try:
        rows = [with_probe(loaded.design, s, probe) if s.lab == "measured" else s for s in rows]
    except ValueError as exc:
        raise UsageError(f"--probe: {exc}") from None
    chosen = select(rows, only)
    if not chosen:
        raise UsageError(f"-k: no scenario's name contains {only!r}")
    return chosen


def prove_lab(
    loaded: LoadedDesign,
    lab: str,
    on_event: Callable[[str], None],
    *,
    only: str | None = None,
    seed: int = 0,
    probe: str = "icmp",
) -> campaign.Campaign:
    """The campaign's rows on a deployed lab (kept for library users; the twin's rows are predicted)."""
    rows = campaign_scenarios(loaded, only=only, seed=seed, probe=probe)
    return prove_job(loaded, "lab", rows, lambda event: on_event(str(event)), lab=lab)


def prove_job(
    loaded: LoadedDesign,
    kind: str,
    scenarios: list[Scenario],
    on_event: Callable[[campaign.Event], None],
    *,
    lab: str = "default",
) -> campaign.Campaign:
    """The campaign on a target: the twin predicts every row; the lab first mends what a killed campaign left
    injected (its journal says what, `on_event` says so), waits for the network to converge, then measures
    the rows it can inject and takes the twin's prediction for the others, each row saying which."""
    digest = hashlib.sha256(loaded.design.model_dump_json().encode()).hexdigest()
    if kind == "twin":
        return campaign.run(
            loaded.design, None, scenarios, target="twin", design_sha256=digest, on_event=on_event
        )
    if kind != "lab":
        raise UsageError(f"--target: prove runs on the twin or the lab today, not {kind!r}")
    if lab_build.load_state(lab) is None:
        raise LabError(f"lab {lab} is not up: `trisite lab up` and `trisite deploy --target lab` first")
    driver = lab_session.driver_for(lab, loaded)
    state = lab_session.lab_dir(lab)
    left = injected.recover(driver, state)  # before anything else: the platform back to its steady state
    if left:
        on_event(campaign.Event(0, len(scenarios), left.scenario, "recovered", ", ".join(left.components)))
    lab_session.wait_ready(loaded, lab)  # a fresh deployment (or a mended one) is still converging
    result = campaign.run(
        loaded.design,
        driver,
        scenarios,
        target="lab",
        state=state,
        design_sha256=digest,
        on_event=on_event,
        vantages=site_mesh(loaded.design),  # what each site sees of the others through every row
    )
    return replace(result, recovered=left.components if left else ())


def write_campaign(result: campaign.Campaign, out_dir: Path, version: str) -> list[Path]:
    """The campaign's report files: campaign.json (the journal), junit.xml, campaign.md, campaign.html."""
    files = {
        "campaign.json": campaign_report.to_json(result, version),
        "junit.xml": campaign_report.to_junit(result),
        "campaign.md": campaign_report.to_markdown(result),
        "campaign.html": campaign_html.to_html(result, version),
    }
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out_dir / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{out_dir}: cannot write the report: {exc.strerror or exc}") from None
    return [out_dir / name for name in files]


# -- deployment: one registry of targets, one engine for all of them ----------------------------------------------
@contextmanager
def open_target(
    kind: str, loaded: LoadedDesign, lab: str = "default", *, site: SiteAccess | None = None
) -> Iterator[tuple[Target, Callable[[str], str]]]:
    """The target of that kind for this design, and how it reads secrets."""
    if kind == "twin":
        state = STATE_ROOT / loaded.design.platform.name / "twin"
        platform = TwinPlatform(state / "platform.json")
        secrets = loaded.design.secrets

        def invented(name: str) -> str:  # the twin is no real platform: unset secrets get stand-ins
            return reveal_or_make(
                name, secrets[name], loaded.base_dir, state / "secrets", allowed=loaded.allowed
            )

        yield Target("twin", platform, state, bmcs=platform, tools=platform, apis=platform), invented
    elif kind == "lab":
        driver = lab_session.driver_for(lab, loaded)
        try:
            yield lab_session.target(lab, driver), lab_session.secret_reader(loaded, lab)
        finally:
            lab_session.record(lab, driver)
    elif kind == "site":
        # The site drivers bring asyncssh and sushy (0.3 s to import): only a site deployment pays for them.
        from trisite.drivers.site import site_target  # noqa: PLC0415

        state = STATE_ROOT / loaded.design.platform.name / "site"
        strict = _strict(loaded)
        target = site_target(loaded.design, render(loaded.design), state, strict, site or SiteAccess())
        try:
            yield target, strict
        finally:
            close = getattr(target.devices, "close", None)  # the SSH driver's connections
            if callable(close):
                close()
    else:
        raise UsageError(f"--target: {kind!r} is not one of {', '.join(TARGETS)}")


def _strict(loaded: LoadedDesign) -> Callable[[str], str]:
    return lambda name: reveal(name, loaded.design.secrets[name], loaded.base_dir, allowed=loaded.allowed)


def plan_job(
    loaded: LoadedDesign, kind: str, lab: str = "default", *, site: SiteAccess | None = None
) -> tuple[engine.Deployment, PlanDiff]:
    """What deploying the design on the target would do now, step by step, with the diffs."""
    with open_target(kind, loaded, lab, site=site) as (target, secrets):
        deployment = engine.prepare(loaded.design, target, secrets)
        return deployment, engine.changes(deployment)


def deploy_job(
    loaded: LoadedDesign,
    kind: str,
    *,
    lab: str = "default",
    saved_plan: Path | None = None,
    unlock: bool = False,
    answers: engine.Answers | None = None,
    site: SiteAccess | None = None,
    on_event: engine.Event = lambda *_: None,
) -> tuple[engine.Deployment, engine.Outcome]:
    """Deploy the design on the target, all that is pending or exactly what a saved plan said."""
    with open_target(kind, loaded, lab, site=site) as (target, secrets):
        deployment = engine.prepare(loaded.design, target, secrets)
        if unlock:
            force_unlock(deployment.lock_path)
        only = _checked_plan(saved_plan, deployment, kind) if saved_plan else None
        return deployment, engine.deploy(
            deployment, on_event=on_event, only=only, answers=answers or engine.Answers()
        )


def _checked_plan(path: Path, deployment: engine.Deployment, kind: str) -> set[str]:
    """The steps of a saved plan, once it is shown to still hold."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the saved plan: {exc}") from None
    if not isinstance(saved, dict):
        raise UsageError(f"{path}: not a saved plan (trisite plan -o)")
    reason = stale(saved, design_hash=deployment.design_hash, target=kind, now=engine.changes(deployment))
    if reason:
        raise TrisiteError(
            f"{path}: the saved plan is stale: {reason}; make a new one with `trisite plan -o`"
        )
    return {str(c["step"]) for c in saved.get("changes", []) if c.get("action") in ("create", "change")}


# -- acceptance: what was delivered, compared with the design -----------------------------------------------------
def check_job(
    loaded: LoadedDesign,
    kind: str,
    categories: Sequence[str] = (),
    *,
    lab: str = "default",
    site: SiteAccess | None = None,
    bmc_timeout: float = 3.0,
) -> CheckReport:
    """Read the target's reality through its drivers and compare it with the design, category by category."""
    if kind == "lab" and lab_build.load_state(lab) is None:
        raise LabError(f"lab {lab} is not up: `trisite lab up` first (with --defect to check those)")
    with _reading(kind, loaded, lab, site) as target:
        inspects = "inspect:bmc" in target.capabilities
        bmcs = target.bmcs if target.bmcs is not None else target.devices
        reality = Reality(
            target.devices,
            cast(BmcInspectDriver, bmcs) if inspects else None,
            target.capabilities,
            bmc_timeout=bmc_timeout,
            scanner=cast(FlowScanDriver, target.devices) if "scan:flows" in target.capabilities else None,
            meter=cast(ThroughputDriver, target.devices)
            if "measure:throughput" in target.capabilities
            else None,
            journal=_journaled(target),
        )
        return run_checks(loaded.design, reality, categories, name=loaded.design.platform.name, target=kind)


def _journaled(target: Target) -> dict[str, str]:
    """Each deployment step's last journaled state (the flow check reads whether the temporary rules went)."""
    path = target.state_dir / "journal.sqlite"
    if not path.exists():
        return {}
    with Journal(path) as journal:
        return {step: record.state for step, record in journal.latest().items()}


@contextmanager
def _reading(kind: str, loaded: LoadedDesign, lab: str, site: SiteAccess | None) -> Iterator[Target]:
    """The target to read reality from. A site needs only its BMCs' Redfish documents rendered, not the rest
    of the platform's configuration (a check runs before anything is deployed)."""
    if kind != "site":
        with open_target(kind, loaded, lab, site=site) as (target, _):
            yield target
        return
    from trisite.drivers.site import site_target  # noqa: PLC0415 - asyncssh and sushy only where needed
    from trisite.render import redfish  # noqa: PLC0415

    state = STATE_ROOT / loaded.design.platform.name / "site"
    documents = redfish.render(loaded.design, Index.of(loaded.design))
    target = site_target(loaded.design, documents, state, _strict(loaded), site or SiteAccess())
    try:
        yield target
    finally:
        close = getattr(target.devices, "close", None)
        if callable(close):
            close()
