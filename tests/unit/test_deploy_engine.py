"""The deploy engine on the twin target: the whole platform in the seed's order, journaled, resumable, locked,
drift shown as a diff, saved plans refused when stale, and no secret anywhere it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite import pipelines
from trisite.drivers.journal import Journal
from trisite.drivers.lock import Lock, LockedError
from trisite.drivers.twin import TwinPlatform
from trisite.errors import ExecuteError, PlanError, TrisiteError
from trisite.execute.redact import Redactor, fill_secrets
from trisite.model import load_design
from trisite.plan.platform import platform_plan
from trisite.plan.steps import PHASES, Plan, Step
from trisite.render import render

REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
LOADED = load_design(REFERENCE)
ARTIFACTS = render(LOADED.design)
PLAN = platform_plan(LOADED.design, ARTIFACTS)
CANARY = "canary-Zq7pX2vL"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state root of the test's own, and every secret of the reference set to a canary value."""
    monkeypatch.setattr(pipelines, "STATE_ROOT", tmp_path)
    for name, ref in LOADED.design.secrets.items():
        if ref.env:
            monkeypatch.setenv(ref.env, f"{CANARY}-{name}")
    return tmp_path / LOADED.design.platform.name / "twin"


def test_the_plan_follows_the_seed_order_and_waits_across_sites_only_where_it_must() -> None:
    order = [s.phase for s in PLAN.ordered()]
    assert order == sorted(order, key=PHASES.index)  # every phase after the ones before it
    dc1 = PLAN.by_id["dc1-fw1:filter"]
    assert set(dc1.after) == {
        "dc1-ceph1:bmc",
        "dc1-ceph2:bmc",
        "dc1-cmp1:bmc",
        "dc1-cmp2:bmc",
        "dc1-ops1:bmc",
    } | {
        "dc1-virt1:bmc",
        "dc1-virt2:bmc",
    }  # its own site's BMCs, not dc2's
    bootstrap = PLAN.by_id["ceph/main:bootstrap"]
    assert not bootstrap.idempotent and {"dc1-fw1:temporary-rules", "dc3-fw2:temporary-rules"} <= set(
        bootstrap.after
    )
    assert "kayobe/region-a" in PLAN.by_id["kayobe/region-b"].after  # its Keystone comes from region-a
    assert PLAN.by_id["vfw1:filter"].phase == "first-vms"
    assert PLAN.by_id["dc1-fw1:remove-temporary-rules"].phase == "cleanup"
    dns = PLAN.by_id["dc2-ops1:dns"]  # PowerDNS and its health agent, together
    assert set(dns.services) == {("pdns", "restart"), ("pdns-health", "restart")}
    assert "dc2/dc2-ops1/dns-health/trisite-dns-health" in dns.files


def test_a_cycle_or_an_unknown_dependency_is_refused() -> None:
    a = Step("a", "firewalls", "files", "x", None, after=("b",))
    b = Step("b", "firewalls", "files", "x", None, after=("a",))
    with pytest.raises(PlanError, match="wait on each other"):
        Plan((a, b)).waves()
    with pytest.raises(PlanError, match="unknown steps: c"):
        Plan((Step("a", "firewalls", "files", "x", None, after=("c",)),)).waves()


def test_deploy_then_plan_says_nothing_to_do(state: Path) -> None:
    deployment, outcome = pipelines.deploy_job(LOADED, "twin")
    assert len(outcome.done) == 64 and not outcome.skipped
    # What the twin cannot be (an OPNsense firewall's Linux stand-in) is listed, not skipped silently.
    assert "dc1-fw1:filter" in outcome.not_on_target and "dc1-fw1:api" in outcome.done
    _, changes = pipelines.plan_job(LOADED, "twin")
    assert changes.pending == []
    assert changes.counts() == {"unchanged": 64, "not on this target": 63}
    with Journal(deployment.journal_path) as journal:
        assert journal.check() == "ok"
    platform = TwinPlatform(state / "platform.json")
    assert platform.observe("vfw1", "bootstrap-rules") == ""  # the temporary access is gone
    assert "dc2-fw1:temporary-routes" in outcome.not_on_target  # an OPNsense firewall's: through its API
    assert platform.runs("cephadm/main:bootstrap") == 1


def test_a_rule_added_by_hand_is_drift_shown_in_the_diff_and_deploy_repairs_it(state: Path) -> None:
    pipelines.deploy_job(LOADED, "twin")
    rule = 'add rule inet trisite forward tcp dport 3389 accept comment "by hand"'
    TwinPlatform(state / "platform.json").tamper("vfw1", rule)
    _, changes = pipelines.plan_job(LOADED, "twin")
    (drift,) = changes.pending
    assert (drift.step, drift.action) == ("vfw1:filter", "change")
    assert f"+{rule}" in drift.diff and "drifted" in drift.why
    _, outcome = pipelines.deploy_job(LOADED, "twin")
    assert list(outcome.done) == ["vfw1:filter"]
    assert pipelines.plan_job(LOADED, "twin")[1].pending == []


@pytest.mark.usefixtures("state")
def test_a_second_deployment_is_refused_naming_the_holder() -> None:
    deployment, _ = pipelines.plan_job(LOADED, "twin")
    with Lock(deployment.lock_path, "a colleague's deployment"), pytest.raises(LockedError) as refused:
        pipelines.deploy_job(LOADED, "twin")
    assert "a deployment is already running" in str(refused.value)
    assert refused.value.holder is not None and refused.value.holder.reason == "a colleague's deployment"
    assert "--force-unlock" in str(refused.value)


@pytest.mark.usefixtures("state")
def test_a_saved_plan_is_applied_as_it_was_or_refused_when_stale(tmp_path: Path) -> None:
    deployment, changes = pipelines.plan_job(LOADED, "twin")
    saved = tmp_path / "plan.json"
    from trisite.report import plan as plan_report  # noqa: PLC0415 - the report stage writes the file

    saved.write_text(plan_report.to_json(changes, design_hash=deployment.design_hash, target="twin"))
    other = json.loads(saved.read_text())
    other["design"] = "0" * 16
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(TrisiteError, match="stale: the design changed"):
        pipelines.deploy_job(LOADED, "twin", saved_plan=tmp_path / "other.json")
    pipelines.deploy_job(LOADED, "twin", saved_plan=saved)
    with pytest.raises(TrisiteError, match="stale: the target changed"):  # it has been applied since
        pipelines.deploy_job(LOADED, "twin", saved_plan=saved)


def test_no_secret_reaches_the_journal_logs_or_plans(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipelines.deploy_job(LOADED, "twin")
    platform = TwinPlatform(state / "platform.json")
    restic = platform.get("dc1-ceph1", "/etc/trisite/restic/vm-disks.env") or ""
    assert f"{CANARY}-backup-repo" in restic  # the secrets did reach the (simulated) devices...
    written = [p for p in state.rglob("*") if p.is_file() and p.name != "platform.json"]
    assert any(p.suffix == ".log" for p in written)
    for path in written:  # ...and nothing else: journal (and its WAL), step logs
        assert CANARY.encode() not in path.read_bytes(), path
    TwinPlatform(state / "platform.json").tamper("vfw1", f"# password {CANARY}-bgp-md5")  # a secret, by hand
    _, changes = pipelines.plan_job(LOADED, "twin")
    (drift,) = changes.pending
    assert "+# password ${secret:bgp-md5}" in drift.diff and CANARY not in drift.diff
    assert CANARY not in capsys.readouterr().out


def test_redaction_puts_placeholders_back() -> None:
    secrets = Redactor(["a", "b"], {"a": "s3cret", "b": "s3cret-longer"}.__getitem__)
    text = fill_secrets("x ${secret:a} y ${secret:b}", {"a": "s3cret", "b": "s3cret-longer"}.__getitem__)
    assert secrets(text) == "x ${secret:a} y ${secret:b}"


def test_an_interrupted_step_that_must_not_run_twice_is_not_run_blind(state: Path) -> None:
    deployment, _ = pipelines.plan_job(LOADED, "twin")
    with Journal(deployment.journal_path) as journal:  # as a crash right after its start would leave it
        run = journal.begin("x", "twin", 1, "here")
        journal.record(run, "ceph/main:bootstrap", "whatever", "started")
    _, outcome = pipelines.deploy_job(LOADED, "twin")  # the twin's tool says it never ran: it runs, once
    assert "ceph/main:bootstrap" in outcome.done
    assert TwinPlatform(state / "platform.json").runs("cephadm/main:bootstrap") == 1


@pytest.mark.usefixtures("state")
def test_a_target_that_cannot_tell_makes_the_operator_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    deployment, _ = pipelines.plan_job(LOADED, "twin")
    with Journal(deployment.journal_path) as journal:
        run = journal.begin("x", "twin", 1, "here")
        journal.record(run, "ceph/main:bootstrap", "whatever", "started")
    monkeypatch.delattr(TwinPlatform, "runs")
    with pytest.raises(ExecuteError, match="--mark-done ceph/main:bootstrap or --redo"):
        pipelines.deploy_job(LOADED, "twin")
    answers = pipelines.engine.Answers(mark_done=frozenset({"ceph/main:bootstrap"}))
    _, outcome = pipelines.deploy_job(LOADED, "twin", answers=answers)
    assert "ceph/main:bootstrap" in outcome.done


@pytest.mark.usefixtures("state")
def test_temporary_routes_and_accounts_come_and_go_on_linux_firewalls(tmp_path: Path) -> None:
    linux = tmp_path / "linux"
    linux.mkdir()
    for source in REFERENCE.parent.rglob("*"):
        if source.is_file():
            target = linux / source.relative_to(REFERENCE.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read_text().replace("platform: opnsense", "platform: linux"))
    loaded = load_design(linux / "design.yaml")
    deployment, outcome = pipelines.deploy_job(loaded, "twin")
    assert {
        "dc2-fw1:temporary-routes",
        "dc2-fw1:remove-temporary-routes",
        "dc2-fw1:temporary-routes-gone",
    } <= set(outcome.done)
    logs = deployment.target.state_dir / "logs" / f"run-{outcome.run}"
    assert (
        "ip route replace 198.18.1.0/24 via 198.18.255.1"
        in (logs / "dc2-fw1_temporary-routes.log").read_text()
    )
    assert "useradd --no-create-home" in (logs / "dc2-fw1_temporary-accounts.log").read_text()
    platform = TwinPlatform(deployment.target.state_dir / "platform.json")
    assert "198.18.1.0/24" not in platform.observe("dc2-fw1", "routes")
    assert "bootstrap:" not in platform.observe("dc2-fw1", "accounts")
    assert platform.observe("dc2-fw1", "bootstrap-rules") == ""
