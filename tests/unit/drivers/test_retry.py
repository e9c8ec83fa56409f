"""Bounded retries with backoff (drivers/retry.py): the waits counted, never slept."""

from __future__ import annotations

import pytest

from trisite.drivers.retry import Backoff, retried, wait_until


def test_the_waits_grow_and_stop_at_the_cap() -> None:
    assert Backoff(5, 1.0, 2.0, 5.0).delays() == [1.0, 2.0, 4.0, 5.0]
    assert Backoff(1).delays() == []
    assert Backoff(3, 0.5).describe() == "3 attempts over 1.5 s"
    assert Backoff(1).describe() == "1 attempt"


def test_transient_failures_are_tried_again_and_others_are_not() -> None:
    slept: list[float] = []
    tries = iter([OSError("busy"), OSError("busy"), "done"])

    def work() -> str:
        answer = next(tries)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert (
        retried(work, Backoff(3, 1.0), transient=lambda e: isinstance(e, OSError), sleep=slept.append)
        == "done"
    )
    assert slept == [1.0, 2.0]
    with pytest.raises(ValueError, match="refused"):
        retried(lambda: (_ for _ in ()).throw(ValueError("refused")), Backoff(3), transient=lambda _e: False)


def test_the_last_failure_is_raised_after_every_attempt() -> None:
    slept: list[float] = []

    def never() -> None:
        raise OSError("down")

    with pytest.raises(OSError, match="down"):
        retried(never, Backoff(2, 0.5), transient=lambda _e: True, sleep=slept.append)
    assert slept == [0.5]


def test_waiting_for_a_condition_ends_at_its_deadline() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    assert not wait_until(lambda: False, 3.0, 1.0, sleep=sleep, clock=lambda: now[0])
    assert now[0] == 3.0
    assert wait_until(lambda: now[0] >= 4.0, 10.0, 1.0, sleep=sleep, clock=lambda: now[0])
