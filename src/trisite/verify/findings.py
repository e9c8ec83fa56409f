"""What verify reports: findings with a rule id, a severity, a subject, an explanation and a fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["critical", "warning", "info"]
RANK: dict[Severity, int] = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    subject: str
    message: str
    hint: str
    path: tuple[str | int, ...] = field(default=(), compare=False)  # where in the design, for file:line
    where: str = field(default="", compare=False)

    def sort_key(self) -> tuple[int, str, str]:
        return (-RANK[self.severity], self.rule, self.subject)

    def key(self) -> tuple[str, str]:
        return (self.rule, self.subject)


def at_least(findings: list[Finding], severity: Severity) -> list[Finding]:
    return [f for f in findings if RANK[f.severity] >= RANK[severity]]
