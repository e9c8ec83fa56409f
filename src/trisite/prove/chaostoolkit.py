"""The functions the exported Chaos Toolkit experiments call (python providers): cut, mend and probe on a lab
that is up. trisite itself does not go through them; they let Chaos Toolkit run a measured row as it is."""

from __future__ import annotations

from pathlib import Path

from trisite.errors import LabError
from trisite.lab import build, session
from trisite.model import load_design
from trisite.prove.campaign import site_components
from trisite.prove.measure import check
from trisite.prove.scenarios import Scenario


def cut(component: str, lab: str = "default") -> None:
    """Cut a component (`device:NAME`: every cable of the device; `site:NAME`: every link of the site)."""
    _set(component, lab, up=False)


def mend(component: str, lab: str = "default") -> None:
    _set(component, lab, up=True)


def _set(component: str, lab: str, *, up: bool) -> None:
    driver = session.driver_for(lab)
    kind, _, name = component.partition(":")
    if kind == "device":
        each = driver.components_of(name)
    elif kind == "site":  # the lab's own design says what stands there
        state = build.load_state(lab)
        if state is None:
            raise LabError(f"lab {lab} is not up")
        each = site_components(load_design(Path(state.design)).design, name, driver)
    else:
        each = [component]
    for one in each:
        driver.set_component(one, up)


def reaches(source: str, target: str, kind: str = "icmp", lab: str = "default") -> bool:
    """Whether `source` reaches `target` now, on its last sustained probes."""
    return check(session.driver_for(lab), Scenario("steady state", (), source, target, (), kind)).ok
