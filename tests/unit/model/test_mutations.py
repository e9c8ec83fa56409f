"""A seeded mutator of the reference design (design.yaml and its includes dc1/dc2/dc3.yaml), and its tests.

Mutations work on the text (bytes decoded with surrogateescape, so non-UTF-8 bytes survive later edits):
removed keys, retyped values, duplicated keys, long values and keys, non-UTF-8 and control bytes, deep
nesting, alias bombs and alias loops, include loops, repeats and escapes (../, absolute, symlinks, FIFOs),
file secrets pointing out, and plain noise (flipped bytes, cut files, tabs, moved lines).
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import EXAMPLES

FILES = ("design.yaml", "dc1.yaml", "dc2.yaml", "dc3.yaml")
REFERENCE = {name: (EXAMPLES / "three-sites" / name).read_text(encoding="utf-8") for name in FILES}
INCLUDES = "include: [dc1.yaml, dc2.yaml, dc3.yaml]"
SECRET_FILE = "{file: secrets/vpn-admin.key}"  # noqa: S105 - where a secret lives, not one
LITERALS = (
    "42", "-1", "0", "65536", "3.5", "1e400", ".nan", "true", "no", "null", "~", '""', '"text"', "[]", "{}",
    "[1, 2]", "{x: 1}", "[[a]]", "dc1", "10G", "198.18.1.7", "198.18.0.0/15", "'x'", "2026-01-01",
    "0x1F", "!!binary aGVsbG8=", "!!str 7", "!!set {a, b}", "!!omap [{a: 1}]", "!!python/name:os.system",
    "!custom x", "*nowhere", "&a 1", "[*a]", "=", "<<", "'\u202e'", '"\\0"', '"\\x85"',
)  # fmt: skip
# A value after `key: ` (block or flow), up to the next delimiter.
VALUE = re.compile(r"(?P<key>[A-Za-z_][\w-]*): (?P<value>[^,{}\[\]\n#]*[^,{}\[\]\n# ])")
BLOCK_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w-]*):(?P<rest>.*)$", re.MULTILINE)


@dataclass
class Mutant:
    number: int
    kinds: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=lambda: dict(REFERENCE))  # path under the mutant's folder
    links: dict[str, str] = field(default_factory=dict)  # path -> symlink target
    fifos: list[str] = field(default_factory=list)
    sparse: dict[str, int] = field(default_factory=dict)  # path -> size of a sparse file

    def file(self, rng: random.Random) -> str:
        return rng.choice([n for n in FILES if n in self.texts])


def _replace_span(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _some_value(rng: random.Random, m: Mutant) -> tuple[str, re.Match[str]] | None:
    name = m.file(rng)
    found = list(VALUE.finditer(m.texts[name]))
    return (name, rng.choice(found)) if found else None


def _set_value(rng: random.Random, m: Mutant, new: str) -> None:
    hit = _some_value(rng, m)
    if hit:
        name, match = hit
        m.texts[name] = _replace_span(m.texts[name], match.start("value"), match.end("value"), new)


def retype(rng: random.Random, m: Mutant) -> None:
    _set_value(rng, m, rng.choice(LITERALS))


def swap_value(rng: random.Random, m: Mutant) -> None:
    """A value written elsewhere in the same file: often the right type, and a different platform."""
    name = m.file(rng)
    found = list(VALUE.finditer(m.texts[name]))
    if found:
        match, other = rng.choice(found), rng.choice(found)
        m.texts[name] = _replace_span(m.texts[name], match.start("value"), match.end("value"), other["value"])


def number(rng: random.Random, m: Mutant) -> None:
    name = m.file(rng)
    found = list(re.finditer(r"(?<=: )\d+(?=[,}\n ])", m.texts[name]))
    if found:
        match = rng.choice(found)
        new = str(rng.choice([0, 1, 2, 3, 5, 9, 64, 100, 255, 1000, 1500, 9216, 65535, 2**32, -1]))
        m.texts[name] = _replace_span(m.texts[name], match.start(), match.end(), new)


def reorder(rng: random.Random, m: Mutant) -> None:
    """Items of a flow list in another order, or an item dropped: mostly still a valid design."""
    name = m.file(rng)
    found = list(re.finditer(r"\[([^\[\]{}\n]+, [^\[\]{}\n]+)\]", m.texts[name]))
    if found:
        match = rng.choice(found)
        items = match.group(1).split(", ")
        rng.shuffle(items)
        if rng.random() < 0.4:
            items.pop()
        m.texts[name] = _replace_span(m.texts[name], match.start(1), match.end(1), ", ".join(items))


def long_value(rng: random.Random, m: Mutant) -> None:
    size = rng.choice([100, 1_000, 100_000, 1_000_000])
    if rng.random() < 0.3:  # a long key instead
        hit = _some_value(rng, m)
        if hit:
            name, match = hit
            m.texts[name] = _replace_span(m.texts[name], match.start("key"), match.end("key"), "k" * size)
        return
    _set_value(rng, m, rng.choice(["x", "dc1 ", "é", "1"]) * (size // 2))


def remove_key(rng: random.Random, m: Mutant) -> None:
    name = m.file(rng)
    text = m.texts[name]
    if rng.random() < 0.5:  # a whole block line with the lines nested under it
        lines = text.split("\n")
        candidates = [i for i, line in enumerate(lines) if BLOCK_LINE.match(line)]
        if candidates:
            i = rng.choice(candidates)
            indent = len(lines[i]) - len(lines[i].lstrip(" "))
            end = i + 1
            while end < len(lines) and (
                len(lines[end]) - len(lines[end].lstrip(" ")) > indent or not lines[end]
            ):
                end += 1
            m.texts[name] = "\n".join(lines[:i] + lines[end:])
            return
    found = list(re.finditer(r"(?<=[{,] )[A-Za-z_][\w-]*: [^,{}\[\]\n]*(, )?", text))
    if found:
        match = rng.choice(found)
        m.texts[name] = _replace_span(text, match.start(), match.end(), "")


def duplicate_key(rng: random.Random, m: Mutant) -> None:
    name = m.file(rng)
    text = m.texts[name]
    found = list(BLOCK_LINE.finditer(text)) if rng.random() < 0.5 else list(VALUE.finditer(text))
    if not found:
        return
    match = rng.choice(found)
    if match.re is BLOCK_LINE:
        m.texts[name] = _replace_span(text, match.end(), match.end(), "\n" + match.group(0))
    else:
        m.texts[name] = _replace_span(text, match.end(), match.end(), ", " + match.group(0))


def nesting(rng: random.Random, m: Mutant) -> None:
    depth = rng.choice([3, 20, 63, 64, 65, 100, 500, 999, 1000, 1001, 5000, 50_000])
    style = rng.choice(["list", "map", "block"])
    if style == "list":
        _set_value(rng, m, "[" * depth + "1" + "]" * depth)
    elif style == "map":
        _set_value(rng, m, "{a: " * depth + "1" + "}" * depth)
    else:
        depth = min(depth, 2_000)  # block nesting costs depth squared in indentation
        _set_value(
            rng, m, "\n" + "".join(" " * (i + 40) + "a:\n" for i in range(depth)) + " " * (depth + 40) + "b"
        )


def _bomb_text(rng: random.Random) -> tuple[str, str]:
    """Definitions for the top of a file, and the alias that expands them."""
    shape = rng.choice(["laughs", "merge", "loop", "wide", "small"])
    if shape in ("laughs", "small"):
        levels, width = (rng.randint(2, 12), rng.randint(2, 12)) if shape == "laughs" else (3, 3)
        rows = ["x-l0: &l0 [lol]"] + [
            f"x-l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels + 1)
        ]
        return "\n".join(rows) + "\n", f"*l{levels}"
    if shape == "merge":
        levels = rng.randint(4, 60)
        rows = ["x-m0: &m0 {a: 1}"] + [
            f"x-m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}" for i in range(1, levels + 1)
        ]
        return "\n".join(rows) + "\n", f"*m{levels}"
    if shape == "loop":
        return rng.choice(["x-r: &r [1, *r]\n", "x-r: &r {a: *r}\n", "x-r: &r {<<: *r, b: 1}\n"]), "*r"
    count = rng.choice([10, 1_000, 3_000, 50_000])
    return "x-w: &w [" + ", ".join(["v"] * 50) + "]\nx-ws: [" + ", ".join(["*w"] * count) + "]\n", "*w"


def alias_bomb(rng: random.Random, m: Mutant) -> None:
    name = m.file(rng)
    definitions, alias = _bomb_text(rng)
    text = m.texts[name]
    first = re.search(r"^[a-z]", text, re.MULTILINE)
    at = first.start() if first else 0
    text = text[:at] + definitions + text[at:]
    found = [v for v in VALUE.finditer(text) if v.start() > at + len(definitions)]
    if found:
        match = rng.choice(found)
        text = _replace_span(text, match.start("value"), match.end("value"), alias)
    m.texts[name] = text


def include(rng: random.Random, m: Mutant) -> None:
    """Loops, repeats and escapes of `include:`."""
    design = m.texts["design.yaml"]
    choice = rng.randrange(10) if "dc3.yaml" in m.texts else 1  # dc3.yaml was moved by an earlier one
    if choice == 0:  # a loop through an included file
        target = rng.choice(["dc1.yaml", "dc2.yaml", "dc3.yaml"])  # dc3.yaml is there (above)
        m.texts[target] = (
            f"include: [{rng.choice(['design.yaml', target, './design.yaml'])}]\n" + m.texts[target]
        )
    elif choice == 1:  # the same file again, once or thousands of times
        repeats = rng.choice([1, 2, 3_000])
        m.texts["design.yaml"] = design.replace(INCLUDES, INCLUDES[:-1] + ", ./dc1.yaml" * repeats + "]")
    elif choice == 2:  # ../ out of the directory
        m.texts["outside/dc3.yaml"] = m.texts.pop("dc3.yaml")
        m.texts["design.yaml"] = design.replace("dc3.yaml]", "../outside/dc3.yaml]")
    elif choice == 3:  # absolute paths: system files, devices, the outside copy
        path = rng.choice(
            ["/etc/passwd", "/etc/shadow", "/dev/zero", "/proc/self/environ", "/", "@OUTSIDE@/dc3.yaml"]
        )
        m.texts["outside/dc3.yaml"] = m.texts.pop("dc3.yaml")
        m.texts["design.yaml"] = design.replace("dc3.yaml]", path + "]")
    elif choice in (4, 5):  # a symlink out, to a system file, to a directory, or in a loop
        target = rng.choice(["../outside/dc3.yaml", "/etc/shadow", "/etc", "/dev/zero", "loop.yaml", "."])
        m.texts["outside/dc3.yaml"] = m.texts.pop("dc3.yaml")
        m.links["dc3.yaml"] = target
        if target == "loop.yaml":
            m.links["loop.yaml"] = "dc3.yaml"
    elif choice == 6:  # a FIFO: opening it would wait for a writer
        del m.texts["dc3.yaml"]
        m.fifos.append("dc3.yaml")
    elif choice == 7:  # a sparse file of 3 GB
        del m.texts["dc3.yaml"]
        m.sparse["dc3.yaml"] = 3 << 30
    elif choice == 8:  # a missing file, a directory, an odd name
        odd = rng.choice(["dc4.yaml", ".", "", "dc3\\0.yaml", "x" * 5000, "dc*.yaml", "~/dc3.yaml"])
        m.texts["design.yaml"] = design.replace("dc3.yaml]", f'"{odd}"]')
    else:  # nested includes of includes
        m.texts["dc1.yaml"] = "include: [dc2.yaml]\n" + m.texts["dc1.yaml"]
        m.texts["design.yaml"] = design.replace(INCLUDES, "include: [dc1.yaml, dc3.yaml]")


def secret_file(rng: random.Random, m: Mutant) -> None:
    target = rng.choice(
        ["/etc/shadow", "../outside/key", "../../../../etc/shadow", "/dev/zero", "linked/key"]
    )
    m.texts["outside/key"] = "s3cr3t\n"
    if target == "linked/key":
        m.links["linked"] = "../outside"
    m.texts["design.yaml"] = m.texts["design.yaml"].replace(SECRET_FILE, "{file: " + target + "}")


def non_utf8(rng: random.Random, m: Mutant) -> None:
    name = m.file(rng)
    text = m.texts[name]
    at = rng.randrange(len(text) + 1)
    raw = rng.choice(
        [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\x01", b"\x1b[2J", b"\xc2\x85", b"\xef\xbb\xbf"]
    )
    m.texts[name] = text[:at] + raw.decode("utf-8", "surrogateescape") + text[at:]


def noise(rng: random.Random, m: Mutant) -> None:
    name = m.file(rng)
    text = m.texts[name]
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    choice = rng.randrange(5)
    if choice == 0:
        at = rng.randrange(max(len(text), 1))
        text = text[:at] + chr(rng.randrange(32, 127)) + text[at + 1 :]
    elif choice == 1:
        text = text[: rng.randrange(len(text) + 1)]
    elif choice == 2:
        lines[i] = "\t" + lines[i]
        text = "\n".join(lines)
    elif choice == 3:
        lines[i], lines[j] = lines[j], lines[i]
        text = "\n".join(lines)
    else:
        text = "\n".join(lines[:i] + lines[i + 1 :])
    m.texts[name] = text


MUTATIONS: dict[str, Callable[[random.Random, Mutant], None]] = {
    "swap-value": swap_value,
    "number": number,
    "reorder": reorder,
    "retype": retype,
    "remove-key": remove_key,
    "duplicate-key": duplicate_key,
    "long-value": long_value,
    "nesting": nesting,
    "alias-bomb": alias_bomb,
    "include": include,
    "secret-file": secret_file,
    "non-utf8": non_utf8,
    "noise": noise,
}
WEIGHTS = {"swap-value": 5, "number": 5, "reorder": 5, "retype": 4, "remove-key": 4, "duplicate-key": 2, "long-value": 2, "nesting": 2, "alias-bomb": 2,
           "include": 3, "secret-file": 1, "non-utf8": 1, "noise": 2}  # fmt: skip


def mutant(seed: int, number: int) -> Mutant:
    """Mutant `number` of `seed`: one to three mutations of the reference, always the same ones."""
    rng = random.Random(seed * 1_000_003 + number)  # noqa: S311 - reproducible mutants, not secrets
    m = Mutant(number)
    for _ in range(rng.choice([1, 1, 1, 1, 2, 3])):
        kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        MUTATIONS[kind](rng, m)
        m.kinds.append(kind)
    return m


def materialise(m: Mutant, folder: Path) -> Path:
    """Write the mutant under folder/design (and folder/outside); return the design file to load."""
    for rel, text in m.texts.items():
        path = folder / "design" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            text.replace("@OUTSIDE@", str(folder / "outside")).encode("utf-8", "surrogateescape")
        )
    (folder / "design").mkdir(parents=True, exist_ok=True)
    for rel, target in m.links.items():
        (folder / "design" / rel).symlink_to(target)
    for rel in m.fifos:
        os.mkfifo(folder / "design" / rel)
    for rel, size in m.sparse.items():
        with (folder / "design" / rel).open("wb") as f:
            f.truncate(size)
    return folder / "design" / "design.yaml"


def test_mutants_are_reproducible() -> None:
    assert mutant(7, 3) == mutant(7, 3)
    assert mutant(7, 3) != mutant(7, 4)


def test_every_mutation_changes_the_reference(tmp_path: Path) -> None:
    for kind, mutate in MUTATIONS.items():
        changed = 0
        for n in range(20):
            m = Mutant(n)
            mutate(random.Random(n), m)  # noqa: S311
            changed += (m.texts, m.links, m.fifos, m.sparse) != (dict(REFERENCE), {}, [], {})
        assert changed >= 15, kind
    assert materialise(mutant(1, 1), tmp_path / "m").is_file()
