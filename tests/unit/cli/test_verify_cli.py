"""`trisite verify`: output formats with a stable JSON schema, and the --fail-on exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import EXAMPLES
from tests.unit.cli.conftest import Cli

REFERENCE = str(EXAMPLES / "three-sites" / "design.yaml")
ARGS = ["verify", REFERENCE, "--today", "2026-11-25", "--no-double"]


def test_json_schema_is_stable(cli: Cli) -> None:
    result = cli(*ARGS, "--format", "json")
    assert result.code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "schema",
        "design",
        "target_percent",
        "budget_s",
        "meets_target",
        "misses_because",
        "findings",
        "sweeps",
        "availability",
    }
    assert doc["schema"] == 2 and doc["meets_target"] is True and doc["misses_because"] == []
    assert set(doc["sweeps"]) == {"components", "classes", "single", "sites", "man_cuts", "double"}
    site = doc["sweeps"]["sites"][0]
    assert site["failed"] == ["site:dc1"]
    assert site["services"]["internet/public"]["status"] == "degraded"
    assert {"service", "downtime_s", "percent", "counts_for_verdict"} <= set(doc["availability"][0])


def test_markdown_report(cli: Cli) -> None:

    result = cli(*ARGS, "--format", "markdown")
    assert result.code == 0
    assert result.stdout.startswith("# Verification of trisite-ref")
    assert "## Site losses" in result.stdout and "| site:dc2 |" in result.stdout


def test_fail_on_sets_the_exit_code(cli: Cli, tmp_path: Path) -> None:
    flawed = tmp_path / "design"
    flawed.mkdir()
    for f in (EXAMPLES / "three-sites").iterdir():
        (flawed / f.name).write_text(
            f.read_text(encoding="utf-8").replace('kubernetes: "1.36.1"', 'kubernetes: "1.31.4"'),
            encoding="utf-8",
        )
    path = str(flawed / "design.yaml")
    assert cli("verify", path, "--today", "2026-11-25", "--no-double").code == 1
    assert cli("verify", path, "--today", "2026-11-25", "--no-double", "--fail-on", "never").code == 0
    assert cli("verify", path, "--today", "yesterday").code == 2


def test_rich_view_says_what_survives(cli: Cli) -> None:
    result = cli(*ARGS)
    assert result.code == 0
    assert "meets the 99.999 % target" in result.output
    assert "Site losses" in result.output and "Single failures (N-1)" in result.output


def test_headline_json_and_exit_code_give_one_verdict(cli: Cli, tmp_path: Path) -> None:
    """A quorum on one site is within the availability budget (its VMs restart elsewhere) yet a critical flaw:
    the headline said "meets the target" above the finding that said otherwise."""
    flawed = tmp_path / "design"
    shutil.copytree(EXAMPLES / "three-sites", flawed)
    text = (flawed / "design.yaml").read_text(encoding="utf-8")
    old = "{name: k8s-cp2, cluster: main, preferred_host: dc2-virt2,"
    assert text.count(old) == 1
    (flawed / "design.yaml").write_text(
        text.replace(old, old.replace("dc2-virt2", "dc1-virt1")), encoding="utf-8"
    )
    args = ["verify", str(flawed / "design.yaml"), "--today", "2026-11-25", "--no-double"]
    rich = cli(*args)
    assert rich.code == 1
    assert "MISSES (2 critical findings) the 99.999 % target" in rich.output, rich.output
    doc = json.loads(cli(*args, "--format", "json").stdout)
    assert doc["meets_target"] is False
    assert doc["misses_because"] == [
        "OBJECTIVE-SITE-LOSS kubernetes/core/api",  # its etcd VMs restart on another site: 360 s
        "QUORUM-SPREAD kubernetes[core].etcd",
    ]
    assert not [
        a for a in doc["availability"] if a["counts_for_verdict"] and a["downtime_s"] > doc["budget_s"]
    ]
