from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from trisite.lab import build


@pytest.fixture(autouse=True)
def lab_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Lab tests need root; each keeps its state under its own temporary directory."""
    if os.geteuid() != 0:
        if os.environ.get("TRISITE_REQUIRE_TOOLS") == "1":
            pytest.fail("lab tests must run as root in CI")
        pytest.skip("the lab needs root")
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path / "state")
    yield tmp_path / "state"
