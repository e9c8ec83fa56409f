"""The campaign's report files: JUnit a JUnit parser reads, the JSON journal, Markdown, and one HTML file that
needs no network and that a browser shows with its table and timelines."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped

from tests.unit.report.png import colours
from trisite.prove.campaign import Campaign
from trisite.report import campaign as report
from trisite.report.campaign_html import to_html

OK_CELL, PROBE_ANSWERED, PROBE_LOST = (0xE8, 0xF5, 0xE9), (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)


def test_the_junit_file_loads_with_junitparser_one_testcase_per_row(
    lab_campaign: Campaign, tmp_path: Path
) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(report.to_junit(lab_campaign), encoding="utf-8")
    cases = [case for suite in JUnitXml.fromfile(str(path)) for case in suite]
    assert len(cases) == 21
    failed = [c.name for c in cases if any(isinstance(r, Failure) for r in c.result)]
    skipped = [c.name for c in cases if any(isinstance(r, Skipped) for r in c.result)]
    assert failed == ["Loss of MAN link man-12"]  # measured 6.0 s against a bound of 1.45 s
    assert len(skipped) == 19  # predicted by the twin on a lab target: said, not passed silently


def test_the_json_is_the_journal(lab_campaign: Campaign) -> None:
    journal = json.loads(report.to_json(lab_campaign, "1.2.3"))
    assert journal["trisite"] == "1.2.3" and journal["design_sha256"] == "ab" * 32
    first = journal["results"][0]
    assert first["obtained"] == "measured" and first["measured_s"] == 0.28
    assert first["moments"]["fault"] == "2026-11-30T00:53:22.000+00:00"
    assert first["moments"]["recovered"] == "2026-11-30T00:53:22.280+00:00"
    assert len(first["history"]) == 850 and first["history"][100] == [2.0, False]
    assert all(r["controls"] for r in journal["results"])
    assert {r["obtained"] for r in journal["results"]} == {"measured", "twin"}


def test_the_table_and_markdown_print_no_raw_float(lab_campaign: Campaign) -> None:
    text = report.to_markdown(lab_campaign)
    assert "| row | expected | measured outage | prediction | result | how obtained |" in text
    assert not re.search(r"\d\.\d{3,}", text), re.findall(r"\S*\d\.\d{3,}\S*", text)
    assert "| Loss of the internet line at dc1 | <= 1.60 s" in text  # 0.40 s predicted with the lab's profile


def test_the_html_needs_no_network(lab_campaign: Campaign) -> None:
    html = to_html(lab_campaign, "1.2.3")
    assert not re.search(r"https?://", html)
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|@import|url\(", html)


def test_the_html_holds_the_table_a_timeline_and_a_picture_per_row(lab_campaign: Campaign) -> None:
    html = to_html(lab_campaign, "1.2.3")
    assert html.count('<table id="campaign-table">') == 1 and html.count("<tr>") >= 2 * 21
    assert html.count('<svg class="timeline"') == 21 and html.count('<svg class="topology"') == 21
    assert "fault 00:53:22.000" in html and "recovered 00:53:22.280" in html
    assert 'stroke-dasharray="6 4"' in html  # the cut link, marked


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("TRISITE_REQUIRE_TOOLS") == "1":
            pytest.fail("chromium is missing (Debian package chromium)")
        pytest.skip("chromium is not installed")
    return found


def test_headless_chromium_shows_the_table_and_the_timelines(lab_campaign: Campaign, tmp_path: Path) -> None:
    page, shot = tmp_path / "campaign.html", tmp_path / "shot.png"
    page.write_text(to_html(lab_campaign, "1.2.3"), encoding="utf-8")
    args = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}"]
    args += ["--force-device-scale-factor=0.5", "--window-size=1280,4200", page.as_uri()]
    subprocess.run(
        args, check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)}
    )
    seen = colours(shot.read_bytes())
    total = sum(seen.values())
    assert sum(n for c, n in seen.items() if c != (255, 255, 255)) > 0.05 * total, "a blank page"
    near = {
        c
        for c in seen
        if any(all(abs(a - b) <= 6 for a, b in zip(c, want, strict=True)) for want in [OK_CELL])
    }
    assert near, "no Ok cell of the table on the screen"
    for want, what in ((PROBE_ANSWERED, "answered probes"), (PROBE_LOST, "lost probes")):
        close = sum(n for c, n in seen.items() if all(abs(a - b) <= 6 for a, b in zip(c, want, strict=True)))
        assert close > 50, f"no timeline's {what} on the screen"


def test_a_prediction_off_the_measurement_says_why(lab_campaign: Campaign) -> None:
    line, man = lab_campaign.results[0], lab_campaign.results[7]
    assert line.divergence is None  # 0.28 s measured, 0.40 s predicted: within 0.3 s
    assert man.divergence is not None and "SPF" in man.divergence
    text = report.to_markdown(lab_campaign)
    assert "| Loss of MAN link man-12 | 6.00 s | 0.30 s | diverges: measured 6.00 s" in text
    assert "| Loss of the internet line at dc1 | 0.28 s | 0.40 s | within the tolerance |" in text
