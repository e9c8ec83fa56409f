"""The order of a deployment, as data: steps per device, what each puts and starts, what it waits for.

The seed's order (switches, servers through their BMCs, firewalls, Ceph, oVirt, first VMs, OpenStack, removal
of the temporary configuration, monitoring) is the phase of a step; steps of one phase on different sites are
independent and run in parallel. This first plan covers the network layer of the firewalls; later layers add
their steps and phases without changing how a plan is executed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trisite.drivers.protocols import ServiceAction
from trisite.errors import PlanError
from trisite.render.artifact import Artifact

# Which artifacts make a network step of a firewall, in the order they are applied on the device.
FIREWALL_STEPS = (("filter", ("nftables",)), ("routing", ("frr",)), ("ha", ("keepalived", "ucarp")))


@dataclass(frozen=True)
class Step:
    id: str
    device: str
    site: str | None
    phase: str
    files: tuple[str, ...]  # artifact paths, put on the device at their apply target
    services: tuple[tuple[str, ServiceAction], ...]  # started after the files are in place
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]

    def waves(self) -> list[list[Step]]:
        """Groups of steps that may run together: every step's `after` is in an earlier wave."""
        done: set[str] = set()
        remaining = list(self.steps)
        waves = []
        while remaining:
            ready = [s for s in remaining if set(s.after) <= done]
            if not ready:
                raise PlanError(f"steps wait on each other: {', '.join(s.id for s in remaining)}")
            waves.append(ready)
            done |= {s.id for s in ready}
            remaining = [s for s in remaining if s.id not in done]
        return waves


def _service(artifact: Artifact) -> tuple[str, ServiceAction] | None:
    if artifact.component in ("frr", "nftables", "keepalived"):
        return (artifact.component, "start")
    if artifact.component == "ucarp" and artifact.path.endswith(".service"):
        return (artifact.path.rsplit("/", 1)[1].removesuffix(".service"), "start")
    return None


def network_plan(
    artifacts: Sequence[Artifact], firewalls: Sequence[str], virtual: Sequence[str] = ()
) -> Plan:
    """Filter, routing and HA of each firewall, in that order on the device; devices in parallel.

    Virtual firewalls are first VMs in the seed's order: they start once every physical firewall is done."""
    physical = _firewall_steps(artifacts, [f for f in firewalls if f not in virtual], "firewalls", ())
    last = tuple(step.id for step in physical if not any(step.id in other.after for other in physical))
    return Plan(physical + _firewall_steps(artifacts, virtual, "first-vms", last))


def _firewall_steps(
    artifacts: Sequence[Artifact], firewalls: Sequence[str], phase: str, after: tuple[str, ...]
) -> tuple[Step, ...]:
    by_device: dict[str, list[Artifact]] = {}
    for a in artifacts:
        if a.device in firewalls:
            by_device.setdefault(a.device, []).append(a)
    steps = []
    for device in sorted(by_device):
        previous = after
        for name, components in FIREWALL_STEPS:
            mine = [a for a in by_device[device] if a.component in components and a.apply.kind == "file"]
            if not mine:
                continue
            services = tuple(dict.fromkeys(s for a in mine if (s := _service(a)) is not None))

            step = Step(
                f"{device}:{name}",
                device,
                mine[0].site,
                phase,
                tuple(a.path for a in mine),
                services,
                previous,
            )
            steps.append(step)
            previous = (step.id,)
    return tuple(steps)
