"""The lab's state files that parallel deployment steps write: each write whole and renamed into place.

The deployment runs a step per device in threads; several record what they started into one JSON file while
others (and `lab status`, and the ssh processes a job starts) read it. Written in place, a reader could see a
file half written (a JSONDecodeError, or an ssh_config cut short that fails a backup), and two writers could lose
each other's entries.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()  # one for every record file: writes are rare and small


def write_aside(path: Path, text: str, mode: int | None = None) -> None:
    """Write `text` to a file beside `path`, then rename it over `path`: readers see the old or the new, whole."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    aside.write_text(text, encoding="utf-8")
    if mode is not None:
        aside.chmod(mode)
    aside.replace(path)


def read(path: Path) -> dict[str, Any]:
    """The file's object, or an empty one when nothing was recorded yet."""
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return found


def update(path: Path, key: str, value: object) -> None:
    """Set one entry of the file's object, keeping every other writer's."""
    with _LOCK:
        found = read(path)
        found[key] = value
        write_aside(path, json.dumps(found, indent=1, sort_keys=True))


def update_nested(path: Path, group: str, key: str, value: object) -> None:
    """Set `found[group][key]`, keeping every other writer's."""
    with _LOCK:
        found = read(path)
        found.setdefault(group, {})[key] = value
        write_aside(path, json.dumps(found, indent=1, sort_keys=True))
