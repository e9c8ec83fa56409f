"""`trisite prove` without a lab: the twin target, its report files, the scenario files, one row by name."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import EXAMPLES
from tests.unit.cli.conftest import Cli

REFERENCE = str(EXAMPLES / "three-sites" / "design.yaml")


def test_prove_on_the_twin_writes_the_four_report_files(cli: Cli, tmp_path: Path) -> None:
    result = cli("prove", REFERENCE, "--target", "twin", "-o", str(tmp_path / "report"))
    assert result.code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == [
        "campaign.html",
        "campaign.json",
        "campaign.md",
        "junit.xml",
    ]
    journal = json.loads((tmp_path / "report" / "campaign.json").read_text(encoding="utf-8"))
    assert (
        len(journal["results"]) == 21 and journal["target"] == "twin" and len(journal["design_sha256"]) == 64
    )
    assert "21/21 rows Ok on the twin" in result.stderr


def test_scenario_files_are_written_edited_and_one_is_run_by_name(cli: Cli, tmp_path: Path) -> None:
    written = cli("prove", REFERENCE, "--write-scenarios", str(tmp_path / "sc"))
    assert written.code == 0, written.output
    files = sorted((tmp_path / "sc").glob("*.yaml"))
    assert len(files) == 21 and files[-1].name == "21-an-excavator-cuts-man-link-man-23.yaml"
    files[-1].write_text(
        files[-1].read_text(encoding="utf-8").replace("title: An excavator", "title: A digger"),
        encoding="utf-8",
    )
    ran = cli("prove", REFERENCE, "--target", "twin", "--scenarios", str(tmp_path / "sc"), "-k", "digger")
    assert ran.code == 0, ran.output
    assert "A digger cuts MAN link man-23" in ran.output and "Loss of the internet" not in ran.output


def test_the_chaos_toolkit_export_is_json(cli: Cli, tmp_path: Path) -> None:
    result = cli("prove", REFERENCE, "--export-chaostoolkit", str(tmp_path / "ctk"), "-k", "godzilla")
    assert result.code == 0, result.output
    (path,) = (tmp_path / "ctk").glob("*.json")
    assert json.loads(path.read_text(encoding="utf-8"))["title"].startswith("Godzilla attack on dc1")


def test_minus_k_that_matches_nothing_is_a_usage_error(cli: Cli) -> None:
    result = cli("prove", REFERENCE, "--target", "twin", "-k", "no-such-row")
    assert result.code == 2 and "-k: no scenario's name contains 'no-such-row'" in result.stderr
