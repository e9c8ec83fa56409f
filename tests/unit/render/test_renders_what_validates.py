"""What `validate` accepts, `render` renders; what `render` would refuse or get wrong, `validate` refuses first,
with the file, line and field (the mutants and the fuzz check the first half on thousands of designs too)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from designgen import generate
from tests.conftest import EXAMPLES, ROOT
from trisite.errors import DesignError, RenderError
from trisite.model import Design, load_design
from trisite.render import render

FLAWED = yaml.safe_load((ROOT / "tests" / "cases" / "flawed_designs.yaml").read_text(encoding="utf-8"))


def _copy(tmp_path: Path, replace: list[tuple[str, str]], file: str = "design.yaml") -> Path:
    folder = tmp_path / "design"
    shutil.copytree(EXAMPLES / "three-sites", folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    for old, new in replace:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return folder / "design.yaml"


@pytest.mark.parametrize("example", ["minimal", "three-sites"])
def test_the_examples_render(example: str) -> None:
    assert render(load_design(EXAMPLES / example / "design.yaml").design)


@pytest.mark.parametrize("case", FLAWED, ids=[c["id"] for c in FLAWED])
def test_every_flawed_design_that_validates_renders(case: dict[str, Any], tmp_path: Path) -> None:
    path = _copy(tmp_path, [tuple(r) for r in case["replace"]], case["file"])
    assert render(load_design(path).design)


@pytest.mark.parametrize("servers", [60, pytest.param(500, marks=pytest.mark.slow)])
def test_generated_designs_validate_and_render(servers: int, tmp_path: Path) -> None:
    path = tmp_path / "generated.yaml"
    path.write_text(yaml.safe_dump(generate(servers), sort_keys=False), encoding="utf-8")
    assert len(render(load_design(path).design)) > servers


# (what is changed, where validate must point, what it says, whether render refuses it too)
UNSUPPORTED = [
    pytest.param(
        (
            "design.yaml",
            "preferred_host: dc1-virt1, roles: [openstack], os: rocky-9",
            "preferred_host: dc1-virt1, roles: [openstack], os: debian-12",
        ),
        "vms[ra-ctl1].os",
        "whose OS debian-12 Kayobe does not deploy",
        True,
        id="kayobe-host-os",
    ),
    pytest.param(
        (
            "design.yaml",
            "{name: admin, kind: admin, technology: wireguard,",
            "{name: admin, kind: admin, technology: ipsec,",
        ),
        "vpn[admin].technology",
        "admin links over ipsec are not rendered",
        True,
        id="vpn-admin-ipsec",
    ),
    pytest.param(
        (
            "design.yaml",
            "source: {kind: ceph-rbd, ceph_cluster: main, pool: ovirt-vms}",
            "source: {kind: ovirt-vms, hosts: [dc1-virt1]}",
        ),
        "backups[vm-disks].source.kind",
        "ovirt-vms backups are not rendered",
        True,
        id="backup-ovirt-vms",
    ),
    pytest.param(
        (
            "design.yaml",
            "{name: cloud, type: CNAME, values: [www.example.net.]}",
            '{name: cloud, type: CNAME, values: ["www.example.net. ; injected"]}',
        ),
        "dns[example.net].records[cloud].values[0]",
        "CNAME record: 'www.example.net. ; injected' is not a domain name",
        True,
        id="dns-value-breaks-the-zone",
    ),
    pytest.param(
        ("design.yaml", ", {device: dc1-fw2, address: 198.18.250.2, key: vpn-admin-key-fw2}]}", "]}"),
        "vpn[admin].endpoints",
        "dc1-fw2 of dc1-wan-gw need their own tunnel address and key under endpoints",
        True,
        id="wireguard-pair-sharing-a-key",
    ),
    pytest.param(
        ("design.yaml", '    schedule: "30 1 * * *"\n', '    schedule: "30 1 * * *"\n    tool: borg\n'),
        "backups[ops-config].tool",
        "borg jobs are not rendered",
        False,  # render wrote restic jobs for it: a silent mismatch, now refused by validate
        id="backup-borg",
    ),
    pytest.param(
        ("design.yaml", 'schedule: "30 1 * * *"', 'schedule: "30 1 * * 1-5"'),
        "backups[ops-config].schedule",
        "weekday '1-5': write '*' or numbers separated by commas",
        False,  # render turned the range into an invalid OnCalendar
        id="backup-schedule-range",
    ),
]


@pytest.mark.parametrize(("change", "field", "message", "render_refuses"), UNSUPPORTED)
def test_validate_refuses_what_render_cannot_do_with_file_and_line(
    tmp_path: Path, change: tuple[str, str, str], field: str, message: str, render_refuses: bool
) -> None:
    file, old, new = change
    path = _copy(tmp_path, [(old, new)], file)
    with pytest.raises(DesignError) as caught:
        load_design(path)
    lines = str(caught.value).splitlines()
    assert any(f": {field}: " in line and message in line for line in lines), lines
    line = next(line for line in lines if f": {field}: " in line)
    assert line.split(":")[1].isdigit(), line  # file:line:column, then the field
    if render_refuses:  # the same design, past pydantic but without validate's checks: render said no
        data = yaml.safe_load(_merged(path))
        with pytest.raises(RenderError):
            render(Design.model_validate(data))


def _merged(path: Path) -> str:
    """The design with its includes merged in, as plain YAML (lists appended, as the loader does)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name in data.pop("include", []):
        part = yaml.safe_load((path.parent / name).read_text(encoding="utf-8"))
        for key, value in part.items():
            data[key] = [*data.get(key, []), *value] if isinstance(value, list) else value
    return yaml.safe_dump(data)
