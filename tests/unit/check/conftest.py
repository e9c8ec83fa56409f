from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES
from trisite.model import Design, load_design


@pytest.fixture(scope="session")
def reference() -> Design:
    return load_design(EXAMPLES / "three-sites" / "design.yaml").design


from tests.unit.cli.conftest import cli  # noqa: E402, F401 - the command line, run as a user does
