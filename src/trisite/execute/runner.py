"""Walk a plan through a driver: wave by wave, steps of a wave in parallel, secrets filled in at the last moment.

Events report progress; the first failing step stops the run with its device and step named."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from trisite.drivers.protocols import DeviceDriver
from trisite.errors import ExecuteError, TrisiteError
from trisite.plan.deploy import Plan, Step
from trisite.render.artifact import Artifact

SECRET = re.compile(r"\$\{secret:([a-z0-9][a-z0-9-]*)\}")


@dataclass
class Run:
    started: float = field(default_factory=time.monotonic)
    done: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds)


def fill_secrets(text: str, resolve: Callable[[str], str]) -> str:
    return SECRET.sub(lambda m: resolve(m.group(1)), text)


def execute(
    plan: Plan,
    artifacts: Mapping[str, Artifact],
    driver: DeviceDriver,
    resolve: Callable[[str], str],
    *,
    on_event: Callable[[str], None] = lambda _: None,
    workers: int = 8,
) -> Run:
    run = Run()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for wave in plan.waves():
            futures = {pool.submit(_step, step, artifacts, driver, resolve): step for step in wave}
            for future, step in futures.items():
                try:
                    seconds = future.result()
                except TrisiteError as exc:
                    raise ExecuteError(f"step {step.id}: {exc}", step=step.id) from None
                run.done.append((step.id, seconds))
                on_event(f"{step.id} done in {seconds:.2f} s")
    return run


def _step(
    step: Step, artifacts: Mapping[str, Artifact], driver: DeviceDriver, resolve: Callable[[str], str]
) -> float:
    started = time.monotonic()
    for path in step.files:
        artifact = artifacts[path]
        driver.put(
            step.device, artifact.apply.target, fill_secrets(artifact.content, resolve), artifact.apply.mode
        )
    for service, action in step.services:
        if f"service:{service.split('-')[0]}" not in driver.capabilities:
            raise ExecuteError(f"{step.device}: this target cannot run {service}", step=step.id)
        driver.service(step.device, service, action)
    return time.monotonic() - started
