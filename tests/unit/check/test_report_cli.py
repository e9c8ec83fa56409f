"""The check's report (table, JSON, JUnit) and command line: exit codes, categories, the twin's skips."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.unit.check.fakes import Bmcs, Delivered, reality
from tests.unit.cli.conftest import Cli
from trisite import pipelines
from trisite.check.run import run
from trisite.model import Design
from trisite.report import check as check_report

REFERENCE = str(EXAMPLES / "three-sites" / "design.yaml")


def test_junit_has_one_testcase_per_check_and_a_failure_per_mismatch(reference: Design) -> None:
    delivered, cards = Delivered(reference), Bmcs(reference)
    delivered.ports["dc2-sw1"]["swp49"]["mtu"] = 1500
    cards.hung.add("dc3-ops1")
    report = run(reference, reality(delivered, cards), ["links", "bmcs"], name="ref", target="lab")
    assert not report.ok and len(report.failures) == 2
    root = ET.fromstring(check_report.to_junit(report))  # noqa: S314 - our own output
    cases = root.findall(".//testcase")
    assert len(cases) == sum(len(c.checks) for c in report.categories)
    failures = root.findall(".//failure")
    assert sorted(f.get("type") or "" for f in failures) == ["hangs", "mtu"]
    assert all("fix: " in (f.text or "") for f in failures)
    document = json.loads(check_report.to_json(report))
    assert [c["category"] for c in document["categories"]] == ["links", "bmcs"]
    assert document["ok"] is False
    titles = [t.title for t in check_report.tables(report)]
    assert titles[0].startswith("links: ") and "match" in titles[0]


def test_twin_target_skips_what_it_cannot_observe_and_exits_0(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipelines, "STATE_ROOT", tmp_path)
    done = cli("check", REFERENCE, "--target", "twin", "--format", "json")
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    assert {c["status"] for cat in document["categories"] for c in cat["checks"]} == {"skip"}


def test_an_unknown_category_is_a_usage_error(cli: Cli) -> None:
    done = cli("check", REFERENCE, "--target", "twin", "-k", "plumbing")
    assert done.code == 2
    assert (
        done.stderr.strip() == "-k: unknown category 'plumbing'; known: cabling, links, bmcs, routing, flows"
    )


def test_a_lab_that_is_not_up_is_one_line(cli: Cli) -> None:
    done = cli("check", REFERENCE, "--target", "lab", "--lab", "no-such-lab")
    assert done.code == 4
    assert done.stderr.startswith("lab no-such-lab is not up")


def test_junit_parses_with_junitparser_one_case_per_check(reference: Design) -> None:
    """What CI systems read JUnit with: every check a case of its category's suite, its status kept."""
    junitparser = pytest.importorskip("junitparser")  # a dev extra; CI installs it
    delivered, cards = Delivered(reference), Bmcs(reference)
    delivered.ports["dc2-sw1"]["swp49"]["mtu"] = 1500
    report = run(reference, reality(delivered, cards), ["links", "bmcs", "flows"], name="ref", target="lab")
    xml = junitparser.JUnitXml.fromstring(check_report.to_junit(report))
    suites = {suite.name: suite for suite in xml}
    assert list(suites) == ["links", "bmcs", "flows"]
    for category in report.categories:
        suite = suites[category.category]
        cases = list(suite)
        assert [c.name for c in cases] == [c.subject for c in category.checks]
        assert suite.tests == len(category.checks) and suite.failures == sum(
            c.status == "fail" for c in category.checks
        )
        for case, check in zip(cases, category.checks, strict=True):
            kinds = {type(r).__name__ for r in case.result}
            assert kinds == {"pass": set(), "fail": {"Failure"}, "skip": {"Skipped"}}[check.status]
    mismatch = next(c for c in suites["links"] if c.result)
    assert mismatch.result[0].type == "mtu" and "fix: set MTU" in (mismatch.result[0].text or "")
