"""Supervised daemons (drivers/daemons.py) in a scratch namespace: a crash is restarted, a stop stays down, and
the pidfiles name what `lab down` must kill."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lab.helpers import until
from trisite.drivers import daemons
from trisite.errors import DriverError

pytestmark = pytest.mark.lab


def test_kill_restarts_stop_stays_down(scratch_netns: str, tmp_path: Path) -> None:
    pgid = daemons.start(tmp_path, "host1", scratch_netns, "sleeper", ["tail", "-f", "/dev/null"])
    try:
        assert until(lambda: daemons.running(tmp_path, "host1", "sleeper"), within=5) is not None
        first = daemons.children(pgid)
        daemons.kill(tmp_path, "host1", "sleeper")  # a crash: the loop starts it again
        assert until(lambda: daemons.children(pgid) not in ([], first), within=5) is not None
        assert daemons.groups(tmp_path) == [pgid]
        assert daemons.names(tmp_path, "host1") == ["sleeper"]
        daemons.stop(tmp_path, "host1", "sleeper")
        assert not daemons.alive(pgid)
        assert daemons.groups(tmp_path) == []
        with pytest.raises(DriverError, match="sleeper is not running"):
            daemons.kill(tmp_path, "host1", "sleeper")
        again = daemons.restart(tmp_path, "host1", "sleeper")  # as it was last started
        assert until(lambda: daemons.running(tmp_path, "host1", "sleeper"), within=5) is not None
        assert again != pgid
    finally:
        daemons.stop(tmp_path, "host1", "sleeper")
