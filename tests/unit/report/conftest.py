"""A campaign to report on, without a lab: the reference design's 21 rows predicted by the twin on a lab
target, two of them given a measured history (a cut, an outage, a recovery) as a lab run leaves it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers.protocols import ProbeResult
from trisite.model import load_design
from trisite.prove import campaign
from trisite.prove.catalog import campaign_catalog
from trisite.prove.measure import Measurement
from trisite.prove.outage import measure, steady

REFERENCE = EXAMPLES / "three-sites" / "design.yaml"
START = 1_796_000_000.0  # 2026-11-30 00:53:20 UTC, a wall clock the timeline prints


def measured(result: campaign.Result, pattern: str) -> campaign.Result:
    """The result as the lab measures it: one probe every 20 ms, `o` answered, `x` lost, the fault at 2 s."""
    history = tuple(ProbeResult(i, round(i * 0.02, 4), c == "o") for i, c in enumerate(pattern))
    run = Measurement(
        measure(history, 0.02, after=2.0),
        steady(history, 2.0),
        history,
        START,
        2.0,
        2.0 + 15.0,
        steady(history, float("inf")),
    )
    return replace(result, measured=run.outage, baseline=run.baseline, obtained="measured", run=run)


@pytest.fixture(scope="session")
def lab_campaign() -> campaign.Campaign:
    design = load_design(REFERENCE).design
    predicted = campaign.run(design, None, campaign_catalog(design), target="lab", design_sha256="ab" * 32)
    results = list(predicted.results)
    results[0] = measured(results[0], "o" * 100 + "x" * 14 + "o" * 736)  # 0.28 s lost, within its bound
    results[7] = measured(results[7], "o" * 100 + "x" * 300 + "o" * 450)  # 6.0 s: beyond 0.3 x 1.5 + 1 s
    return replace(predicted, results=tuple(results))
