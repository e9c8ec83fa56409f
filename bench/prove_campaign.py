"""The seed's whole failover campaign on the reference lab, as a user runs it, against issue 14's budget (15 minutes):

- the lab is brought up with every service layer and deployed (timed, not against the budget);
- `trisite prove examples/three-sites/design.yaml --target lab --name bench-campaign -o DIR` runs in a new
  process, timed;
- the baseline, from the same run's journal (campaign.json): the time the faults were held (from each fault to
  its rollback), which no campaign of these rows can go below; the ratio says what the checks, probes' lead-in
  and settling cost on top of it;
- from the journal too: rows measured / predicted / refused, rows Ok, alerts fired and resolved (n/n), the
  rows whose prediction diverges, and each row's wall time.

    flock /tmp/trisite-lab.lock .venv/bin/python bench/prove_campaign.py [DIR]     (root, the lab's packages)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from trisite import pipelines
from trisite.drivers.lab_overlay import LAYERS
from trisite.lab import build, session
from trisite.model import load_design

REFERENCE = Path(__file__).resolve().parents[1] / "examples" / "three-sites" / "design.yaml"
TRISITE = Path(sys.executable).parent / "trisite"
NAME = "bench-campaign"
BUDGET_S = 15 * 60


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def prove(out: Path) -> tuple[float, int]:
    args = [str(TRISITE), "prove", str(REFERENCE), "--target", "lab", "--name", NAME, "-o", str(out)]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0 or not (out / "campaign.json").is_file():
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
    return time.perf_counter() - started, done.returncode


def report(took: float, code: int, journal: dict[str, Any]) -> None:
    held = held_s(journal["results"])
    ratio = f"{took / held:.2f}x" if held else "- (no fault was held)"
    print(
        f"`trisite prove ... --target lab`: {took:.0f} s, exit {code}; budget {BUDGET_S} s: {took / BUDGET_S:.0%}"
    )
    print(f"baseline, the faults held (fault to rollback, summed): {held:.0f} s; ratio {ratio}")
    for line in summary(journal):
        print(line)
    for key, wall in row_walls(journal["results"], journal["finished"]):
        print(f"  {key:60} {wall:6.1f} s")


def held_s(rows: list[dict[str, Any]]) -> float:
    """The baseline: how long the faults were in place, row by row (a measured row's fault to its rollback)."""
    moments = [r["moments"] for r in rows if r.get("moments") and r["moments"].get("rollback")]
    return sum(_at(m["rollback"]) - _at(m["fault"]) for m in moments)


def row_walls(rows: list[dict[str, Any]], finished: str) -> list[tuple[str, float]]:
    """Each measured row's wall time: from its probes' start to the next row's (or the campaign's end)."""
    starts = [(r["key"], _at(r["moments"]["probing"])) for r in rows if r.get("moments")]
    ends = [at for _, at in starts[1:]] + [_at(finished)]
    return [(key, end - start) for (key, start), end in zip(starts, ends, strict=True)]


def summary(journal: dict[str, Any]) -> list[str]:
    rows = journal["results"]
    obtained = {kind: sum(r["obtained"] == kind for r in rows) for kind in ("measured", "twin")}
    refused = sum(r.get("refused") is not None for r in rows)
    alerts = [a for r in rows for a in r.get("alerts") or []]
    fired = sum(a.get("fired_after_s") is not None for a in alerts)
    resolved = sum(a.get("resolved_after_s") is not None for a in alerts)
    lines = [
        f"rows: {len(rows)}; measured {obtained['measured']}, the twin's {obtained['twin']}, refused {refused}; "
        f"Ok {sum(bool(r['ok']) for r in rows)}/{len(rows)}",
        f"alerts: fired {fired}/{len(alerts)}, resolved {resolved}/{len(alerts)}",
    ]
    lines += [f"diverges: {r['key']}: {r['divergence']}" for r in rows if r.get("divergence")]
    return lines


def main(out: Path) -> None:
    loaded = load_design(REFERENCE)
    started = time.perf_counter()
    session.up(loaded, NAME, str(REFERENCE), layers=LAYERS)
    try:
        pipelines.deploy_job(loaded, "lab", lab=NAME)
        print(f"lab up with services and deployed in {time.perf_counter() - started:.1f} s")
        took, code = prove(out)
        journal = out / "campaign.json"
        if journal.is_file():
            report(took, code, json.loads(journal.read_text(encoding="utf-8")))
        else:
            print(f"`trisite prove` wrote no journal (exit {code}, {took:.0f} s)")
    finally:
        build.down(NAME)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="trisite-campaign-")))
