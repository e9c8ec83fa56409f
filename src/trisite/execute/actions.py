"""What performing one step means, per kind of step, through the target's drivers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from trisite.drivers.protocols import CommandResult
from trisite.drivers.targets import Target
from trisite.errors import ExecuteError
from trisite.execute.redact import Redactor
from trisite.plan.steps import Step
from trisite.render.artifact import Artifact


@dataclass(frozen=True)
class StepContext:
    target: Target
    artifacts: Mapping[str, Artifact]
    secrets: Redactor


def perform(step: Step, ctx: StepContext) -> list[str]:
    """Do the step; returns what was done, one line each (redacted, for the step's log)."""
    action = {
        "files": _files,
        "redfish": _redfish,
        "tool": _tool,
        "api": _api,
        "remove": _remove,
        "check": _check,
    }[step.kind]
    return action(step, ctx)


def _files(step: Step, ctx: StepContext) -> list[str]:
    done = []
    for path in step.files:
        artifact = ctx.artifacts[path]
        ctx.target.devices.put(
            step.device, artifact.apply.target, ctx.secrets.fill(artifact.content), artifact.apply.mode
        )
        done.append(f"put {artifact.apply.target} ({artifact.apply.mode})")
    for service, verb in step.services:
        ctx.target.devices.service(step.device, service, verb)
        done.append(f"{verb} {service}")
    return done + _run(step, ctx)


def _run(step: Step, ctx: StepContext) -> list[str]:
    """The step's commands on its device, each of which must succeed."""
    for command in step.run:
        result = ctx.target.devices.exec(step.device, command)
        if result.returncode != 0:
            said = (result.stderr or result.stdout).strip().splitlines()
            raise ExecuteError(
                f"{step.device}: {' '.join(command)}: {ctx.secrets(said[-1]) if said else 'failed'}",
                step=step.id,
            )
    return [" ".join(c) for c in step.run]


def _last_line(result: CommandResult, ctx: StepContext) -> str:
    """What a failed command said last (its error, as a rule), redacted."""
    said = (result.stderr or result.stdout).strip().splitlines()
    return ctx.secrets(said[-1]) if said else f"exit {result.returncode}"


def _listed(step: Step, ctx: StepContext, key: str) -> list[dict[str, object]]:
    """The list under `key` of the step's rendered document (Redfish operations, API calls), secrets in."""
    document = json.loads(ctx.secrets.fill(ctx.artifacts[step.files[0]].content))
    items = document.get(key, []) if isinstance(document, dict) else []
    assert isinstance(items, list)  # render/redfish.py and render/opnsense.py write lists there
    return items


def _redfish(step: Step, ctx: StepContext) -> list[str]:
    assert ctx.target.bmcs is not None
    operations = _listed(step, ctx, "operations")
    ctx.target.bmcs.apply_redfish(step.device, operations)
    return [f"Redfish: {len(operations)} operations on the BMC of {step.device}"]


def _tool(step: Step, ctx: StepContext) -> list[str]:
    assert ctx.target.tools is not None
    tool, unit = step.command
    files = {path: ctx.secrets.fill(ctx.artifacts[path].content) for path in step.files}
    result = ctx.target.tools.run_tool(tool, unit, files)
    if result.returncode != 0:
        raise ExecuteError(f"{tool} {unit}: {_last_line(result, ctx)}", step=step.id)
    return [f"{tool} {unit} with {len(files)} files"]


def _api(step: Step, ctx: StepContext) -> list[str]:
    assert ctx.target.apis is not None
    calls = _listed(step, ctx, "calls")
    ctx.target.apis.apply_api(step.device, calls)
    return [f"API: {len(calls)} calls on {step.device}"]


def _remove(step: Step, ctx: StepContext) -> list[str]:
    done = []
    for path in step.files:
        target_path = ctx.artifacts[path].apply.target
        ctx.target.devices.delete(step.device, target_path)
        done.append(f"delete {target_path}")
    return done + _run(step, ctx)


def _check(step: Step, ctx: StepContext) -> list[str]:
    seen = {what: ctx.secrets(ctx.target.devices.observe(step.device, what)) for what in step.observe}
    for what, text in step.absent:
        lines = seen[what].strip().splitlines()
        left = [line for line in lines if text in line] if text else lines
        if left:
            raise ExecuteError(
                f"{step.device}: the deployment is over but its temporary {what} remain: {left[0]}"
                + (f" (+{len(left) - 1} more)" if len(left) > 1 else ""),
                step=step.id,
            )
    return [f"checked: no temporary {', '.join(step.observe)} left"]
