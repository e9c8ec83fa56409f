"""trisite: model, verify, render, deploy and prove a multi-site platform from one design.

The names in `__all__` are the library's public API: they keep their meaning across minor versions. Every
other module is internal (importable, but free to change); docs/architecture.md says where each part lives.

    import datetime, trisite
    loaded = trisite.load_design("examples/three-sites/design.yaml")
    report = trisite.verify(loaded.design, today=datetime.date.today())
    artifacts = trisite.render(loaded.design)

The stages are imported on first use, so `import trisite` stays cheap (the command line starts fast).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

try:
    __version__ = version("trisite")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

# public name -> the module that defines it (a test checks it names exactly `__all__`)
_PUBLIC = {
    # model: the design and how to load it
    "Design": "trisite.model",
    "Index": "trisite.model",
    "LoadedDesign": "trisite.model",
    "load_design": "trisite.model",
    "FlowMatrix": "trisite.model.flows",
    # verify
    "verify": "trisite.verify.run",
    "VerifyReport": "trisite.verify.run",
    "Finding": "trisite.verify.findings",
    "Twin": "trisite.verify.twin",
    # render
    "render": "trisite.render",
    "Artifact": "trisite.render.artifact",
    # whole jobs
    "demo": "trisite.pipelines",
    "prove_lab": "trisite.pipelines",
    # errors
    "TrisiteError": "trisite.errors",
    "DesignError": "trisite.errors",
    "UsageError": "trisite.errors",
    "SecretError": "trisite.errors",
    "VerifyError": "trisite.errors",
    "RenderError": "trisite.errors",
    "PlanError": "trisite.errors",
    "TargetError": "trisite.errors",
    "ExecuteError": "trisite.errors",
    "DriverError": "trisite.errors",
    "LabError": "trisite.errors",
    "Problem": "trisite.errors",
    "Location": "trisite.errors",
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
    "render",
    "verify",
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
    from trisite.render import render
    from trisite.render.artifact import Artifact
    from trisite.verify.findings import Finding
    from trisite.verify.run import VerifyReport, verify
    from trisite.verify.twin import Twin


def __getattr__(name: str) -> object:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'trisite' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return [*__all__, "__version__"]
