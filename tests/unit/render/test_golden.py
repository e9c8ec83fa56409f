"""Every renderer's output on the reference and minimal designs, compared with the golden trees.

After a deliberate change: pytest tests/unit/render --update-golden, then review `git diff tests/golden`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT
from trisite.model import Index, load_design
from trisite.render import RENDERERS, render

GOLDEN = ROOT / "tests" / "golden"
DESIGNS = ("three-sites", "minimal")


@pytest.mark.parametrize("name", DESIGNS)
def test_golden_tree(name: str, update_golden: bool) -> None:
    artifacts = render(load_design(EXAMPLES / name / "design.yaml").design)
    folder = GOLDEN / name
    if update_golden:
        shutil.rmtree(folder, ignore_errors=True)
        for a in artifacts:
            (folder / a.path).parent.mkdir(parents=True, exist_ok=True)
            (folder / a.path).write_text(a.content, encoding="utf-8")
        return
    expected = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {a.path for a in artifacts} == expected
    for a in artifacts:
        assert a.content == (folder / a.path).read_text(encoding="utf-8"), a.path


def test_every_renderer_has_golden_output() -> None:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    golden = {
        str(p.relative_to(GOLDEN / "three-sites")) for p in (GOLDEN / "three-sites").rglob("*") if p.is_file()
    }
    for renderer in RENDERERS:
        paths = {a.path for a in renderer.render(design, Index(design))}
        assert paths, f"{renderer.__name__} renders nothing for the reference design"
        assert paths <= golden, renderer.__name__


def test_rendering_is_deterministic() -> None:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    first, second = render(design), render(design)
    assert [(a.path, a.content) for a in first] == [(a.path, a.content) for a in second]


def test_no_secret_value_in_any_artifact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRISITE_BGP_MD5", "very-secret-md5")
    monkeypatch.setenv("TRISITE_CARP_PASS", "very-secret-carp")
    artifacts = render(load_design(EXAMPLES / "three-sites" / "design.yaml").design)
    assert not [a.path for a in artifacts if "very-secret" in a.content]
    frr = next(a for a in artifacts if a.path == "dc1/dc1-fw1/frr/frr.conf")
    assert "${secret:bgp-md5}" in frr.content and frr.secrets == ("bgp-md5",)


def test_a_change_to_one_site_changes_only_that_site(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "three-sites", tmp_path / "d")
    before = {a.path: a.content for a in render(load_design(tmp_path / "d" / "design.yaml").design)}
    dc2 = tmp_path / "d" / "dc2.yaml"
    text = dc2.read_text(encoding="utf-8")
    for old, new in (
        ("keepalive_s: 3\n      hold_time_s: 9", "keepalive_s: 5\n      hold_time_s: 15"),
        ("bios: &bios {timezone: UTC,", "bios: &bios {timezone: Europe/Paris,"),
        ("ports: {swp1-2: 10G, swp3-47: 25G, swp48: 10G", "ports: {swp1-2: 10G, swp3-47: 25G, swp48: 1G"),
        ("{address: 198.18.12.15, network: dc2-oob", "{address: 198.18.12.115, network: dc2-oob"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    dc2.write_text(text, encoding="utf-8")
    after = {a.path: a.content for a in render(load_design(tmp_path / "d" / "design.yaml").design)}
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert changed, "the edit must change something"
    assert {p.split("/")[0] for p in changed} == {"dc2"}, sorted(changed)
