"""render stage: the real configuration of every component, from the design, as artifacts."""

from __future__ import annotations

from trisite.errors import RenderError
from trisite.model import Design, Index
from trisite.render import (
    backups,
    cephadm,
    dns,
    dns_health,
    frr,
    ha,
    inventory,
    kayobe,
    kubespray,
    monitoring,
    nftables,
    opnsense,
    ovirt,
    redfish,
    switches,
    vpn,
)
from trisite.render.artifact import Apply, Artifact

RENDERERS = (
    frr,
    ha,
    nftables,
    opnsense,
    switches,
    redfish,
    cephadm,
    ovirt,
    kayobe,
    kubespray,
    vpn,
    dns,
    dns_health,
    backups,
    monitoring,
    inventory,
)

__all__ = ["RENDERERS", "Apply", "Artifact", "render"]


def render(design: Design) -> list[Artifact]:
    """Every artifact of the design, sorted by path; pure and deterministic."""
    ix = Index.of(design)
    found: list[Artifact] = []
    for renderer in RENDERERS:
        found.extend(renderer.render(design, ix))
    paths = [a.path for a in found]
    if len(paths) != len(set(paths)):
        twice = sorted({p for p in paths if paths.count(p) > 1})
        raise RenderError(f"two artifacts claim {twice[0]}")
    return sorted(found, key=lambda a: a.path)
