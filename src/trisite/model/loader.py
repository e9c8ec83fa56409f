"""Load a design: YAML (with includes) -> checked, typed `Design`, or one `DesignError` with every problem."""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from trisite.errors import DesignError, Problem
from trisite.model import crossref, crossref_policy, crossref_services, crossref_support
from trisite.model.clip import clipped, quoted_key
from trisite.model.confine import inside as confine_inside
from trisite.model.confine import lexically_inside, outside_hint, roots_of
from trisite.model.design import Design
from trisite.model.includes import read_design
from trisite.model.report import ProblemReport
from trisite.model.source import PathKey, SourceMap

# Keys that hold credentials in the formats our users copy from: their values must be secret names.
SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "psk",
        "pre_shared_key",
        "preshared_key",
        "private_key",
        "api_key",
        "community",
        "key",
        "value",
    }
)

CHECKS = (
    crossref.check_names,
    crossref.check_networks,
    crossref.check_addresses,
    crossref.check_devices,
    crossref.check_cabling,
    crossref_policy.check_uplinks,
    crossref_policy.check_ha_groups,
    crossref_policy.check_flows,
    crossref_policy.check_vpn,
    crossref_policy.check_risks,
    crossref_services.check_ceph,
    crossref_services.check_ovirt,
    crossref_services.check_openstack,
    crossref_services.check_kubernetes,
    crossref_services.check_operations,
    crossref_support.check_supported,
)


@dataclass(frozen=True)
class LoadedDesign:
    """A valid design, where it came from (for messages that point at lines), its directory, and the
    directories besides it that its files (includes, file secrets) may come from."""

    design: Design
    source: SourceMap
    base_dir: Path
    allowed: tuple[Path, ...] = ()


def load_design(path: str | Path, *, allowed: Sequence[Path] = ()) -> LoadedDesign:
    """Load, type and cross-check a design; raise one DesignError with every problem found.

    Included files and file secrets must lie inside the design's directory or one of `allowed`.
    """
    try:
        return _load(Path(path), tuple(Path(p) for p in allowed))
    except DesignError as exc:
        raise clipped(exc) from None


def _load(path: Path, allowed: tuple[Path, ...]) -> LoadedDesign:
    data, source, base_dir = read_design(path, allowed)
    report = ProblemReport(source, data)
    if not isinstance(data, dict):
        report.add((), "a design is a mapping of sections (platform, sites, ...)", "see examples/minimal")
        raise DesignError(report.problems)
    _inline_secrets(report, data.get("secrets"), data)
    try:
        design = Design.model_validate(data)
    except ValidationError as exc:
        _pydantic_problems(report, exc)
        raise DesignError(_dedupe(report.problems)) from None
    _secret_files(report, design, roots_of(base_dir, allowed))
    if report.problems:
        raise DesignError(report.problems)
    checks = crossref.Checks(design, report)
    for check in CHECKS:
        check(checks)
    if report.problems:
        raise DesignError(report.problems)
    return LoadedDesign(design, source, base_dir, allowed)


def _secret_files(report: ProblemReport, design: Design, roots: tuple[Path, ...]) -> None:
    """File secrets are read later (drivers/secrets.py), but one that points outside is refused now.

    Only the path is judged (text, then symlinks as far as they exist): the file may not exist yet.
    """
    for name, ref in design.secrets.items():
        if ref.file is None:
            continue
        path = ref.file if ref.file.is_absolute() else roots[0] / ref.file
        try:
            inside = lexically_inside(path, roots) and confine_inside(Path(os.path.realpath(path)), roots)
        except ValueError:  # an embedded NUL byte
            inside = False
        if not inside:
            report.add(("secrets", name, "file"), "outside the design's directory", outside_hint(roots))


def _inline_secrets(report: ProblemReport, secrets: Any, data: Any) -> None:
    declared = set(secrets) if isinstance(secrets, dict) else set()

    def walk(node: Any, path: PathKey) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                inside_secrets = bool(path) and path[0] == "secrets"
                if (
                    key in SECRET_KEYS
                    and isinstance(value, str | int)
                    and (inside_secrets or value not in declared)
                ):
                    report.add(
                        (*path, key),
                        "secret values are never written in a design"
                        if inside_secrets
                        else f"'{key}' must name a declared secret",
                        "put it in an environment variable or a file and declare it under "
                        "secrets: NAME: {env: VARIABLE} or {file: PATH}",
                    )
                else:
                    walk(value, (*path, key))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, (*path, i))

    walk(data, ())


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[PathKey, tuple[int | str, ...]]:
    """Split a pydantic location into the part that exists in the data and the rest."""
    node = data
    for n, part in enumerate(loc):
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        else:
            return tuple(loc[:n]), tuple(loc[n:])
    return tuple(loc), ()


def _pydantic_problems(report: ProblemReport, exc: ValidationError) -> None:
    for err in exc.errors(include_url=False):
        path, rest = _data_path(report.data, tuple(err["loc"]))
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _fields_at(err["loc"][:-1])
            close = _close(str(err["loc"][-1]), allowed)
            report.add(
                path,
                f"unknown field {quoted_key(str(err['loc'][-1]))}",
                close or f"allowed: {', '.join(allowed)}",
            )
        elif kind == "missing" and rest:
            report.add(path, f"missing required field '{rest[0]}'")
        else:
            report.add(path, _message(err["msg"], kind))


def _message(msg: str, kind: str) -> str:
    msg = re.sub(r"^(Value|Assertion) error, ", "", msg)
    if kind == "string_pattern_mismatch" and "A-Za-z0-9_" in msg:  # operations.SecretRef.env
        return "not a valid environment variable name: letters, digits and '_', not starting with a digit"
    if kind == "string_pattern_mismatch" and "a-z0-9" in msg:  # types.Name
        return "not a valid name: lower-case letters, digits and '-', at most 63 characters"
    ip_kind = re.match(r"^ip_v[46]_(address|network|interface)$", kind)
    if ip_kind:  # IPv4 | IPv6 unions fail once per branch; say it once for both
        return f"not a valid IP {ip_kind.group(1)}"
    return msg[0].lower() + msg[1:] if msg[:1].isupper() and not msg[1:2].isupper() else msg


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Union types give one error per branch: keep the first message per location and field."""
    seen: dict[tuple[object, str], Problem] = {}
    for p in problems:
        seen.setdefault((p.location, p.path), p)
    return list(seen.values())


def _close(name: str, allowed: list[str]) -> str:
    return crossref.suggest(name, allowed)


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model found at `loc` in Design (for 'did you mean' hints)."""
    target: Any = Design
    for part in loc:
        target = _step(target, part)
        if target is None:
            return []
    return sorted(target.model_fields) if _is_model(target) else []


def _step(target: Any, part: int | str) -> Any:
    if _is_model(target):
        field = target.model_fields.get(part) if isinstance(part, str) else None
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(target)
    args = typing.get_args(target)
    if origin is list and isinstance(part, int):
        return _unwrap(args[0])
    if origin is dict and isinstance(part, str):
        return _unwrap(args[1])
    return None


def _unwrap(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [m for m in members if _is_model(m)]
        return models[0] if models else members[0]
    return annotation


def _is_model(target: Any) -> bool:
    return isinstance(target, type) and issubclass(target, BaseModel)
