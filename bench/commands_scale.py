"""`trisite validate`, `verify` and `render` of the 2,000-server generated design, as commands, end to end.

Baseline, measured in the same run on the same file: the same two commands of an earlier commit (by default
9ca9097, the code when the hostile-input issue was filed), checked out in a temporary git worktree and run
with the same interpreter and libraries. Each command runs `--repeat` times in turn with its baseline; the
table shows every time, and the ratio of the medians (baseline / now: above 1 is faster now).
Targets: validate < 5 s, verify < 60 s (issue 16), render <= 8 s (issue 11) on this machine (2 cores).
Below the table: the YAML emitter render uses (libyaml's, through PyYAML's CSafeDumper) against PyYAML's
pure-Python one, on the same switch configurations, in this process.

    .venv/bin/python bench/commands_scale.py [--servers 2000] [--baseline 9ca9097] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from designgen import generate

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"validate": 5.0, "verify": 60.0, "render": 8.0}
TODAY = "2026-11-30"  # verify dates its end-of-life checks: the same day for both


def command(name: str, design: Path) -> list[str]:
    extra = {"verify": ["--today", TODAY], "render": ["-o", tempfile.mkdtemp(dir=design.parent)]}
    return [sys.executable, "-m", "trisite", name, str(design), *extra.get(name, [])]


def timed(argv: list[str], src: Path) -> float:
    """Seconds the command took; it must have done its job (exit 0, or 1 with a verify report)."""
    env = {**os.environ, "PYTHONPATH": str(src), "TRISITE_BMC_PASSWORD": "bench-only-secret"}
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=src.parent)  # noqa: S603
    seconds = time.perf_counter() - started
    verdict = argv[3] == "verify" and done.returncode == 1 and "target" in done.stdout and not done.stderr
    if done.returncode != 0 and not verdict:
        sys.exit(f"{' '.join(argv[3:5])} from {src} exited {done.returncode}: {done.stderr.strip()[:300]}")
    return seconds


def worktree(ref: str, where: Path) -> Path:
    subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), ref],  # noqa: S607
        check=True,
        capture_output=True,
    )
    return where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=2000)
    parser.add_argument("--baseline", default="9ca9097", help="git ref of the code to compare with")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trisite-bench-") as tmp:
        design = Path(tmp) / f"gen{args.servers}.yaml"
        data = generate(args.servers)
        data.pop("risks")  # shared risks came after the baseline: the same design must be valid for both
        design.write_text(yaml.safe_dump(data, sort_keys=False))
        base = worktree(args.baseline, Path(tmp) / "baseline")
        try:
            report(design, base / "src", args.baseline, args.repeat)
            dumpers(design)
        finally:
            subprocess.run(  # noqa: S603
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],  # noqa: S607
                check=False,
                capture_output=True,
            )


def report(design: Path, baseline_src: Path, ref: str, repeat: int) -> None:
    print(f"{design.name}; load average {os.getloadavg()[0]:.2f}; baseline {ref}; {repeat} runs each\n")
    print(f"| command | now (s) | baseline (s) | ratio | target | met |\n|{'---|' * 6}")
    for name, target in TARGETS.items():
        now, then = [], []
        for _ in range(repeat):
            for times, src in ((now, ROOT / "src"), (then, baseline_src)):
                times.append(timed(command(name, design), src))
        ratio = statistics.median(then) / statistics.median(now)
        met = max(now) < target
        print(
            f"| trisite {name} | {', '.join(f'{t:.1f}' for t in now)} | {', '.join(f'{t:.1f}' for t in then)} "
            f"| {ratio:.2f}x | < {target:.0f} s | {'yes' if met else 'NO'} |"
        )


def dumpers(design: Path) -> None:
    """The switch configurations of the design, dumped by both emitters (same options as render's)."""
    from trisite.model import Index, load_design  # noqa: PLC0415 - after the commands: they time their imports
    from trisite.render import switches  # noqa: PLC0415
    from trisite.render.engine import to_yaml  # noqa: PLC0415

    loaded = load_design(design).design
    arts = switches.render(loaded, Index.of(loaded))
    data = [yaml.safe_load(a.content) for a in arts if a.path.endswith((".yaml", ".yml"))]
    data = [d for d in data if isinstance(d, dict | list)]
    started = time.perf_counter()
    for d in data:
        to_yaml(d)
    libyaml = time.perf_counter() - started
    started = time.perf_counter()
    for d in data:
        yaml.dump(
            d, Dumper=yaml.SafeDumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=120
        )
    pure = time.perf_counter() - started
    print(
        f"\nYAML of {len(data)} switch configurations: libyaml {libyaml:.2f} s, pure Python {pure:.2f} s "
        f"({pure / libyaml:.1f}x)"
    )


if __name__ == "__main__":
    main()
