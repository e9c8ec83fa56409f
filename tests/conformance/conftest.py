"""Labs the conformance suites run lab drivers in, one per module (the BMC emulator takes seconds to start)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.redfish_lab import SiteBmcs, bmc_lab
from trisite.lab import build
from trisite.model import Design


def needs_root() -> None:
    if os.geteuid() != 0:
        if os.environ.get("TRISITE_REQUIRE_TOOLS") == "1":
            pytest.fail("lab tests must run as root in CI")
        pytest.skip("the lab needs root")


@pytest.fixture(scope="module")
def bmc_lab_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Design, SiteBmcs]]:
    """The minimal design's server behind the lab's BMC emulator: its lab directory, design and site driver."""
    needs_root()
    state = tmp_path_factory.mktemp("bmc-lab") / "state"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "STATE_ROOT", state)
        with bmc_lab("conformance-bmc", timeout=5.0, attempts=2, backoff=0.5) as (design, site):
            yield state / "conformance-bmc", design, site
