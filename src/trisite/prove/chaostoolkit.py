"""The functions the exported Chaos Toolkit experiments call (python providers): cut, mend and probe on a lab
that is up. trisite itself does not go through them; they let Chaos Toolkit run a measured row as it is."""

from __future__ import annotations

from trisite.lab import session
from trisite.prove.measure import check
from trisite.prove.scenarios import Scenario


def cut(component: str, lab: str = "default") -> None:
    """Cut a component (`device:NAME`: every cable of the device)."""
    _set(component, lab, up=False)


def mend(component: str, lab: str = "default") -> None:
    _set(component, lab, up=True)


def _set(component: str, lab: str, *, up: bool) -> None:
    driver = session.driver_for(lab)
    kind, _, name = component.partition(":")
    for each in driver.components_of(name) if kind == "device" else [component]:
        driver.set_component(each, up)


def reaches(source: str, target: str, kind: str = "icmp", lab: str = "default") -> bool:
    """Whether `source` reaches `target` now, on its last sustained probes."""
    return check(session.driver_for(lab), Scenario("steady state", (), source, target, (), kind)).ok
