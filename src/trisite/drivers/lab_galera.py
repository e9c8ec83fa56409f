"""A region's Galera in the lab, as Kolla deploys it: MariaDB 10.11 + galera-4 on each controller (Kayobe's
`[controllers]`, their internal addresses from Kayobe's allocation) when Kolla's globals say `enable_mariadb`,
rsync SST, the overlay's evs timers.

How it is started (Kolla's order): the first controller bootstraps a new cluster, the others join ONE AT A TIME
(each waited Primary and Synced on its own socket: two joiners at once took 18.8-55.9 s with the lab's evs
timers, one at a time ~9 s). mariadbd runs as the `mysql` user, as Kolla's container does: run as root, its
rsync SST transferred files as nobody and the joiners failed on root's 0660 files. Its data therefore lives
where mysql can reach it (`DATA_ROOT`: pytest's temporary directories are 0700). The bootstrap flag is a
one-shot file, so that the supervisor's restart loop rejoins after a crash instead of bootstrapping again.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from trisite.drivers.lab_configs import VipGroup, kolla_globals
from trisite.drivers.lab_overlay import Overlay
from trisite.errors import DriverError

DATA_ROOT = Path("/var/lib/trisite-lab")  # 0755 parents: the mysql user must traverse them
MARIADB = shutil.which("mariadb") or "/usr/bin/mariadb"
PROVIDER = "/usr/lib/galera/libgalera_smm.so"
DATABASE = "standin"  # what the stand-in APIs write, as an OpenStack API writes its own database
MYSQL_USER = "mysql"
RESOLVER_OPTIONS = "timeout:1 attempts:1"
EXPORTER_PORT = 9104  # Kolla's prometheus_mysqld_exporter_port; the rendered galera targets name it
WANTED = {
    "wsrep_cluster_status": "Primary",
    "wsrep_local_state_comment": "Synced",
    "wsrep_ready": "ON",
}


@dataclass(frozen=True)
class Node:
    device: str
    address: str
    directory: str  # its datadir, socket and pid file live here

    @property
    def socket(self) -> str:
        return f"{self.directory}/mysqld.sock"

    @property
    def cnf(self) -> str:
        return f"{self.directory}/my.cnf"


def enabled(files: Mapping[str, str]) -> bool:
    """Kolla's `enable_mariadb` (its default is yes) in the region's rendered globals."""
    return bool(kolla_globals(files).get("enable_mariadb", True))


def exporter_args(node: Node) -> list[str]:
    """mysqld-exporter on NODE's address, reading its node through the socket as root (socket authentication:
    no password to keep), as Kolla's prometheus_mysqld_exporter container does over the network."""
    return [
        "env",
        f"DATA_SOURCE_NAME=root@unix({node.socket})/",
        "prometheus-mysqld-exporter",
        f"--web.listen-address={node.address}:{EXPORTER_PORT}",
    ]


def nodes(group: VipGroup, root: str) -> list[Node]:
    """A node per controller, its files under `root/DEVICE/galera`."""
    return [Node(device, address, f"{root}/{device}/galera") for device, address in group.members]


def provider_options(address: str, ov: Overlay) -> str:
    """galera-4's options: the overlay's evs timers (keepalive under a third of suspect_timeout, which galera
    requires), a small gcache for the lab, and every listener on the node's own address."""
    return ";".join(
        [
            f"evs.suspect_timeout={ov.galera_suspect}",
            f"evs.inactive_timeout={ov.galera_inactive}",
            f"evs.keepalive_period={ov.galera_keepalive}",
            f"evs.join_retrans_period={ov.galera_join_retrans}",
            "gcache.size=16M",
            f"gmcast.listen_addr=tcp://{address}:4567",
            f"ist.recv_addr={address}:4568",
        ]
    )


def cnf(group: VipGroup, node: Node, ov: Overlay) -> str:
    """my.cnf of one node (Kolla's galera.cnf, lab-sized): the region's controllers in the cluster address."""
    lines = [
        "[mysqld]",
        f"datadir={node.directory}/data",
        f"socket={node.socket}",
        f"pid-file={node.directory}/mysqld.pid",
        f"tmpdir={node.directory}",  # its own: servers side by side sharing /tmp failed to install
        f"bind-address={node.address}",
        "port=3306",
        "skip-name-resolve",
        "binlog_format=ROW",
        "default_storage_engine=InnoDB",
        "innodb_autoinc_lock_mode=2",
        "innodb_buffer_pool_size=16M",
        "innodb_log_file_size=16M",
        "innodb_use_native_aio=OFF",  # the machine's AIO contexts are shared with the lab's other daemons
        "performance_schema=OFF",
        "max_connections=50",
        "key_buffer_size=1M",
        "wsrep_on=ON",
        f"wsrep_provider={PROVIDER}",
        f"wsrep_cluster_name={group.name}",
        f"wsrep_cluster_address=gcomm://{','.join(ip for _, ip in group.members)}",
        f"wsrep_node_address={node.address}",
        f"wsrep_node_name={node.device}",
        "wsrep_sst_method=rsync",
        f"wsrep_sst_receive_address={node.address}:4444",
        f'wsrep_provider_options="{provider_options(node.address, ov)}"',
    ]
    return "\n".join(lines) + "\n"


def install_cnf(node: Node) -> str:
    """The system tables are made without wsrep (as a single server, no network): with the node's my.cnf the
    bootstrap ran with galera loaded and failed in the lab (ERROR 1051, unknown table mysql.tmp_user_sys)."""
    lines = [
        "[mysqld]",
        f"datadir={node.directory}/data",
        f"socket={node.directory}/install.sock",
        "skip-networking",
        f"tmpdir={node.directory}",  # its own: installs running side by side failed on a shared /tmp
        "innodb_buffer_pool_size=16M",
        "innodb_log_file_size=16M",
        "innodb_use_native_aio=OFF",
        "wsrep_on=OFF",
    ]
    return "\n".join(lines) + "\n"


def daemon_args(node: Node) -> list[str]:
    """mariadbd as the mysql user; with --wsrep-new-cluster only while the one-shot `bootstrap` file exists
    (the deployment creates it on the first controller; the first start consumes it). RES_OPTIONS: the rsync
    daemon of an SST looks up each donor's name, and the machine's resolver is unreachable from the lab's
    namespaces (5 s x 2 per rsync connection, 40-50 s per SST; 1 s x 1 with this)."""
    boot = f"{node.directory}/bootstrap"
    run = f"exec mariadbd --defaults-file={node.cnf} --user={MYSQL_USER}"
    script = f"export RES_OPTIONS='{RESOLVER_OPTIONS}'; "
    script += f"if rm {boot} 2>/dev/null; then {run} --wsrep-new-cluster; else {run}; fi"
    return ["sh", "-c", script]


def install_args(node: Node) -> list[str]:
    return [
        "mariadb-install-db",
        f"--defaults-file={node.directory}/install.cnf",  # it must come first
        f"--user={MYSQL_USER}",
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
    ]


def query(socket: str, sql: str, timeout: float = 5.0) -> list[list[str]] | None:
    """The rows a node answers over its socket (root by socket authentication), None if it does not."""
    try:
        done = subprocess.run(  # noqa: S603 - our own arguments
            [MARIADB, "--protocol=socket", "-S", socket, "-u", "root", "-N", "-B", "-e", sql],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    return [line.split("\t") for line in done.stdout.splitlines()] if done.returncode == 0 else None


def status(socket: str) -> dict[str, str]:
    """A node's wsrep status ({} when it does not answer)."""
    rows = query(socket, "SHOW GLOBAL STATUS LIKE 'wsrep_%'") or []
    return {r[0]: r[1] for r in rows if len(r) == 2}


def synced(seen: Mapping[str, str], size: int) -> bool:
    """A node in a primary component of `size`, synced and ready to take writes."""
    return seen.get("wsrep_cluster_size") == str(size) and all(seen.get(k) == v for k, v in WANTED.items())


def summary(seen: Mapping[str, str]) -> str:
    if not seen:
        return "down"
    keys = ("wsrep_cluster_size", "wsrep_cluster_status", "wsrep_local_state_comment", "wsrep_ready")
    return " ".join(seen.get(k, "?") for k in keys)


def wait(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise DriverError(f"{what}: not done within {within:g} s")
        time.sleep(0.2)


def prepare(node: Node, text: str, install: Callable[[list[str]], subprocess.CompletedProcess[str]]) -> None:
    """A fresh node: its directory (owned by mysql), my.cnf, and the system tables."""
    directory = Path(node.directory)
    shutil.rmtree(directory, ignore_errors=True)
    (directory / "data").mkdir(parents=True)
    for parent in reversed(directory.parents):
        if str(parent).startswith(str(DATA_ROOT)):
            parent.chmod(0o755)
    Path(node.cnf).write_text(text, encoding="utf-8")
    Path(node.directory, "install.cnf").write_text(install_cnf(node), encoding="utf-8")
    shutil.chown(directory, MYSQL_USER, MYSQL_USER)
    shutil.chown(directory / "data", MYSQL_USER, MYSQL_USER)
    done = install(install_args(node))
    if done.returncode != 0:
        said = [line for line in (done.stderr + done.stdout).splitlines() if "ERROR" in line]
        raise DriverError(
            f"{node.device}: mariadb-install-db failed: {' | '.join(said[-5:])}", device=node.device
        )


def start_cluster(members: Sequence[Node], size: int, start: Callable[[Node], None], within: float) -> None:
    """Bootstrap on the first node, then join the others one at a time (each Synced before the next)."""
    first = members[0]
    Path(f"{first.directory}/bootstrap").touch()
    start(first)
    wait(lambda: synced(status(first.socket), 1), within, f"{first.device}: Galera bootstrap")
    for count, node in enumerate(members[1:], start=2):
        start(node)

        def joined(joiner: Node = node, size_now: int = count) -> bool:
            return synced(status(joiner.socket), size_now)

        wait(joined, within, f"{node.device}: Galera join")
    if not all(synced(status(n.socket), size) for n in members):
        raise DriverError(f"{first.device}: Galera did not reach {size} synced nodes")


def create_database(first: Node) -> None:
    """The stand-ins' database (replicated to every node), as Kolla's bootstrap creates each service's."""
    sql = (
        f"CREATE DATABASE IF NOT EXISTS {DATABASE}; "
        f"CREATE TABLE IF NOT EXISTS {DATABASE}.writes "
        "(id INT AUTO_INCREMENT PRIMARY KEY, node VARCHAR(64) NOT NULL, at TIMESTAMP(6) DEFAULT NOW(6))"
    )
    if query(first.socket, sql) is None:
        raise DriverError(f"{first.device}: could not create the {DATABASE} database")


def data_root(lab_dir: Path) -> Path:
    """Where a lab's Galera nodes keep their files (removed by `lab down`)."""
    return DATA_ROOT / lab_dir.name


def socket_of(lab_dir: Path, device: str) -> str:
    return Node(device, "", f"{data_root(lab_dir)}/{device}/galera").socket


def deploy(
    group: VipGroup,
    lab_dir: Path,
    ov: Overlay,
    in_netns: Callable[[str, list[str]], subprocess.CompletedProcess[str]],
    *,
    start: Callable[[str, list[str]], None],
    stop: Callable[[str], None],
) -> list[Node]:
    """Install and start a region's cluster (`in_netns(device, argv)` runs a command in the device's namespace,
    `start(device, argv)` supervises a daemon there, `stop(device)` stops it); returns its nodes, Synced.
    Deployed again, the region's old nodes are stopped first: one still in the old cluster would answer the
    new joiners' gcomm and hold their join."""
    members = nodes(group, str(data_root(lab_dir)))
    for node in members:
        stop(node.device)
    with ThreadPoolExecutor(len(members)) as pool:  # mariadb-install-db takes seconds each
        list(pool.map(lambda n: prepare(n, cnf(group, n, ov), lambda a: in_netns(n.device, a)), members))
    start_cluster(members, len(members), lambda n: start(n.device, daemon_args(n)), within=120)
    create_database(members[0])
    return members


def health(members: Sequence[Sequence[str]]) -> tuple[bool, str]:
    """Every node of the region (device, socket) in a primary component of all of them, Synced and ready."""
    seen = [status(socket) for _, socket in members]
    ok = all(synced(s, len(members)) for s in seen)
    return ok, ", ".join(f"{m[0]} {summary(s)}" for m, s in zip(members, seen, strict=True))
