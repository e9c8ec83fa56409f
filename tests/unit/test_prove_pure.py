"""Outage arithmetic and ping parsing, without a lab."""

from __future__ import annotations

import pytest

from trisite.drivers.ping import parse, parse_with_origin
from trisite.drivers.protocols import ProbeResult
from trisite.prove.outage import SUSTAINED, measure, steady


def history(pattern: str, interval: float = 0.02) -> list[ProbeResult]:
    return [ProbeResult(i, round(i * interval, 4), c == "o") for i, c in enumerate(pattern)]


def test_no_loss_is_no_outage() -> None:
    assert measure(history("o" * 50), 0.02).seconds == 0.0


def test_outage_runs_from_first_loss_to_sustained_recovery() -> None:
    # 10 lost, one answered blip, 5 lost, then sustained answers: the blip belongs to the outage.
    pattern = "o" * 20 + "x" * 10 + "o" + "x" * 5 + "o" * (SUSTAINED + 5)
    outage = measure(history(pattern), 0.02)
    assert outage.seconds == round(16 * 0.02, 3) and outage.lost == 15


def test_never_recovered() -> None:
    assert measure(history("o" * 10 + "x" * 40), 0.02).seconds is None


def test_losses_before_the_fault_are_ignored() -> None:
    pattern = "x" * 5 + "o" * 100
    assert measure(history(pattern), 0.02, after=0.5).seconds == 0.0


def test_ping_output_is_parsed_with_its_timestamps() -> None:
    output = "\n".join(
        [
            "PING 198.51.100.1 (198.51.100.1) 56(84) bytes of data.",
            "[1764100000.000000] 64 bytes from 198.51.100.1: icmp_seq=1 ttl=64 time=0.05 ms",
            "[1764100000.040000] no answer yet for icmp_seq=2",
            "[1764100000.060000] no answer yet for icmp_seq=3",
            "[1764100000.060500] 64 bytes from 198.51.100.1: icmp_seq=4 ttl=64 time=0.05 ms",
        ]
    )
    results = parse(output, 0.02)
    assert parse_with_origin(output, 0.02)[1] == pytest.approx(1764100000.0 - 0.05e-3)  # its sending time
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[1].sent == pytest.approx(0.02, abs=1e-4) and results[3].sent == pytest.approx(
        0.0605, abs=1e-4
    )


def test_a_late_answer_is_a_probe_that_failed_when_it_was_sent() -> None:
    output = "\n".join(
        [
            "[1764100000.000000] 64 bytes from 198.51.100.1: icmp_seq=1 ttl=64 time=0.05 ms",
            "[1764100000.900000] 64 bytes from 198.51.100.1: icmp_seq=2 ttl=64 time=880 ms",  # queued for ARP
            "[1764100000.910000] 64 bytes from 198.51.100.1: icmp_seq=3 ttl=64 time=0.08 ms",
        ]
    )
    results = parse(output, 0.02)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].sent == pytest.approx(0.02, abs=1e-3)  # when it left, not when its answer came


def test_a_lost_baseline_probe_is_reported_not_fatal() -> None:
    # Under load one probe of the baseline is lost a second before the fault: the path still held.
    pattern = "o" * 40 + "x" + "o" * 59 + "x" * 10 + "o" * 30
    before = steady(history(pattern), before=2.0)
    assert before.ok and before.lost == 1 and before.probes == 100
    assert "1/100 baseline probes lost" in before.text


def test_a_path_down_just_before_the_fault_fails_the_steady_state() -> None:
    pattern = "o" * 95 + "x" * 5 + "o" * 50
    before = steady(history(pattern), before=2.0)
    assert not before.ok and before.lost == 5


@pytest.mark.parametrize("tail", ["oooooxoooo", "ooooooooox", "xooooooooo"])
def test_one_lost_probe_among_the_last_is_a_hiccup(tail: str) -> None:
    # the CI's controller row: one HTTP answer later than its timeout on two loaded cores, 0.3 s before the fault
    before = steady(history("o" * 90 + tail + "o" * 50), before=2.0)
    assert before.ok and before.lost == 1


@pytest.mark.parametrize("tail", ["oooxoooxoo", "ooooooooxx"])
def test_two_lost_probes_among_the_last_fail_the_steady_state(tail: str) -> None:
    assert not steady(history("o" * 90 + tail + "o" * 50), before=2.0).ok


def test_too_short_a_baseline_fails_the_steady_state() -> None:
    assert not steady(history("o" * (SUSTAINED - 1)), before=2.0).ok


def test_an_outage_is_timed_on_the_probes_clock_when_failed_attempts_wait_for_their_timeout() -> None:
    # an HTTP attempt that fails waits 0.5 s: three such attempts are 1.5 s of outage, not 3 x 20 ms
    sent = (
        [i * 0.02 for i in range(20)]
        + [0.4 + 0.5 * i for i in range(3)]
        + [1.9 + 0.02 * i for i in range(12)]
    )
    probes = [ProbeResult(i, round(t, 4), not 20 <= i < 23) for i, t in enumerate(sent)]
    assert measure(probes, 0.02).seconds == 1.5
