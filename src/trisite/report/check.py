"""An acceptance check's report: a table per category, JSON, and JUnit XML (one testcase per check, a failure
per mismatch with both ends and the fix hint), for CI systems that show test results."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from trisite.check.result import CategoryResult, CheckReport
from trisite.report.table import Table

SCHEMA_VERSION = 1  # of the JSON form
SHOWN = {"pass": "ok", "fail": "MISMATCH", "skip": "skipped"}


def tables(report: CheckReport) -> list[Table]:
    return [_table(c) for c in report.categories]


def _table(category: CategoryResult) -> Table:
    failures = sum(c.status == "fail" for c in category.checks)
    notes = "".join(f"; {n}" for n in category.notes)
    return Table(
        f"{category.category}: {len(category.checks) - failures}/{len(category.checks)} match "
        f"({category.seconds:.1f} s{notes})",
        ("check", "result", "kind", "expected", "found", "fix"),
        tuple((c.subject, SHOWN[c.status], c.kind, c.expected, c.found, c.hint) for c in category.checks),
    )


def headline(report: CheckReport) -> str:
    checks = [c for cat in report.categories for c in cat.checks]
    failures = len(report.failures)
    verdict = "everything matches the design" if not failures else f"{failures} mismatches"
    return (
        f"{report.design} on the {report.target}: {len(checks)} checks in {report.seconds:.1f} s, {verdict}"
    )


def to_dict(report: CheckReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "design": report.design,
        "target": report.target,
        "ok": report.ok,
        "seconds": round(report.seconds, 3),
        "categories": [
            {
                "category": cat.category,
                "ok": cat.ok,
                "seconds": round(cat.seconds, 3),
                "notes": cat.notes,
                "checks": [
                    {
                        "subject": c.subject,
                        "status": c.status,
                        "kind": c.kind,
                        "expected": c.expected,
                        "found": c.found,
                        "hint": c.hint,
                    }
                    for c in cat.checks
                ],
            }
            for cat in report.categories
        ],
    }


def to_json(report: CheckReport) -> str:
    return json.dumps(to_dict(report), indent=2, sort_keys=True) + "\n"


def to_junit(report: CheckReport) -> str:
    suites = ET.Element("testsuites", name=f"trisite check {report.design}", time=f"{report.seconds:.3f}")
    for cat in report.categories:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=cat.category,
            tests=str(len(cat.checks)),
            failures=str(sum(c.status == "fail" for c in cat.checks)),
            skipped=str(sum(c.status == "skip" for c in cat.checks)),
            time=f"{cat.seconds:.3f}",
        )
        for c in cat.checks:
            case = ET.SubElement(suite, "testcase", classname=f"check.{cat.category}", name=c.subject)
            if c.status == "fail":
                failure = ET.SubElement(
                    case, "failure", type=c.kind, message=f"expected {c.expected}, found {c.found}"
                )
                failure.text = f"expected: {c.expected}\nfound: {c.found}\nfix: {c.hint}\n"
            elif c.status == "skip":
                ET.SubElement(case, "skipped", message=c.hint)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
