"""A region's RabbitMQ as the lab configures it from the rendered Kolla/Kayobe files: a node per controller
named by its internal address, one classic-config cluster, the Prometheus plugin where Kolla enables it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers import lab_configs, lab_rabbitmq
from trisite.errors import DriverError
from trisite.model import load_design
from trisite.render import render


@pytest.fixture(scope="module")
def region_b() -> dict[str, str]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    return {a.path: a.content for a in render(design) if a.path.startswith("platform/kayobe/region-b/")}


def test_a_node_per_controller_named_by_its_address(region_b: dict[str, str], tmp_path: Path) -> None:
    assert lab_rabbitmq.enabled(region_b)
    assert lab_rabbitmq.prometheus_enabled(region_b)  # enable_prometheus_rabbitmq_exporter
    members = lab_rabbitmq.nodes(lab_configs.region_vip("region-b", region_b), str(tmp_path))
    names = [n.name for n in members]
    assert [n.device for n in members] == ["rb-ctl1", "rb-ctl2", "rb-ctl3"]
    assert all(name.startswith("rabbit@198.18.") for name in names)
    conf = lab_rabbitmq.conf(members, members[1], prometheus=True)
    for i, name in enumerate(names, 1):
        assert f"cluster_formation.classic_config.nodes.{i} = {name}" in conf
    assert f"listeners.tcp.1 = {members[1].address}:5672" in conf
    assert "prometheus.tcp.port = 15692" in conf
    assert "cluster_partition_handling = pause_minority" in conf
    assert "prometheus" not in lab_rabbitmq.conf(members, members[1], prometheus=False)
    assert lab_rabbitmq.plugins(True) == "[rabbitmq_prometheus].\n"
    env = lab_rabbitmq.environment(members[0])
    assert f"RABBITMQ_NODENAME={names[0]}" in env
    assert "RABBITMQ_USE_LONGNAME=true" in env


def test_the_cookie_is_shared_and_private(region_b: dict[str, str], tmp_path: Path) -> None:
    members = lab_rabbitmq.nodes(lab_configs.region_vip("region-b", region_b), str(tmp_path))
    lab_rabbitmq.prepare(members, prometheus=True)
    cookies = {Path(n.home, ".erlang.cookie").read_text(encoding="utf-8") for n in members}
    assert len(cookies) == 1
    assert all(Path(n.home, ".erlang.cookie").stat().st_mode & 0o777 == 0o600 for n in members)


def test_running_nodes_from_cluster_status() -> None:
    status = {"running_nodes": ["rabbit@198.18.41.12", "rabbit@198.18.41.11"], "disk_nodes": []}
    assert lab_rabbitmq.running_nodes(json.dumps(status)) == ["rabbit@198.18.41.11", "rabbit@198.18.41.12"]
    assert lab_rabbitmq.running_nodes("Error: unable to perform an operation") == []
    assert lab_rabbitmq.running_nodes("[]") == []


NODES = [
    lab_rabbitmq.Node(f"ra-ctl{n}", f"198.18.40.1{n}", f"/run/lab/ra-ctl{n}/rabbitmq") for n in (1, 2, 3)
]
ALL = json.dumps({"running_nodes": [n.name for n in NODES]})


def answering(answers: dict[str, str | None]) -> tuple[lab_rabbitmq.Run, list[list[str]]]:
    """A fake `run`: each device's cluster_status output, or a timeout (None) as LocalHost raises it."""
    asked: list[list[str]] = []

    def run(device: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
        asked.append(argv)
        said = answers[device]
        if said is None:
            raise DriverError(f"{device}: rabbitmqctl: no answer within 20 s")
        return subprocess.CompletedProcess(argv, 0, said, "")

    return run, asked


def test_a_node_whose_cli_hangs_is_passed_over_and_named() -> None:
    run, asked = answering({"ra-ctl1": None, "ra-ctl2": ALL, "ra-ctl3": ALL})
    ok, detail = lab_rabbitmq.health(NODES, run)
    assert not ok
    assert detail == "3/3 running nodes (as ra-ctl2 sees it; ra-ctl1 did not answer)"
    assert asked[0][-2:] == ["--timeout", str(lab_rabbitmq.CTL_TIMEOUT_S)]  # the CLI bounds its own calls


def test_the_first_answering_node_decides() -> None:
    run, asked = answering({"ra-ctl1": ALL, "ra-ctl2": None, "ra-ctl3": None})
    assert lab_rabbitmq.health(NODES, run) == (True, "3/3 running nodes (as ra-ctl1 sees it)")
    assert len(asked) == 1
    two = json.dumps({"running_nodes": [n.name for n in NODES[1:]]})
    run, _ = answering({"ra-ctl1": "", "ra-ctl2": two, "ra-ctl3": ALL})
    assert lab_rabbitmq.health(NODES, run) == (
        False,
        "2/3 running nodes (as ra-ctl2 sees it; ra-ctl1 did not answer)",
    )
    run, _ = answering({"ra-ctl1": None, "ra-ctl2": None, "ra-ctl3": None})
    assert lab_rabbitmq.health(NODES, run) == (
        False,
        "0/3 running nodes: no node answers (ra-ctl1, ra-ctl2, ra-ctl3 asked)",
    )


def metrics(node: lab_rabbitmq.Node, cluster: str = "rabbitmq-cluster-id-Ab3") -> str:
    """What a node's Prometheus plugin serves, its identity among the rest."""
    return (
        "# TYPE rabbitmq_identity_info untyped\n"
        f'rabbitmq_identity_info{{rabbitmq_node="{node.name}",rabbitmq_cluster="rabbit@vm",'
        f'rabbitmq_cluster_permanent_id="{cluster}"}} 1\n'
        "rabbitmq_erlang_processes_used 348\n"
    )


def test_the_nodes_endpoints_prove_one_cluster_without_the_cli() -> None:
    run, asked = answering({})
    ok, detail = lab_rabbitmq.health(NODES, run, [metrics(n) for n in NODES])
    assert (ok, detail) == (True, "3/3 running nodes with one cluster id (their metrics)")
    assert asked == []  # no Erlang VM booted


@pytest.mark.parametrize(
    "why",
    ["a node paused (its plugin stopped)", "a node in a cluster of its own", "an endpoint of another node"],
)
def test_what_the_endpoints_do_not_prove_the_cli_decides(why: str) -> None:
    served: list[str | None] = [metrics(n) for n in NODES]
    if why.startswith("a node paused"):
        served[2] = None
    elif why.startswith("a node in a cluster"):
        served[2] = metrics(NODES[2], cluster="rabbitmq-cluster-id-Zz9")
    else:
        served[2] = metrics(NODES[1])
    two = json.dumps({"running_nodes": [n.name for n in NODES[:2]]})
    run, asked = answering({"ra-ctl1": two, "ra-ctl2": two, "ra-ctl3": two})
    assert lab_rabbitmq.health(NODES, run, served) == (False, "2/3 running nodes (as ra-ctl1 sees it)")
    assert len(asked) == 1


def test_an_identity_read_from_the_exposition_format() -> None:
    assert lab_rabbitmq.identity(metrics(NODES[0])) == ("rabbit@198.18.40.11", "rabbitmq-cluster-id-Ab3")
    assert lab_rabbitmq.identity("rabbitmq_erlang_processes_used 348\n") is None
    assert lab_rabbitmq.identity(None) is None


def test_an_identity_without_its_cluster_id_proves_nothing() -> None:
    served = 'rabbitmq_identity_info{rabbitmq_node="rabbit@198.18.40.11",rabbitmq_cluster="rabbit@vm"} 1\n'
    assert lab_rabbitmq.identity(served) is None
    assert lab_rabbitmq.one_cluster(NODES[:1], [lab_rabbitmq.identity(served)]) is None


def test_no_other_node_is_asked_once_the_reading_has_lasted_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lab_rabbitmq, "CTL_DEADLINE_S", 0.0)
    run, asked = answering({"ra-ctl1": None, "ra-ctl2": ALL, "ra-ctl3": ALL})
    assert lab_rabbitmq.health(NODES, run) == (False, "0/3 running nodes: no node answers (ra-ctl1 asked)")
    assert len(asked) == 1
