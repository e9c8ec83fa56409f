"""trisite: model, verify, render, deploy and prove a multi-site platform from one design.

The names in `__all__` are the library's public API: they keep their meaning across minor versions. Every
other module is internal (importable, but free to change); docs/architecture.md says where each part lives.

    import datetime, trisite
    loaded = trisite.load_design("examples/three-sites/design.yaml")
    report = trisite.verify_design(loaded.design, today=datetime.date.today())
    artifacts = trisite.render_design(loaded.design)

The stages are imported on first use, so `import trisite` stays cheap (the command line starts fast). The
verify and render functions carry `_design` in their names here: `trisite.verify` and `trisite.render` are the
stages' packages.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

# public name -> (the module that defines it, its name there); a test checks it names exactly `__all__`
_PUBLIC = {
    # model: the design and how to load it
    "Design": ("trisite.model", "Design"),
    "Index": ("trisite.model", "Index"),
    "LoadedDesign": ("trisite.model", "LoadedDesign"),
    "load_design": ("trisite.model", "load_design"),
    "FlowMatrix": ("trisite.model.flows", "FlowMatrix"),
    # verify
    "verify_design": ("trisite.verify.run", "verify"),
    "VerifyReport": ("trisite.verify.run", "VerifyReport"),
    "Finding": ("trisite.verify.findings", "Finding"),
    "Twin": ("trisite.verify.twin", "Twin"),
    # render
    "render_design": ("trisite.render", "render"),
    "Artifact": ("trisite.render.artifact", "Artifact"),
    # whole jobs
    "demo": ("trisite.pipelines", "demo"),
    "prove_lab": ("trisite.pipelines", "prove_lab"),
    # errors
    "TrisiteError": ("trisite.errors", "TrisiteError"),
    "DesignError": ("trisite.errors", "DesignError"),
    "UsageError": ("trisite.errors", "UsageError"),
    "SecretError": ("trisite.errors", "SecretError"),
    "VerifyError": ("trisite.errors", "VerifyError"),
    "RenderError": ("trisite.errors", "RenderError"),
    "PlanError": ("trisite.errors", "PlanError"),
    "TargetError": ("trisite.errors", "TargetError"),
    "ExecuteError": ("trisite.errors", "ExecuteError"),
    "DriverError": ("trisite.errors", "DriverError"),
    "LabError": ("trisite.errors", "LabError"),
    "Problem": ("trisite.errors", "Problem"),
    "Location": ("trisite.errors", "Location"),
}
__all__ = [
    "Artifact",
    "Design",
    "DesignError",
    "DriverError",
    "ExecuteError",
    "Finding",
    "FlowMatrix",
    "Index",
    "LabError",
    "LoadedDesign",
    "Location",
    "PlanError",
    "Problem",
    "RenderError",
    "SecretError",
    "TargetError",
    "TrisiteError",
    "Twin",
    "UsageError",
    "VerifyError",
    "VerifyReport",
    "demo",
    "load_design",
    "prove_lab",
    "render_design",
    "verify_design",
]

if TYPE_CHECKING:
    from trisite.errors import (
        DesignError,
        DriverError,
        ExecuteError,
        LabError,
        Location,
        PlanError,
        Problem,
        RenderError,
        SecretError,
        TargetError,
        TrisiteError,
        UsageError,
        VerifyError,
    )
    from trisite.model import Design, Index, LoadedDesign, load_design
    from trisite.model.flows import FlowMatrix
    from trisite.pipelines import demo, prove_lab
    from trisite.render import render as render_design
    from trisite.render.artifact import Artifact
    from trisite.verify.findings import Finding
    from trisite.verify.run import VerifyReport
    from trisite.verify.run import verify as verify_design
    from trisite.verify.twin import Twin


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - reading metadata is slow

    try:
        return version("trisite")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+source"


def __getattr__(name: str) -> object:
    if name == "__version__":  # looked up on demand: `import trisite` must be instant (a Ctrl-C at start)
        globals()[name] = found = _version()
        return found
    where = _PUBLIC.get(name)
    if where is None:
        raise AttributeError(f"module 'trisite' has no attribute {name!r}")
    module, attribute = where
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return [*__all__, "__version__"]
