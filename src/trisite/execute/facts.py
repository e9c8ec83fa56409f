"""Read back what the target holds for a plan: the files its steps put, the live state they set.

Reads run in parallel (a few hundred small reads on a real site are bound by round trips, not by work) and
come back redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from trisite.drivers.targets import Target
from trisite.plan.diff import Facts
from trisite.plan.steps import Plan, Step
from trisite.render.artifact import Artifact

READERS = 8


def _reads(step: Step, artifacts: Mapping[str, Artifact]) -> list[tuple[str, str, str]]:
    """(kind, device, what): the files of a files step, the live state a step observes."""
    found = (
        [("file", step.device, artifacts[p].apply.target) for p in step.files] if step.kind == "files" else []
    )
    return found + [("observe", step.device, what) for what in step.observe]


def gather(
    plan: Plan, artifacts: Mapping[str, Artifact], target: Target, redact: Callable[[str], str]
) -> Facts:
    reads = sorted(
        {r for step in plan.steps if not target.missing(step.needs) for r in _reads(step, artifacts)}
    )

    def read(item: tuple[str, str, str]) -> str | None:
        kind, device, what = item
        found = target.devices.get(device, what) if kind == "file" else target.devices.observe(device, what)
        return None if found is None else redact(found)

    with ThreadPoolExecutor(READERS) as pool:
        results = list(pool.map(read, reads))
    files = {(d, w): r for (k, d, w), r in zip(reads, results, strict=True) if k == "file"}
    observed = {(d, w): r or "" for (k, d, w), r in zip(reads, results, strict=True) if k == "observe"}
    return Facts(files, observed)
