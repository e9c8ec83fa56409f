"""Build and tear down the emulated platform: namespaces, cables, per-network bridges, addresses.

The state file is written before anything is created, so that `down` removes everything `up` may have made,
also after a crash half-way. Only namespaces the lab created are touched; nothing in the root namespace.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from trisite.drivers import daemons, lab_galera
from trisite.drivers.host import LocalHost
from trisite.errors import LabError
from trisite.lab.plan import LabPlan

STATE_ROOT = Path(os.environ.get("TRISITE_LAB_STATE", "/run/trisite/lab"))
SYSCTLS = (
    "net.ipv4.ip_forward=1",
    "net.ipv6.conf.all.forwarding=1",
    "net.ipv4.conf.all.rp_filter=0",
    "net.ipv4.conf.default.rp_filter=0",
    "net.ipv4.icmp_ratelimit=0",  # UDP probes count port-unreachables; the default allows one per second
)
# Per-network bridges form loops over the MAN triangle and the inter-switch links: STP, at its fastest legal
# timers (forward delay 2 s, hello 1 s, max age 6 s). LLDP stops at the switch, as on real ones (no group_fwd_mask).
BRIDGE = "type bridge stp_state 1 forward_delay 200 hello_time 100 max_age 600"
OUTSIDE_BRIDGE = "type bridge stp_state 0 group_fwd_mask 0x4000"


@dataclass
class LabState:
    name: str
    design: str
    namespaces: list[str]
    pids: list[int] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    phase: str = "planned"
    started: float = 0.0
    defects: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)  # the upper layers it runs (drivers/lab_overlay.LAYERS)


def state_path(name: str) -> Path:
    return STATE_ROOT / name / "state.json"


def load_state(name: str) -> LabState | None:
    path = state_path(name)
    if not path.exists():
        return None
    return LabState(**json.loads(path.read_text(encoding="utf-8")))


def save_state(state: LabState) -> None:
    path = state_path(state.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def existing_namespaces(host: LocalHost) -> set[str]:
    listed = host.run(["ip", "netns", "list"]).stdout
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def up(plan: LabPlan, name: str, design: str, host: LocalHost | None = None) -> LabState:
    host = host or LocalHost()
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces); run as root or use `trisite verify`")
    previous = load_state(name)
    if previous is not None:
        raise LabError(f"lab {name} is already up ({previous.phase}); run `trisite lab down` first")
    taken = existing_namespaces(host) & set(plan.namespaces)
    if taken:
        raise LabError(f"namespace {sorted(taken)[0]} already exists and is not this lab's; remove it first")
    state = LabState(name, design, sorted(plan.namespaces), started=time.time())
    save_state(state)  # before creating anything: `down` can always clean up
    host.ip_batch([f"netns add {n}" for n in state.namespaces])
    host.ip_batch(
        [
            f"link add {link.a_if} netns {link.a_ns} type veth peer name {link.b_if} netns {link.b_ns}"
            for link in plan.links
        ]
    )
    for netns in state.namespaces:
        host.run(["ip", "netns", "exec", netns, "sysctl", "-qw", *SYSCTLS])
        host.ip_batch(_namespace_lines(plan, netns), netns)
    state.phase = "network"
    save_state(state)
    return state


def _namespace_lines(plan: LabPlan, netns: str) -> list[str]:
    lines = ["link set lo up"]
    for space, bridge in plan.bridges:
        if space == netns:
            options = OUTSIDE_BRIDGE if netns.endswith("exchange") else BRIDGE
            if netns in plan.stp_priorities:
                options += f" priority {plan.stp_priorities[netns]}"
            lines += [f"link add {bridge} {options}", f"link set {bridge} up"]
    lines += [f"link set {p.ifname} master {p.bridge}" for p in plan.ports if p.ns == netns]
    lines += [f"link set {port} mtu {mtu}" for space, port, mtu in plan.mtus if space == netns]
    lines += [f"link set {i} up" for i in plan.interfaces(netns)]
    lines += [f"address add {a.cidr} dev {a.ifname}" for a in plan.addresses if a.ns == netns]
    lines += [f"route add {prefix} via {via}" for space, prefix, via in plan.routes if space == netns]
    return lines + source_route_lines(plan, netns)


def static_routes(plan: LabPlan) -> dict[str, list[str]]:
    """Per namespace, its static routes as `ip route replace` lines: what a host's network configuration puts
    back when an interface comes up again (the kernel drops the routes through an interface set down)."""
    found: dict[str, list[str]] = {}
    for space, prefix, via in plan.routes:
        found.setdefault(space, []).append(f"route replace {prefix} via {via}")
    for space, _source, gateway, table in plan.source_routes:
        found.setdefault(space, []).append(f"route replace default via {gateway} table {table}")
    return found


def source_route_lines(plan: LabPlan, netns: str) -> list[str]:
    """The main table first except its default route (connected networks stay direct), then each address's
    own default through its network's gateway."""
    lines = []
    for space, source, gateway, table in plan.source_routes:
        if space == netns:
            lines += [
                f"rule add priority 1000 from {source} table {table}",
                f"route replace default via {gateway} table {table}",
            ]
    return ["rule add priority 900 lookup main suppress_prefixlength 0", *lines] if lines else []


def down(name: str, host: LocalHost | None = None) -> list[str]:
    """Remove everything the lab made (known from its state file); returns what was removed."""
    host = host or LocalHost()
    state = load_state(name)
    if state is None:
        return []
    services = daemons.groups(state_path(name).parent / "services")  # also those a fault restarted
    for pid in [*state.pids, *(-g for g in services)]:  # negative: a process group (a daemon and its loop)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(-pid, 9) if pid < 0 else os.kill(pid, 9)

    present = existing_namespaces(host) & set(state.namespaces)
    _kill_inside(host, present)
    host.ip_batch([f"netns delete {n}" for n in sorted(present)], force=True)
    for directory in state.directories:
        _remove_tree(Path(directory))
    for file in state.files:
        path = Path(file)
        if path.is_dir():
            _remove_tree(path)
        else:
            path.unlink(missing_ok=True)
    state_path(name).unlink(missing_ok=True)
    _remove_tree(lab_galera.data_root(state_path(name).parent))  # outside the lab's directory: mysql's
    _remove_tree(state_path(name).parent)
    return sorted(present)


def _kill_inside(host: LocalHost, namespaces: set[str]) -> None:
    """Every process living in the lab's namespaces, and FRR's watchfrr (which runs outside, per instance)."""
    pids: set[int] = set()
    for netns in namespaces:
        listed = host.run(["ip", "netns", "pids", netns], check=False).stdout.split()
        pids |= {int(p) for p in listed if p.isdigit()}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                words = (proc / "cmdline").read_bytes().split(b"\0")
                if any(w.endswith(b"watchfrr") for w in words[:1]) and any(
                    n.encode() in words for n in namespaces
                ):
                    pids.add(int(proc.name))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def _remove_tree(path: Path) -> None:
    """Remove a directory the lab made (sockets of daemons included)."""
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():
        raise LabError(f"cannot remove {path}; remove it by hand, then run `trisite lab down` again")


def status(name: str, host: LocalHost | None = None) -> dict[str, object]:
    host = host or LocalHost()
    state = load_state(name)
    if state is None:
        return {"name": name, "up": False}
    present = existing_namespaces(host) & set(state.namespaces)
    return {
        "name": name,
        "up": True,
        "phase": state.phase,
        "design": state.design,
        "namespaces": len(present),
        "expected": len(state.namespaces),
        "pids": len(state.pids),
        "defects": state.defects,
        "services": state.services,
    }
