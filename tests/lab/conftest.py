from __future__ import annotations

import os
from pathlib import Path

import pytest

from trisite.lab import build


@pytest.fixture(autouse=True)
def needs_root() -> None:
    """Lab tests need root (CI is root: there a missing root is a failure, not a skip)."""
    if os.geteuid() != 0:
        if os.environ.get("TRISITE_REQUIRE_TOOLS") == "1":
            pytest.fail("lab tests must run as root in CI")
        pytest.skip("the lab needs root")


@pytest.fixture
def lab_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The lab's state under this test's temporary directory."""
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path / "state")
    return tmp_path / "state"


from tests.unit.cli.conftest import cli  # noqa: E402, F401 - the command line, run as a user does
