"""Run the command line as a user does: through `main`, the one error boundary, with stdout and stderr apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from trisite.cli.app import main


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


Cli = Callable[..., Outcome]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> Outcome:
        capsys.readouterr()  # what came before is not this command's
        code = main(list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run
