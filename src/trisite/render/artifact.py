"""What a renderer produces: a file or payload, the device it is for, and how it is applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ApplyKind = Literal["file", "api", "redfish", "ansible", "script"]


@dataclass(frozen=True)
class Apply:
    """How the deploy stage puts an artifact in place."""

    kind: ApplyKind
    target: str  # a path on the device, an API call ("POST /api/..."), or a tool ("kayobe", "cephadm")
    mode: str = "0644"
    reload: str = ""  # command run on the device once the file changed


@dataclass(frozen=True)
class Artifact:
    path: str  # where it lands in the rendered tree: SITE/DEVICE/... or platform/COMPONENT/...
    content: str = field(repr=False)
    component: str
    device: str  # "" for platform-wide artifacts
    site: str | None
    apply: Apply
    secrets: tuple[str, ...] = ()  # secret names whose ${secret:NAME} placeholders deploy fills in


def secret_ref(name: str) -> str:
    """Rendered trees never hold secret values: deploy substitutes these placeholders at apply time."""
    return "${secret:" + name + "}"
