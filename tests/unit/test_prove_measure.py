"""A measured row on a fake fault driver: refused on a broken steady state, the fault journaled before it is
injected, rolled back on an interrupt, and what a killed campaign left injected mended first."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from trisite.drivers.host import LocalHost
from trisite.drivers.lab import LabDriver
from trisite.drivers.protocols import ProbeResult
from trisite.errors import DriverError
from trisite.prove import injected, measure
from trisite.prove.measure import baseline_s  # as written: the fixture below stands in for it
from trisite.prove.outage import measure as outage_of
from trisite.prove.outage import steady
from trisite.prove.scenarios import Scenario

ROW = Scenario("Loss of the internet line at dc1", ("uplink:dc1-transit",), "internet", "198.51.100.1", ())


class Probe:
    origin: float | None = None  # unknown: the moments stay on the campaign's clock

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def stop(self) -> list[ProbeResult]:
        return [ProbeResult(i, round(i * 0.02, 4), c == "o") for i, c in enumerate(self.pattern)]


class FakeFaults:
    """Records what is cut and mended; each probe answers the next pattern; `interrupt` raises on the cut."""

    def __init__(self, *patterns: str, interrupt: bool = False, state: Path | None = None) -> None:
        self.patterns, self.interrupt, self.state = list(patterns), interrupt, state
        self.calls: list[tuple[str, bool]] = []
        self.journaled: list[injected.Injected | None] = []

    def set_component(self, component: str, up: bool) -> None:
        if not up and self.state is not None:
            self.journaled.append(injected.read(self.state))  # what the journal said when the cut came
        self.calls.append((component, up))
        if self.interrupt and not up:
            raise KeyboardInterrupt

    def set_components(self, components: Sequence[str], up: bool) -> None:
        for component in components:
            self.set_component(component, up)

    def components_of(self, device: str) -> list[str]:
        return [f"cable:{device}"]

    def probe(self, device: str, target: str, interval: float, kind: str = "icmp") -> Probe:
        assert (device, target, interval, kind) == (ROW.source, ROW.target, measure.INTERVAL, ROW.probe)
        return Probe(self.patterns.pop(0))


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BASELINE", "OBSERVE", "SETTLE", "CHECK", "STEADY_WAIT"):
        monkeypatch.setattr(measure, name, 0.0)
    monkeypatch.setattr(measure, "baseline_s", lambda _before: 0.0)  # the fakes' paces are not real time


def test_a_broken_steady_state_refuses_to_inject(tmp_path: Path) -> None:
    driver = FakeFaults("o" * 20 + "x" * 10)
    result = measure.measure_row(driver, ROW, ["uplink:dc1-transit"], tmp_path, lambda *_: None)
    assert driver.calls == [] and result.fault_s is None and result.outage.seconds is None


def test_a_converging_path_is_awaited_before_the_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(measure, "STEADY_WAIT", 60.0)  # checks come back at once here: no wait is spent
    driver = FakeFaults("x" * 30, "x" * 10 + "o" * 20, "o" * 200, "o" * 30)
    result = measure.measure_row(driver, ROW, ["uplink:dc1-transit"], tmp_path, lambda *_: None)
    assert result.fault_s is not None and driver.patterns == []  # two checks, the measure, the check after
    assert driver.calls == [("uplink:dc1-transit", False), ("uplink:dc1-transit", True)]


def test_the_fault_is_journaled_before_it_is_injected_and_cleared_after(tmp_path: Path) -> None:
    driver = FakeFaults("o" * 30, "o" * 100 + "x" * 10 + "o" * 50, "o" * 30, state=tmp_path)
    result = measure.measure_row(driver, ROW, ["uplink:dc1-transit"], tmp_path, lambda *_: None)
    (journal,) = driver.journaled
    assert journal is not None and journal.components == ("uplink:dc1-transit",)
    assert driver.calls == [("uplink:dc1-transit", False), ("uplink:dc1-transit", True)]
    assert injected.read(tmp_path) is None and result.after is not None and result.after.ok


def test_an_interrupt_between_fault_and_rollback_mends_then_propagates(tmp_path: Path) -> None:
    driver = FakeFaults("o" * 30, "o" * 200, interrupt=True, state=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        measure.measure_row(driver, ROW, ["uplink:dc1-transit"], tmp_path, lambda *_: None)
    assert driver.calls[-1] == ("uplink:dc1-transit", True) and injected.read(tmp_path) is None


def test_what_a_killed_campaign_left_injected_is_mended_first(tmp_path: Path) -> None:
    injected.write(tmp_path, ROW.name, ["man:man-12", "uplink:dc1-transit"])
    driver = FakeFaults()
    left = injected.recover(driver, tmp_path)
    assert left is not None and left.scenario == ROW.name
    assert driver.calls == [("man:man-12", True), ("uplink:dc1-transit", True)]
    assert injected.read(tmp_path) is None and injected.recover(driver, tmp_path) is None


class LateProbe(Probe):
    """A probe whose first ping left 1.95 s before the campaign's clock says it asked."""

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)
        self.origin = time.time() - 1.95


def test_the_fault_is_placed_on_the_probes_own_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A probe process starts a little after it is asked for: the fault's moment is moved onto the probes'
    clock, so that a probe lost just after the fault is not taken for a baseline loss (a lab run lost the
    firewalls-of-dc1 row that way: its first lost probe stamped 2.0064 s, the fault at 2.007 s)."""
    driver = FakeFaults("o" * 30, "o" * 100 + "x" * 10 + "o" * 50, "o" * 30, state=tmp_path)
    monkeypatch.setattr(
        driver,
        "probe",
        lambda *_args: (LateProbe if len(driver.patterns) == 2 else Probe)(driver.patterns.pop(0)),
    )
    result = measure.measure_row(driver, ROW, ["uplink:dc1-transit"], tmp_path, lambda *_: None)
    assert result.baseline.ok and result.fault_s == pytest.approx(1.95, abs=0.04)
    assert result.outage.seconds == pytest.approx(0.2)


def test_the_recovery_is_when_the_sustained_answers_began_on_the_probes_clock() -> None:
    """ping slows down while unanswered: 5 lost probes 0.2 s apart take 1 s, not 5 x 20 ms."""
    times = (
        [i * 0.02 for i in range(100)]
        + [2.0 + i * 0.2 for i in range(5)]
        + [3.0 + i * 0.02 for i in range(20)]
    )
    oks = [True] * 100 + [False] * 5 + [True] * 20
    history = tuple(ProbeResult(i, round(t, 4), ok) for i, (t, ok) in enumerate(zip(times, oks, strict=True)))
    outage = outage_of(history, measure.INTERVAL, after=1.99)
    run = measure.Measurement(outage, steady(history, 1.99), history, 0.0, 1.99, 4.0, None)
    assert run.detected_s == 2.0 and run.recovered_s == 3.0
    assert outage.seconds == pytest.approx(1.0)  # on the probes' clock too, not 5 probes x 20 ms


class StubbornFaults(FakeFaults):
    """The first component does not come back."""

    def set_component(self, component: str, up: bool) -> None:
        super().set_component(component, up)
        if up and component == "cable:a":
            raise DriverError("cable:a stays down")


def test_a_component_that_does_not_come_back_leaves_the_others_mended_and_the_journal_kept(
    tmp_path: Path,
) -> None:
    state = tmp_path / "lab"
    state.mkdir()
    driver = StubbornFaults("o" * 40, "o" * 40)
    with pytest.raises(DriverError, match=r"left 1 component\(s\) cut: cable:a"):
        measure.measure_row(driver, ROW, ["cable:a", "cable:b"], state, lambda *_: None)
    assert ("cable:b", True) in driver.calls  # tried although cable:a failed
    left = injected.read(state)
    assert left is not None and left.components == ("cable:a", "cable:b")  # the next run mends them first


class BatchRecorder(LocalHost):
    """Records each namespace's `ip` batch, with the thread that ran it, instead of running it."""

    def __init__(self) -> None:
        self.batches: list[tuple[str | None, list[str], str]] = []

    def ip_batch(self, lines: Sequence[str], netns: str | None = None, *, force: bool = False) -> None:
        time.sleep(0.05)  # an `ip` process's start, on a loaded machine
        assert not force  # a cut never forces
        self.batches.append((netns, list(lines), threading.current_thread().name))


def test_a_sites_components_are_cut_at_once_one_batch_per_namespace(tmp_path: Path) -> None:
    links = {f"cable:c{i}": [[f"ts-dev{i}", "eth0", f"ts-sw{i % 3}", f"p{i}"]] for i in range(12)} | {
        "man:man-12": [["ts-fw1", "man12", "ts-fw2", "man12"]]
    }
    (tmp_path / "links.json").write_text(json.dumps(links), encoding="utf-8")
    host = BatchRecorder()
    driver = LabDriver(tmp_path, host)
    started = time.monotonic()
    driver.set_components(sorted(links), False)
    took = time.monotonic() - started
    by_ns = {ns: lines for ns, lines, _ in host.batches}
    assert len(host.batches) == len(by_ns) == 12 + 3 + 2  # one batch per namespace, never two
    assert by_ns["ts-sw0"] == ["link set p0 down", "link set p3 down", "link set p6 down", "link set p9 down"]
    assert len({thread for _, _, thread in host.batches}) > 1  # in parallel, not one after another
    assert took < 17 * 0.05  # what one after another would take at least
    with pytest.raises(DriverError, match="no component cable:nope"):
        driver.set_components(["cable:nope"], False)


def test_a_check_whose_probes_were_starved_probes_again_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four answers where the steady state needs ten (an HTTP answer every 0.15 s on two loaded cores) judge
    nothing: the check probes again for twice as long, and the row's baseline lasts long enough at that pace."""
    slept: list[float] = []
    monkeypatch.setattr(measure.time, "sleep", slept.append)
    monkeypatch.setattr(measure, "CHECK", 0.6)
    driver = FakeFaults("oooo", "o" * 8, "o" * 16)
    found = measure.check(driver, ROW)
    assert found.ok and found.probes == 16 and slept == [0.6, 1.2, 2.4]
    assert driver.patterns == []
    starved = replace(found, pace_s=0.15)
    monkeypatch.setattr(measure, "BASELINE", 2.0)
    assert baseline_s(starved) == pytest.approx(2 * (measure.SUSTAINED + 2) * 0.15)
    assert baseline_s(replace(found, pace_s=0.02)) == 2.0  # a pace as asked: the usual two seconds


def test_a_dead_path_is_judged_at_once_and_a_starved_one_at_last(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lost probes are probes sent: a path down is judged by the first window. Probes that stay too few are
    judged after STARVED_STRETCH times the first window (not enough answers: the steady state does not hold)."""
    slept: list[float] = []
    monkeypatch.setattr(measure.time, "sleep", slept.append)
    monkeypatch.setattr(measure, "CHECK", 0.6)
    down = measure.check(FakeFaults("x" * 30), ROW)
    assert not down.ok and slept == [0.6]
    slept.clear()
    starved = measure.check(FakeFaults(*["oo"] * 10), ROW)
    assert not starved.ok and slept == [0.6, 1.2, 2.4, 4.8, 9.6]
    assert slept[-1] == 0.6 * measure.STARVED_STRETCH


def test_a_path_down_whose_silent_attempts_are_slow_is_judged_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An HTTP probe of a VIP nobody holds waits its whole timeout each time: two lost of three sent is a path
    down, not a starved probe, and is not probed again."""
    slept: list[float] = []
    monkeypatch.setattr(measure.time, "sleep", slept.append)
    monkeypatch.setattr(measure, "CHECK", 0.6)
    found = measure.check(FakeFaults("oxx"), ROW)
    assert not found.ok and found.lost == 2 and slept == [0.6]


def test_the_row_probes_its_baseline_as_long_as_the_checks_pace_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before the row sent its probes 0.2 s apart (the fake stamps them so): the row then probes
    twice twelve of those, 4.8 s, before its fault."""
    slept: list[float] = []
    monkeypatch.setattr(measure.time, "sleep", slept.append)
    monkeypatch.setattr(measure, "baseline_s", baseline_s)
    monkeypatch.setattr(
        Probe, "stop", lambda self: [ProbeResult(i, i * 0.2, c == "o") for i, c in enumerate(self.pattern)]
    )
    driver = FakeFaults("o" * 30, "o" * 40, "o" * 30, state=tmp_path)
    measure.measure_row(driver, ROW, ["uplink:dc1-transit"], tmp_path, lambda *_: None)
    assert slept[1] == pytest.approx(2 * (measure.SUSTAINED + 2) * 0.2)  # after the check's own window
