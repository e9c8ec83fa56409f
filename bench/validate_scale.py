"""How long `trisite validate` takes on generated three-site designs of 500, 1,000 and 2,000 servers.

Baseline, measured in the same run on the same file: parsing the YAML alone with PyYAML's C loader
(`yaml.load(..., CSafeLoader)`), the least any YAML-based validation must pay. The ratio says what the
location tracking, typing and cross-reference checks cost on top. Target: under 5 s at 2,000 servers.

    .venv/bin/python bench/validate_scale.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from designgen import generate
from trisite.model import load_design

SIZES = (500, 1000, 2000)
REPEAT = 3


def best_of(fn: object, *args: object) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def parse_only(path: Path) -> object:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def cli(path: Path) -> None:
    """The whole command, as a user runs it (interpreter start-up and imports included)."""
    trisite = Path(sys.executable).with_name("trisite")
    subprocess.run([str(trisite), "validate", str(path)], check=True, capture_output=True)  # noqa: S603


def main() -> None:
    print(f"{'servers':>8} {'lines':>8} {'yaml only s':>12} {'validate s':>11} {'ratio':>6} {'cli s':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            path = Path(tmp) / f"design-{size}.yaml"
            path.write_text(yaml.safe_dump(generate(size), sort_keys=False), encoding="utf-8")
            lines = path.read_text(encoding="utf-8").count("\n")
            loaded = load_design(path)
            assert len(loaded.design.servers) >= size - 2
            base = best_of(parse_only, path)
            full = best_of(load_design, path)
            whole = best_of(cli, path)
            print(
                f"{len(loaded.design.servers):>8} {lines:>8} {base:>12.3f} {full:>11.3f} {full / base:>6.1f}"
                f" {whole:>6.2f}"
            )
    ref = Path(__file__).resolve().parents[1] / "examples" / "three-sites" / "design.yaml"
    print(f"reference design: validate {best_of(load_design, ref):.3f} s")


if __name__ == "__main__":
    main()
