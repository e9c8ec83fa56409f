"""Write a rendered tree: all or nothing, and never over a directory trisite did not make."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from trisite.errors import RenderError
from trisite.render.artifact import Artifact

MARKER = ".trisite-render"
MANIFEST = "MANIFEST.json"


def manifest(artifacts: Sequence[Artifact]) -> str:
    entries = [
        {
            "path": a.path,
            "component": a.component,
            "device": a.device,
            "site": a.site,
            "apply": {
                "kind": a.apply.kind,
                "target": a.apply.target,
                "mode": a.apply.mode,
                "reload": a.apply.reload,
            },
            "secrets": list(a.secrets),
            "sha256": hashlib.sha256(a.content.encode()).hexdigest(),
        }
        for a in artifacts
    ]
    return json.dumps({"artifacts": entries}, indent=2, sort_keys=True) + "\n"


def write_tree(out: Path, artifacts: Sequence[Artifact]) -> None:
    """Replace `out` with the tree; a directory is only replaced if an earlier render made it."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise RenderError(
            f"{out}: exists and was not made by trisite render (choose an empty or new directory)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for artifact in artifacts:
            target = staging / artifact.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(artifact.content, encoding="utf-8")
            target.chmod(0o755 if artifact.apply.mode == "0755" else 0o644)
        (staging / MANIFEST).write_text(manifest(artifacts), encoding="utf-8")
        (staging / MARKER).write_text("rendered by trisite\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise RenderError(f"{out}: cannot write: {exc.strerror}") from None
