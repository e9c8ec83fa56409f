"""What the alert builders read: the design, and the scrape targets with the labels Prometheus gives their
series, so a test case's input looks like what the real scrape would produce."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trisite.model import Design, Index
from trisite.render.monitoring.rules import Labels
from trisite.render.monitoring.scrape import Targets


@dataclass(frozen=True)
class Facts:
    design: Design
    ix: Index
    targets: Targets

    def scraped(self, job: str, where: Callable[[Labels], bool] = lambda _: True) -> list[Labels]:
        """The label sets of JOB's targets (job and instance included, as on their series), site by site."""
        found = []
        for (_, name), groups in sorted(self.targets.items()):
            if name != job:
                continue
            for g in groups:
                for t in g["targets"]:
                    labels = {**g["labels"], "job": job, "instance": t}
                    if where(labels):
                        found.append(labels)
        return found

    def one(self, job: str, where: Callable[[Labels], bool] = lambda _: True) -> Labels:
        found = self.scraped(job, where)
        assert found, f"no {job} target to build a test case on"
        return found[0]

    def node(self, host: str) -> Labels:
        return self.one("node", lambda t: t["host"] == host)

    @property
    def scrape_s(self) -> int:
        assert self.design.monitoring is not None
        return self.design.monitoring.scrape_interval_s
