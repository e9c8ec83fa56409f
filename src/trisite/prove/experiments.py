"""Scenario files: each row of the campaign as a Chaos Toolkit experiment (its vocabulary: a steady-state
hypothesis, a method of actions, rollbacks; trisite's own fields under `extensions`), written as YAML to be
edited and run again (`--scenarios DIR`), or as Chaos Toolkit's JSON (`--export-chaostoolkit DIR`).

The actions and probes name functions of `trisite.prove.chaostoolkit`, so that Chaos Toolkit itself can run a
measured row on a lab; a twin row names the twin's components, which no lab cuts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from trisite.errors import UsageError
from trisite.prove.measure import OBSERVE
from trisite.prove.scenarios import OBTAINED, Scenario

MODULE = "trisite.prove.chaostoolkit"
VERSION = "1.0.0"


def _provider(func: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "python", "module": MODULE, "func": func, "arguments": {**arguments, "lab": "${lab}"}}


def to_experiment(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a Chaos Toolkit experiment (a JSON-able dict)."""
    reach = {"source": scenario.source, "target": scenario.target, "kind": scenario.probe}
    method: list[dict[str, Any]] = [
        {"type": "action", "name": f"cut {c}", "provider": _provider("cut", component=c)}
        for c in scenario.faults
    ]
    if method:
        method[-1]["pauses"] = {"after": OBSERVE}
    return {
        "version": VERSION,
        "title": scenario.name,
        "description": f"{scenario.why}. Held against the twin's prediction for {', '.join(scenario.services)}.",
        "tags": ["trisite", f"lab:{scenario.lab}", *(["site-loss"] if scenario.site_loss else [])],
        "configuration": {"lab": "default"},
        "extensions": [
            {
                "name": "trisite",
                "key": scenario.key,
                "lab": scenario.lab,
                "why": scenario.why,
                "services": list(scenario.services),
                "twin_faults": list(scenario.twin_faults),
                "site_loss": scenario.site_loss,
                "quorum_loss": scenario.quorum_loss,
                "layers": list(scenario.layers),
            }
        ],
        "steady-state-hypothesis": {
            "title": f"{scenario.source} reaches {scenario.target} ({scenario.probe})",
            "probes": [
                {
                    "type": "probe",
                    "name": "path-answers",
                    "tolerance": True,
                    "provider": _provider("reaches", **reach),
                }
            ],
        },
        "method": method,
        "rollbacks": [
            {"type": "action", "name": f"mend {c}", "provider": _provider("mend", component=c)}
            for c in reversed(scenario.faults)
        ],
    }


def from_experiment(document: Any, where: str) -> Scenario:
    """A scenario from an experiment written by `to_experiment` and perhaps edited; UsageError naming the
    file and the field when it does not hold."""
    try:
        extension = next(e for e in document["extensions"] if e.get("name") == "trisite")
        (probe,) = document["steady-state-hypothesis"]["probes"]
        reach = probe["provider"]["arguments"]
        faults = tuple(str(a["provider"]["arguments"]["component"]) for a in document["method"])
        lab = str(extension.get("lab", "measured"))
        if lab not in OBTAINED:
            raise ValueError(f"extensions.trisite.lab: {lab!r} is not one of {', '.join(OBTAINED)}")
        return Scenario(
            str(document["title"]),
            faults,
            str(reach["source"]),
            str(reach["target"]),
            tuple(str(s) for s in extension["services"]),
            str(reach.get("kind", "icmp")),
            lab,  # checked against OBTAINED above
            str(extension.get("why", "")),
            tuple(str(f) for f in extension.get("twin_faults", [])),
            bool(extension.get("site_loss", False)),
            bool(extension.get("quorum_loss", False)),
            tuple(str(layer) for layer in extension.get("layers", [])),
        )
    except (KeyError, TypeError, ValueError, StopIteration, AttributeError) as exc:
        raise UsageError(f"{where}: not a trisite experiment: {_said(exc)}") from None


def _said(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, StopIteration):
        return "no extension named trisite"
    return str(exc) or type(exc).__name__


def write(directory: Path, scenarios: list[Scenario], *, chaostoolkit: bool = False) -> list[Path]:
    """One file per scenario, numbered in the campaign's order: NN-KEY.yaml, or NN-KEY.json for Chaos Toolkit."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for index, scenario in enumerate(scenarios, 1):
        experiment = to_experiment(scenario)
        if chaostoolkit:
            path = directory / f"{index:02d}-{scenario.key}.json"
            path.write_text(json.dumps(experiment, indent=2) + "\n", encoding="utf-8")
        else:
            path = directory / f"{index:02d}-{scenario.key}.yaml"
            path.write_text(yaml.safe_dump(experiment, sort_keys=False, width=110), encoding="utf-8")
        written.append(path)
    return written


def read(directory: Path) -> list[Scenario]:
    """The scenarios of a directory's *.yaml (and *.json) files, in the order of their names."""
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml"), *directory.glob("*.json")])
    if not files:
        raise UsageError(f"{directory}: no scenario files (*.yaml); write them with --write-scenarios")
    found = []
    for path in files:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML too
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"{path}: cannot read: {exc}") from None
        found.append(from_experiment(document, str(path)))
    return found
