"""The campaign bench's reading of a journal: the baseline (faults held), each row's wall time, the summary."""

from __future__ import annotations

from typing import Any

from prove_campaign import held_s, row_walls, summary


def _row(key: str, probing: str, fault: str, rollback: str, **extra: Any) -> dict[str, Any]:
    day = "2026-12-07T10:00:"
    moments = {"probing": day + probing, "fault": day + fault, "rollback": day + rollback}
    row = {"key": key, "obtained": "measured", "moments": moments, "ok": True, "refused": None, "alerts": []}
    return row | extra


JOURNAL = {
    "finished": "2026-12-07T10:01:00+00:00",
    "results": [
        _row(
            "a", "00+00:00", "02+00:00", "17+00:00", alerts=[{"fired_after_s": 6.0, "resolved_after_s": 7.0}]
        ),
        _row(
            "b", "30+00:00", "32+00:00", "50+00:00", divergence="measured 5 s, predicted 3 s: why", ok=False
        ),
        {"key": "c", "obtained": "twin", "moments": None, "ok": True, "refused": None, "alerts": None},
    ],
}


def test_the_baseline_is_the_time_the_faults_were_held() -> None:
    assert held_s(JOURNAL["results"]) == 15 + 18


def test_a_row_lasts_until_the_next_one_starts_or_the_campaign_ends() -> None:
    assert row_walls(JOURNAL["results"], JOURNAL["finished"]) == [("a", 30.0), ("b", 30.0)]


def test_the_summary_counts_rows_alerts_and_divergences() -> None:
    lines = summary(JOURNAL)
    assert lines[0] == "rows: 3; measured 2, the twin's 1, refused 0; Ok 2/3"
    assert lines[1] == "alerts: fired 1/1, resolved 1/1"
    assert lines[2:] == ["diverges: b: measured 5 s, predicted 3 s: why"]
