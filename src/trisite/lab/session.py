"""A lab session: bring the emulated platform up (the network, then the outside world), deploy into it, and
take it all down. The CLI and the demo go through here."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from trisite.drivers import lab_vpn
from trisite.drivers.host import LocalHost
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_backups import MAX_AGES
from trisite.drivers.lab_overlay import LAB, LAYERS, Overlay
from trisite.drivers.secrets import reveal, reveal_or_make
from trisite.drivers.targets import Target
from trisite.errors import LabError, SecretError
from trisite.lab import bmc, build, defects, lldp
from trisite.lab.outside import start_operators
from trisite.lab.plan import LabPlan, plan
from trisite.model import LoadedDesign

CARP_SETTLE = 4.0


LAB_TOOLS = (
    "ip",
    "bridge",
    "vtysh",
    "nft",
    "ucarp",
    "keepalived",
    "lldpd",
    "lldpcli",
    "ping",
    "openssl",
    "nmap",
    "iperf3",
)
LAB_MODULES = ("sushy_tools", "bcrypt")  # the BMC emulators: pip install 'trisite[lab]'
LAYER_TOOLS = {
    "etcd": ("etcd",),
    "vips": ("haproxy", "keepalived"),
    "dns": ("pdns_server",),
    "monitoring": (
        "prometheus",
        "prometheus-alertmanager",
        "prometheus-blackbox-exporter",
        "prometheus-node-exporter",
        "prometheus-frr-exporter",
    ),
    "ceph": ("ceph-mon", "ceph-mgr", "ceph-osd", "ceph-mds", "ceph", "rbd", "monmaptool"),
    "galera": ("mariadbd", "mariadb-install-db", "rsync"),
    "rabbitmq": ("rabbitmq-server", "rabbitmqctl", "epmd"),
    "backups": ("restic", "ssh", "ssh-keygen"),
    "vpn": ("wireguard-go", "wg"),
    "ipsec": ("swanctl",),  # and /usr/lib/ipsec/charon, off the PATH
}


def missing_tools() -> str:
    """Why the lab cannot run here ('' when it can)."""
    if os.geteuid() != 0:
        return "not root"
    absent = [t for t in LAB_TOOLS if shutil.which(t) is None] + (
        [] if Path("/usr/lib/frr/frrinit.sh").exists() else ["frr"]
    )
    absent += [f"python module {m}" for m in _absent_modules()]
    return f"missing {', '.join(absent)}" if absent else ""


def _absent_modules() -> list[str]:
    return [m for m in LAB_MODULES if importlib.util.find_spec(m) is None]


def lab_dir(name: str) -> Path:

    return build.STATE_ROOT / name


def save_links(name: str, lab_plan: LabPlan) -> None:
    """Which interfaces each component's failure takes down: what fault injection cuts."""
    links: dict[str, list[list[str]]] = {}
    for link in lab_plan.links:
        links.setdefault(link.cable, []).append([link.a_ns, link.a_if, link.b_ns, link.b_if])
    (lab_dir(name) / "links.json").write_text(json.dumps(links, indent=1, sort_keys=True), encoding="utf-8")
    routes = json.dumps(build.static_routes(lab_plan), indent=1, sort_keys=True)
    (lab_dir(name) / "routes.json").write_text(routes, encoding="utf-8")


def secret_reader(loaded: LoadedDesign, name: str) -> Callable[[str], str]:
    """The lab's secrets: the design's when set, else made once for this lab (drivers/secrets.py)."""
    secrets, store = loaded.design.secrets, lab_dir(name) / "secrets"
    return lambda secret: reveal_or_make(
        secret, secrets[secret], loaded.base_dir, store, allowed=loaded.allowed
    )


def make_wireguard_keys(loaded: LoadedDesign, name: str) -> None:
    """WireGuard's keys that the design leaves unset, made as `wg genkey` makes them: the lab's usual random
    password is no Curve25519 key, and wg refuses it."""
    store = lab_dir(name) / "secrets"
    wanted = {
        k
        for v in loaded.design.vpn
        if v.technology == "wireguard"
        for k in (v.key, *(e.key for e in v.endpoints))
    }
    for key in sorted(wanted):
        try:
            reveal(key, loaded.design.secrets[key], loaded.base_dir, allowed=loaded.allowed)
        except SecretError:
            lab_vpn.make_key(store / key)


def driver_for(name: str, loaded: LoadedDesign | None = None, overlay: Overlay = LAB) -> LabDriver:
    """The lab's driver; with the design, it can also read secrets (BMC accounts) when it uses them. It runs
    the upper layers the lab was brought up with (`up(..., layers)`), with `overlay`'s timers."""
    state = build.load_state(name)
    layers = frozenset(state.services) if state else frozenset()
    secret = secret_reader(loaded, name) if loaded else None
    return LabDriver(lab_dir(name), secret=secret, layers=layers, overlay=overlay)


def record(name: str, driver: LabDriver) -> None:
    state = build.load_state(name)
    if state is None:
        raise LabError(f"lab {name} is not up")
    state.pids = sorted(set(state.pids) | set(driver.pids))
    state.directories = sorted(
        set(state.directories) | set(driver.directories) | {str(lab_dir(name) / "root")}
    )
    state.files = sorted(set(state.files) | set(driver.files))
    build.save_state(state)


def up(
    loaded: LoadedDesign,
    name: str,
    design_path: str,
    defect_names: Sequence[str] = (),
    layers: Sequence[str] = (),
) -> build.LabState:
    """Build what the suppliers deliver: the design, or with `defect_names` what they got wrong; `layers` are
    the upper layers a deployment will then run in it (etcd, vips, dns, monitoring, ceph)."""
    unknown = sorted(set(layers) - set(LAYERS))
    if unknown:
        raise LabError(f"--service {unknown[0]}: the lab runs {', '.join(LAYERS)}")
    absent = sorted({t for layer in layers for t in LAYER_TOOLS[layer] if shutil.which(t) is None})
    if absent:
        raise LabError(f"the lab's services need {', '.join(absent)}: make lab-deps installs them")
    delivered_defects = defects.chosen(list(defect_names))
    absent = _absent_modules()
    if loaded.design.servers and absent:
        raise LabError(f"the lab's BMC emulators need {', '.join(absent)}: pip install 'trisite[lab]'")
    delivered = defects.as_delivered(loaded.design, delivered_defects)
    lab_plan = plan(delivered)
    state = build.up(lab_plan, name, design_path)
    save_links(name, lab_plan)

    driver = driver_for(name)
    try:
        announced = defects.announced_names(loaded.design, delivered_defects)
        driver.files += lldp.start(delivered, lab_plan, lab_dir(name), announced)

        start_operators(loaded.design, driver, loaded.base_dir, lab_dir(name) / "secrets")
        quirks = defects.bmc_quirks(loaded.design, delivered_defects)
        driver.pids += bmc.start(delivered, lab_plan, lab_dir(name), secret_reader(loaded, name), quirks)
        for (device, path), content in defects.delivered_files(loaded.design, delivered_defects).items():
            driver.put(device, path, content)
        for defect in delivered_defects:
            if defect.after_up is not None:
                defect.after_up(delivered, LocalHost())
    finally:
        record(name, driver)
    wait_switching(lab_plan)
    state = build.load_state(name) or state
    state.defects = [d.name for d in delivered_defects]
    state.services = [layer for layer in LAYERS if layer in layers]
    if "vpn" in layers:
        make_wireguard_keys(loaded, name)
    ages = {job.name: job.max_age_h for job in loaded.design.backups}
    (lab_dir(name) / MAX_AGES).write_text(json.dumps(ages, sort_keys=True), encoding="utf-8")
    state.phase = "outside"

    build.save_state(state)
    return state


SWITCHING_TIMEOUT = 30.0
SETTLING = frozenset({"listening", "learning"})


def wait_switching(lab_plan: LabPlan, timeout: float = SWITCHING_TIMEOUT) -> float:
    """Seconds until every bridge port has left STP's listening and learning states (forwarding, blocking or
    disabled): before that, HA daemons started by a deployment would not hear each other and both take over."""
    host = LocalHost()
    namespaces = sorted({netns for netns, _ in lab_plan.bridges})
    started = time.monotonic()
    while True:
        settling = [
            f"{netns}:{port['ifname']}"
            for netns in namespaces
            for port in json.loads(host.in_netns(netns, ["bridge", "-j", "link", "show"]).stdout or "[]")
            if port.get("state") in SETTLING
        ]
        if not settling:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise LabError(
                f"STP has not settled after {timeout:g} s ({len(settling)} ports, e.g. {settling[0]})"
            )
        time.sleep(0.25)


def bgp_established(driver: LabDriver, firewall: str) -> bool:
    done = driver.exec(firewall, ["vtysh", "-N", driver.netns(firewall), "-c", "show bgp summary json"])
    if done.returncode != 0 or not done.stdout.strip():
        return False
    peers = json.loads(done.stdout).get("ipv4Unicast", {}).get("peers", {})
    return bool(peers) and all(p.get("state") == "Established" for p in peers.values())


def wait_ready(loaded: LoadedDesign, name: str, timeout: float = 60.0) -> float:
    """Seconds until every line's firewalls hold their BGP sessions and every service deployed is healthy (the
    lab has converged)."""
    driver = driver_for(name)
    firewalls = sorted({f for up in loaded.design.uplinks for f in up.firewalls})
    started = time.monotonic()
    while not all(bgp_established(driver, f) for f in firewalls):
        if time.monotonic() - started > timeout:
            raise LabError(f"lab {name}: BGP not established at every site after {timeout:g} s")
        time.sleep(0.5)
    while sick := [
        h for h in driver.health() if not h.ok
    ]:  # the services deployed are part of the steady state
        if time.monotonic() - started > timeout:
            raise LabError(f"lab {name}: {sick[0].layer} {sick[0].name} unhealthy: {sick[0].detail}")
        time.sleep(0.5)
    time.sleep(CARP_SETTLE)  # the CARP masters take over within three adverts
    return time.monotonic() - started


def target(name: str, driver: LabDriver) -> Target:
    """The lab as a deployment target: its namespaces through the lab driver, its journal beside its state;
    with upper layers, the driver also runs what the lab runs of Kubespray and Kayobe."""
    return Target("lab", driver, lab_dir(name) / "deploy", tools=driver)


def status(name: str) -> dict[str, object]:
    """What the lab holds now, with the health of each service a deployment started."""
    found = build.status(name)
    recorded = ("services.json", "backups.json", "vpn.json")  # drivers/lab_services, lab_backups, lab_vpn
    if found.get("up") and any((lab_dir(name) / r).exists() for r in recorded):
        found["health"] = [
            {"layer": h.layer, "name": h.name, "ok": h.ok, "detail": h.detail}
            for h in driver_for(name).health()
        ]
    return found
