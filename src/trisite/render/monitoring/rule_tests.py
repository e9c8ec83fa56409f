"""The alert rules' unit tests in `promtool test rules` format: each alert's cases, with the labels and the
expanded summary promtool must find on the alerts that fire (and nothing, for a quiet case)."""

from __future__ import annotations

import re
from typing import Any

from trisite.render.monitoring.rules import Alert, Case, Labels

_LABEL_REF = re.compile(r"\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


def expand(summary: str, labels: Labels) -> str:
    """What Prometheus' template makes of SUMMARY for an alert with LABELS (summaries use $labels only)."""
    return _LABEL_REF.sub(lambda m: labels.get(m.group(1), ""), summary)


def _expected(alert: Alert, fires: Labels) -> dict[str, Any]:
    labels = {**fires, **alert.labels, "severity": alert.severity}
    return {"exp_labels": labels, "exp_annotations": {"summary": expand(alert.summary, labels)}}


def _test(alert: Alert, case: Case) -> dict[str, Any]:
    return {
        "name": f"{alert.name}: {case.why}",
        "interval": case.interval,
        "input_series": [{"series": s, "values": v} for s, v in sorted(case.series.items())],
        "alert_rule_test": [
            {
                "eval_time": case.eval,
                "alertname": alert.name,
                "exp_alerts": [_expected(alert, f) for f in case.fires],
            }
        ],
    }


def rule_tests(alerts: list[Alert], rule_file: str, evaluation_interval: str) -> dict[str, Any]:
    """RULE_FILE: the rules' path relative to the test file (promtool resolves it from the test's folder)."""
    return {
        "rule_files": [rule_file],
        "evaluation_interval": evaluation_interval,
        "tests": [_test(a, c) for a in alerts for c in a.cases],
    }
