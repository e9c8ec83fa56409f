"""A region's RabbitMQ in the lab, as Kolla deploys it: a node per controller (Kayobe's `[controllers]`, their
internal addresses from Kayobe's allocation), clustered by classic peer discovery, `pause_minority` partition
handling, the built-in Prometheus plugin on 15692 when Kolla's globals enable the RabbitMQ exporter.

The lab's namespaces share the machine's hostname, so a node cannot be `rabbit@HOSTNAME`: each is named by its
internal address with Erlang long names (`rabbit@198.18.40.11`), and runs its own epmd in its namespace. The
Erlang cookie is made by the lab (Kolla's comes from passwords.yml, which the render stage does not write), 0600
in each node's home. The first node starts alone, then the others join it.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from trisite.drivers.lab_configs import VipGroup, kolla_exporter, kolla_globals
from trisite.errors import DriverError

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # not /usr/sbin's wrapper: that one switches to its user
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
AMQP_PORT = 5672
DIST_PORT = 25672
PROMETHEUS_PORT = 15692
# One scheduler and small tables: ~100 MiB a node instead of a scheduler per core and a million processes.
LEAN_ERL_ARGS = "+S 1:1 +SDio 1 +A 1 +P 65536"
# What a health reading gives one node: rabbitmqctl's own bound on its calls to the cluster, and the wait for
# the CLI (an Erlang VM booted each time), after which the node counts as not answering and a peer is asked.
CTL_TIMEOUT_S = 10
CTL_WAIT_S = 20
CTL_DEADLINE_S = 30  # no other node asked after this: one reading stays within a test's wait for recovery
EPMD = ["epmd"]  # Erlang's port mapper, one per namespace, in the foreground: supervised like the node


@dataclass(frozen=True)
class Node:
    device: str
    address: str
    home: str  # its configuration, cookie, mnesia and logs

    @property
    def name(self) -> str:
        return f"rabbit@{self.address}"


def enabled(files: Mapping[str, str]) -> bool:
    """Kolla's `enable_rabbitmq` (its default is yes)."""
    return bool(kolla_globals(files).get("enable_rabbitmq", True))


def prometheus_enabled(files: Mapping[str, str]) -> bool:
    """Kolla serves RabbitMQ's metrics with the built-in plugin when `enable_prometheus_rabbitmq_exporter`."""
    return kolla_exporter(files, "rabbitmq")


def nodes(group: VipGroup, run: str) -> list[Node]:
    return [Node(device, address, f"{run}/{device}/rabbitmq") for device, address in group.members]


def conf(members: Sequence[Node], node: Node, prometheus: bool) -> str:
    """rabbitmq.conf of one node (Kolla's, without TLS and the management UI)."""
    lines = [
        f"listeners.tcp.1 = {node.address}:{AMQP_PORT}",
        "cluster_partition_handling = pause_minority",
        "cluster_formation.peer_discovery_backend = classic_config",
        *(f"cluster_formation.classic_config.nodes.{i} = {m.name}" for i, m in enumerate(members, 1)),
        "log.console = true",
        "log.console.level = warning",
        "log.file = false",
    ]
    if prometheus:
        lines += [f"prometheus.tcp.ip = {node.address}", f"prometheus.tcp.port = {PROMETHEUS_PORT}"]
    return "\n".join(lines) + "\n"


def plugins(prometheus: bool) -> str:
    return "[rabbitmq_prometheus].\n" if prometheus else "[].\n"


def environment(node: Node) -> list[str]:
    """What rabbitmq-server and rabbitmqctl are told by their environment (`env` arguments)."""
    return [
        f"HOME={node.home}",  # the Erlang cookie
        "RABBITMQ_USE_LONGNAME=true",
        f"RABBITMQ_NODENAME={node.name}",
        f"RABBITMQ_NODE_IP_ADDRESS={node.address}",
        f"RABBITMQ_DIST_PORT={DIST_PORT}",
        f"RABBITMQ_CONFIG_FILE={node.home}/rabbitmq.conf",
        f"RABBITMQ_ENABLED_PLUGINS_FILE={node.home}/enabled_plugins",
        f"RABBITMQ_MNESIA_BASE={node.home}/mnesia",
        f"RABBITMQ_LOG_BASE={node.home}/log",
        f"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS={LEAN_ERL_ARGS}",
        "RUNNING_UNDER_SYSTEMD=true",  # exec the VM in the foreground, no signal-relaying shell around it
    ]


def server_args(node: Node) -> list[str]:
    return ["env", *environment(node), SERVER]


def ctl_args(node: Node, *command: str) -> list[str]:
    return ["env", *environment(node), CTL, "--longnames", "-n", node.name, *command]


def prepare(members: Sequence[Node], prometheus: bool) -> None:
    """Fresh homes: configuration, plugins and the region's cookie (0600: Erlang refuses a readable one)."""
    cookie = secrets.token_hex(20)
    for node in members:
        home = Path(node.home)
        home.mkdir(parents=True, exist_ok=True)
        for old in ("mnesia", "log"):
            subprocess.run(["rm", "-rf", str(home / old)], check=True)  # noqa: S603, S607
        (home / "rabbitmq.conf").write_text(conf(members, node, prometheus), encoding="utf-8")
        (home / "enabled_plugins").write_text(plugins(prometheus), encoding="utf-8")
        path = home / ".erlang.cookie"
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        path.write_text(cookie, encoding="utf-8")


def running_nodes(cluster_status: str) -> list[str]:
    """The running nodes `rabbitmqctl cluster_status --formatter json` reports ([] if it did not answer)."""
    try:
        found = json.loads(cluster_status).get("running_nodes", [])
    except (ValueError, AttributeError):
        return []
    return sorted(str(n) for n in found)


Run = Callable[[str, list[str]], subprocess.CompletedProcess[str]]


def cluster(node: Node, run: Run) -> list[str]:
    """The running nodes of the cluster as `node` sees it."""
    argv = ctl_args(node, "cluster_status", "--formatter", "json", "--timeout", str(CTL_TIMEOUT_S))
    done = run(node.device, argv)
    return running_nodes(done.stdout) if done.returncode == 0 else []


def deploy(
    group: VipGroup,
    run_dir: Path,
    files: Mapping[str, str],
    run: Run,
    start: Callable[[str, str, list[str]], None],
) -> list[Node]:
    """Start a region's nodes: epmd everywhere, the first node, then the others (which join it)."""
    members = nodes(group, str(run_dir))
    prometheus = prometheus_enabled(files)
    prepare(members, prometheus)
    for node in members:
        start(node.device, "epmd", EPMD)
    start(members[0].device, "rabbitmq", server_args(members[0]))
    await_startup(members[0], run)
    for node in members[1:]:
        start(node.device, "rabbitmq", server_args(node))
    for node in members[1:]:
        await_startup(node, run)
    return members


def await_startup(node: Node, run: Run, within: float = 90) -> None:
    """Until the node has booted (rabbitmqctl's await_startup fails at once while epmd does not know it yet)."""
    deadline = time.monotonic() + within
    while True:
        done = run(node.device, ctl_args(node, "await_startup", "--timeout", "30"))
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            said = done.stderr.strip()[-300:]
            raise DriverError(f"{node.device}: RabbitMQ did not start: {said}", device=node.device)
        time.sleep(0.5)


IDENTITY = re.compile(r"^rabbitmq_identity_info\{(?P<labels>[^}]*)\}", re.MULTILINE)
LABEL = re.compile(r'(\w+)="([^"]*)"')


def identity(metrics: str | None) -> tuple[str, str] | None:
    """(node, cluster's permanent id) from a node's Prometheus endpoint, None when it did not answer. The
    plugin runs inside the rabbit application: a node stopped, or paused in a minority, does not answer."""
    found = IDENTITY.search(metrics or "")
    if found is None:
        return None
    labels = dict(LABEL.findall(found.group("labels")))
    node, cluster = labels.get("rabbitmq_node", ""), labels.get("rabbitmq_cluster_permanent_id", "")
    return (node, cluster) if node and cluster else None  # a plugin without them proves nothing


def one_cluster(members: Sequence[Node], identities: Sequence[tuple[str, str] | None]) -> str | None:
    """What the nodes' own endpoints show: each running, under its name, with one cluster id (made when the
    cluster formed; a node reset, or one that formed a cluster alone, has another). None when they do not. They
    do not show that the nodes reach each other now: a node cut off pauses (`pause_minority`) once Erlang sees
    its peers gone (net_ticktime), which is also when the CLI's running nodes would have shown it."""
    if any(i is None or i[0] != m.name for m, i in zip(members, identities, strict=True)):
        return None
    ids = {i[1] for i in identities if i is not None}
    n = len(members)
    return f"{n}/{n} running nodes with one cluster id (their metrics)" if len(ids) == 1 else None


def health(members: Sequence[Node], run: Run, metrics: Sequence[str | None] = ()) -> tuple[bool, str]:
    """All the region's nodes running in one cluster: shown by their Prometheus endpoints when they all answer
    (`metrics`: each node's, as fetched), else as the first node whose CLI answers reports it. rabbitmqctl boots
    an Erlang VM for each question (seconds of CPU on two loaded cores), and RabbitMQ 3.10's cluster_status asks
    every node for its listeners and flags; the endpoints answer in milliseconds."""
    if metrics:
        proven = one_cluster(members, [identity(m) for m in metrics])
        if proven is not None:
            return True, proven
    wanted = sorted(m.name for m in members)
    silent: list[str] = []
    deadline = time.monotonic() + CTL_DEADLINE_S
    for node in members:
        if silent and time.monotonic() > deadline:
            break
        try:
            seen = cluster(node, run)
        except DriverError:
            seen = []
        if seen:
            quiet = f"; {', '.join(silent)} did not answer" if silent else ""
            return seen == wanted and not silent, (
                f"{len(seen)}/{len(wanted)} running nodes (as {node.device} sees it{quiet})"
            )
        silent.append(node.device)
    return False, f"0/{len(wanted)} running nodes: no node answers ({', '.join(silent)} asked)"
