"""The lab's upper layers measured, each with the tools' default timers first (the baseline) and then with the
lab overlay's (drivers/lab_overlay.py), in one run on one lab:

- etcd: a new leader after the leader is killed (the two others agree on one), target <= 1 s;
- an API VIP: the longest gap between answers of a client polling region-a's internal VIP every 20 ms when the
  controller holding it dies (its NICs cut, as the lab's node fault does), target <= 1.3 s;
- DNS: the time from region-a's HAProxies stopping until the failover record answers region-b's address,
  target <= 0.4 s;
- backups: a 64 MiB file backed up from dc1-ops1 to its repository on dc2-ops1 (restic over SFTP, the
  rendered job), and restored from there at dc3-ops1; the VPN: the admin WireGuard tunnel of dc1-fw1 from its
  (re)start to its first handshake with the lab's client;
- and the lab's memory (PSS of every process in its namespaces) and its `lab up` + deploy time.

    flock /tmp/trisite-lab.lock .venv/bin/python bench/lab_services.py [ROUNDS]   (root, the lab's packages)
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from trisite import pipelines
from trisite.drivers.host import LocalHost
from trisite.drivers.lab import LabDriver
from trisite.drivers.lab_health import dns_answer, etcd_status, http_get
from trisite.drivers.lab_overlay import DEFAULTS, LAB, LAYERS, Overlay
from trisite.drivers.netns import call_in_netns, namespace
from trisite.lab import build, session
from trisite.model import load_design
from trisite.render import render

REFERENCE = Path(__file__).resolve().parents[1] / "examples" / "three-sites" / "design.yaml"
NAME = "bench-services"
ETCD = {"k8s-cp1": "198.18.50.11", "k8s-cp2": "198.18.50.12", "k8s-cp3": "198.18.50.13"}
REGION_A = ("ra-ctl1", "ra-ctl2", "ra-ctl3")
VIP, CLIENT = "198.18.40.100", "dc1-cmp1"
DNS_HOST, RECORD, FALLBACK = "dc1-ops1", "www.example.net", "198.51.100.21"


def until(check: Callable[[], bool], within: float, step: float = 0.01) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise SystemExit(f"not within {within:g} s: {getattr(check, '__name__', 'a condition')}")
        time.sleep(step)
    return time.monotonic() - started


def redeploy(design_files: dict[str, str], overlay: Overlay) -> LabDriver:
    """The services started again with `overlay`'s timers (the rest of the lab as it is)."""
    driver = session.driver_for(NAME, overlay=overlay)
    for tool, prefix in (("kubespray", "platform/kubespray/"), ("kayobe", "platform/kayobe/")):
        units = sorted({p.split("/")[2] for p in design_files if p.startswith(prefix)})
        for unit in units:
            driver.run_tool(
                tool, unit, {p: t for p, t in design_files.items() if p.startswith(prefix + unit)}
            )
    for host in ("dc1-ops1", "dc2-ops1", "dc3-ops1"):
        driver.service(host, "pdns", "restart")
    session.record(NAME, driver)
    until(lambda: all(h.ok for h in driver.health()), 60, 0.2)
    return driver


def leader() -> str | None:
    seen = {m: call_in_netns(namespace(m), lambda a=a: etcd_status(a, 2379, 0.2)) for m, a in ETCD.items()}
    ids = {s[0]: m for m, s in seen.items() if s}
    leaders = {s[1] for s in seen.values() if s}
    return ids.get(leaders.pop()) if len(leaders) == 1 else None


def etcd_election(driver: LabDriver) -> float:
    until(lambda: leader() is not None, 30)
    old = leader()
    assert old is not None
    driver.service_fault(old, "etcd", "stop")
    took = until(lambda: leader() not in (None, old), 30)
    driver.service_fault(old, "etcd", "start")
    until(lambda: all(h.ok for h in driver.health() if h.layer == "etcd"), 30, 0.2)
    return took


def holder() -> str | None:
    host = LocalHost()
    for device in REGION_A:
        if f" {VIP}/" in host.in_netns(namespace(device), ["ip", "-4", "-br", "address"]).stdout:
            return device
    return None


def vip_gap(driver: LabDriver) -> float:
    until(lambda: holder() is not None, 30)
    old = holder()
    assert old is not None
    answered: list[float] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            if http_get(f"http://{VIP}:5000/", timeout=0.2):
                answered.append(time.monotonic())
            time.sleep(0.02)

    thread = threading.Thread(target=lambda: call_in_netns(namespace(CLIENT), client), daemon=True)
    thread.start()
    until(lambda: len(answered) > 5, 10)
    driver.set_component(f"vm:{old}", up=False)  # the controller dies: its NICs go dark
    time.sleep(8)  # the window the client polls through (default timers take ~4 s)
    stop.set()
    thread.join()
    driver.set_component(f"vm:{old}", up=True)
    until(lambda: all(h.ok for h in driver.health()), 30, 0.2)
    return max(b - a for a, b in itertools.pairwise(answered))


def dns_failover(driver: LabDriver) -> float:
    def answer() -> list[str]:
        return call_in_netns(namespace(DNS_HOST), lambda: dns_answer("127.0.0.1", RECORD, 0.3))

    until(lambda: answer() not in ([], [FALLBACK]), 60, 0.1)
    for device in REGION_A:
        driver.service_fault(device, "haproxy", "stop")
    took = until(lambda: answer() == [FALLBACK], 60)
    for device in REGION_A:
        driver.service_fault(device, "haproxy", "start")
    return took


BACKUP_SOURCE, BACKUP_UNIT, RESTORE_ON = "dc1-ops1", "trisite-backup-ops-config", "dc3-ops1"


def backup_and_restore(driver: LabDriver, mib: int = 64) -> tuple[float, float]:
    """Seconds to back up a file of `mib` MiB across sites with the rendered job, and to restore it at a third."""
    source = driver.root(BACKUP_SOURCE) / "var/lib/trisite/bench.bin"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(os.urandom(mib * 1024 * 1024))
    started = time.perf_counter()
    driver.backups.run(BACKUP_SOURCE, BACKUP_UNIT)
    backed_up = time.perf_counter() - started
    target = driver.lab_dir / "bench-restore"
    started = time.perf_counter()
    driver.backups.restore(BACKUP_SOURCE, BACKUP_UNIT, RESTORE_ON, target)
    restored = time.perf_counter() - started
    same = (target / str(source).lstrip("/")).read_bytes() == source.read_bytes()
    source.unlink()
    if not same:
        raise SystemExit("the restored file differs from the one backed up")
    return backed_up, restored


def vpn_establish(driver: LabDriver, firewall: str = "dc1-fw1") -> float:
    """Seconds from wg-quick@wg-admin's restart on a firewall to its handshake with the lab's client."""
    started = time.perf_counter()
    driver.service(firewall, "wg-quick@wg-admin", "restart")
    until(lambda: (driver.vpn.handshake_age(firewall, "wg-admin") or 1e9) < 5, 30)
    return time.perf_counter() - started


def lab_pss_mib(name: str, only: str | None = None) -> float:
    """The proportional memory of every process in the lab's namespaces (or of those named `only`)."""
    state = build.load_state(name)
    assert state is not None
    host, total = LocalHost(), 0
    for netns in state.namespaces:
        for pid in host.run(["ip", "netns", "pids", netns], check=False).stdout.split():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="utf-8")
                comm = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
            except OSError:
                continue
            if only is None or comm == only:
                total += sum(int(ln.split()[1]) for ln in rollup.splitlines() if ln.startswith("Pss:"))
    return total / 1024


def measure(files: dict[str, str], overlay: Overlay, rounds: int) -> dict[str, list[float]]:
    driver = redeploy(files, overlay)
    found: dict[str, list[float]] = {"etcd": [], "vip": [], "dns": []}
    for _ in range(rounds):
        found["etcd"].append(etcd_election(driver))
        found["vip"].append(vip_gap(driver))
        found["dns"].append(dns_failover(driver))
    return found


def main(rounds: int) -> None:
    loaded = load_design(REFERENCE)
    build.down(NAME)
    try:
        started = time.perf_counter()
        session.up(loaded, NAME, str(REFERENCE), layers=LAYERS)
        pipelines.deploy_job(loaded, "lab", lab=NAME)
        up_deploy = time.perf_counter() - started
        healthy = until(lambda: all(h.ok for h in session.driver_for(NAME).health()), 60, 0.2)
        print(f"lab up + deploy with services: {up_deploy:.1f} s, every layer healthy {healthy:.1f} s later")
        print(f"lab memory (PSS, every process in its namespaces): {lab_pss_mib(NAME):.0f} MiB")
        for daemon in ("sshd", "wireguard-go"):
            print(f"  of which {daemon}: {lab_pss_mib(NAME, daemon):.0f} MiB")
        driver = session.driver_for(NAME)
        backed_up, restored = backup_and_restore(driver)
        print(
            f"backup of 64 MiB dc1 -> dc2 (restic, SFTP): {backed_up:.1f} s; restore at dc3: {restored:.1f} s"
        )
        tunnels = [vpn_establish(driver) for _ in range(rounds)]
        print(f"WireGuard admin tunnel up (restart to handshake): median {statistics.median(tunnels):.2f} s")
        files = {a.path: a.content for a in render(loaded.design)}
        results = {o.name: measure(files, o, rounds) for o in (DEFAULTS, LAB)}
        report(results, rounds)
    finally:
        build.down(NAME)


def report(results: dict[str, dict[str, list[float]]], rounds: int) -> None:
    labels = {"etcd": "etcd new leader", "vip": "API VIP client gap", "dns": "DNS failover answer"}
    targets = {"etcd": 1.0, "vip": 1.3, "dns": 0.4}
    print(f"{rounds} rounds each; median (max) seconds")
    for key, label in labels.items():
        base, lab = results[DEFAULTS.name][key], results[LAB.name][key]
        ratio = statistics.median(base) / max(statistics.median(lab), 1e-3)
        verdict = "ok" if max(lab) <= targets[key] else "OVER"
        print(
            f"{label:22} defaults {statistics.median(base):6.2f} ({max(base):5.2f})   "
            f"lab {statistics.median(lab):5.2f} ({max(lab):5.2f})   x{ratio:4.1f} faster   "
            f"target <= {targets[key]:g} s: {verdict}"
        )


def backups_and_vpn(rounds: int) -> None:
    """Only the backups and VPN layers (`lab_services.py backups-vpn`): their figures without the others'."""
    loaded = load_design(REFERENCE)
    build.down(NAME)
    try:
        session.up(loaded, NAME, str(REFERENCE), layers=("backups", "vpn"))
        pipelines.deploy_job(loaded, "lab", lab=NAME)
        driver = session.driver_for(NAME)
        until(lambda: all(h.ok for h in driver.health()), 60, 0.2)
        for daemon in ("sshd", "wireguard-go"):
            print(f"{daemon}: {lab_pss_mib(NAME, daemon):.0f} MiB (PSS, every one in the lab)")
        for _ in range(rounds):
            backed_up, restored = backup_and_restore(driver)
            tunnel = vpn_establish(driver)
            print(
                f"64 MiB backup dc1 -> dc2 {backed_up:.1f} s, restore at dc3 {restored:.1f} s; tunnel {tunnel:.2f} s"
            )
    finally:
        build.down(NAME)


if __name__ == "__main__":
    if sys.argv[1:2] == ["backups-vpn"]:
        backups_and_vpn(int(sys.argv[2]) if len(sys.argv) > 2 else 3)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
