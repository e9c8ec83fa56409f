"""Failovers measured in the lab, each next to its baseline in the same run:

- the loss of site 1's firewall pair, seen from the internet on a path through site 2 (BGP and BFD only),
  with the reference design's timers (BFD 100 ms x 3, keepalive/hold 3/9 s) and with FRR's defaults
  (no BFD, 60/180 s);
- the failover of the tenant gateway's virtual address (VRRP on the virtual firewalls) when its master VM
  dies, seen from a tenant VM at site 3, with the reference's adverts (100 ms) and with 1 s adverts;
- how long `lab up` and `lab down` take for the reference design.

Targets (issue 5): site loss <= 0.5 s and VIP failover <= 0.4 s with sub-second timers; up <= 15 s, down <= 10 s.

    .venv/bin/python bench/lab_failover.py [CASE]     (root, with the lab's packages; CASE filters by name)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from trisite import pipelines
from trisite.lab import build, session
from trisite.model import LoadedDesign, load_design
from trisite.model.design import Design
from trisite.model.devices import Vm
from trisite.model.network import Address
from trisite.prove import campaign
from trisite.prove import measure as prove_measure
from trisite.prove.scenarios import Scenario

TENANT_GROUP = "tenant-gw"  # the reference's sub-second VRRP group, on the virtual firewalls
REFERENCE = Path(__file__).resolve().parents[1] / "examples" / "three-sites" / "design.yaml"
NAME = "bench"


def frr_defaults(design: Design) -> Design:
    uplinks = [
        u.model_copy(
            update={
                "bgp": u.bgp.model_copy(
                    update={"bfd": None, "keepalive_s": 60, "hold_time_s": 180, "connect_retry_s": 120}
                )
            }
        )
        for u in design.uplinks
    ]
    return design.model_copy(update={"uplinks": uplinks})


def with_tenant(design: Design, advert_ms: int | None = None) -> Design:
    """A tenant VM at site 3 behind the virtual firewalls' VRRP gateway (the probe's source); with `advert_ms`,
    that group's adverts changed."""
    groups = [
        g.model_copy(update={"advert_interval_ms": advert_ms}) if g.name == TENANT_GROUP and advert_ms else g
        for g in design.ha_groups
    ]
    tenant = Vm(
        name="tenant-vm",
        cluster="main",
        preferred_host="dc3-virt1",
        storage_domain="vmstore",
        addresses=[Address(network="tenant-edge", ip="198.18.60.50")],
    )
    return design.model_copy(update={"ha_groups": groups, "vms": [*design.vms, tenant]})


BMC_MEMORY: list[tuple[int, float]] = []  # (processes, MiB resident), taken once, in the first lab


def bmc_memory() -> tuple[int, float]:
    """The BMC emulators and power watchers of the running lab: how many, and their resident memory."""
    state = build.load_state(NAME)
    count, kib = 0, 0
    for pid in state.pids if state else []:
        proc = Path("/proc") / str(abs(pid))
        try:
            if b"trisite.lab.bmc" not in (proc / "cmdline").read_bytes():
                continue
            status = (proc / "status").read_text(encoding="utf-8")
        except OSError:
            continue
        count += 1
        kib += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return count, kib / 1024


def measure(
    loaded: LoadedDesign, design: Design, scenario: Scenario, observe: float
) -> tuple[float | None, float, float]:
    variant = LoadedDesign(design, loaded.source, loaded.base_dir)
    build.down(NAME)
    started = time.perf_counter()
    session.up(variant, NAME, str(REFERENCE))
    up_s = time.perf_counter() - started
    if not BMC_MEMORY:
        BMC_MEMORY.append(bmc_memory())
    try:
        pipelines.deploy_job(variant, "lab", lab=NAME)
        session.wait_ready(variant, NAME)
        prove_measure.OBSERVE, prove_measure.SETTLE = observe, 0.0
        (result,) = campaign.run(design, session.driver_for(NAME), [scenario]).results
    finally:
        started = time.perf_counter()
        build.down(NAME)
        down_s = time.perf_counter() - started
    return result.measured.seconds, up_s, down_s


def main() -> None:
    loaded = load_design(REFERENCE)
    d = loaded.design
    dc2_fw1_public = next(
        str(a.ip) for f in d.firewalls if f.name == "dc2-fw1" for a in f.addresses if a.network == "services"
    )
    site_loss = Scenario(
        "site-1 firewalls lost, path through site 2",
        ("device:dc1-fw1", "device:dc1-fw2"),
        "internet",
        dc2_fw1_public,
        ("internet/",),
    )
    group = next(g for g in d.ha_groups if g.name == TENANT_GROUP)
    master = max(group.members, key=lambda m: m.priority).device
    vip = Scenario(
        f"{TENANT_GROUP} master ({master}) lost",
        (f"device:{master}",),
        "tenant-vm",
        str(group.vips[0]),
        (f"vip/{TENANT_GROUP}",),
    )
    design_ms = group.advert_interval_ms
    rows = [
        ("site loss, reference timers (BFD 100 ms x 3)", d, site_loss, 15.0),
        ("site loss, FRR defaults (no BFD, 60/180 s)", frr_defaults(d), site_loss, 240.0),
        (f"VIP failover, VRRP {design_ms} ms adverts (reference)", with_tenant(d), vip, 15.0),
        ("VIP failover, VRRP 1 s adverts", with_tenant(d, 1000), vip, 15.0),
    ]
    measured = {}
    print(f"{'case':<48} {'outage s':>9} {'lab up s':>9} {'lab down s':>10}")
    only = sys.argv[1] if len(sys.argv) > 1 else ""  # e.g. "VIP": run the matching cases only
    for label, design, scenario, observe in rows:
        if only not in label:
            continue
        outage, up_s, down_s = measure(loaded, design, scenario, observe)
        measured[label] = outage
        shown = "never" if outage is None else f"{outage:.2f}"
        print(f"{label:<48} {shown:>9} {up_s:>9.2f} {down_s:>10.2f}")
    ratios = (
        ("FRR defaults / reference timers", rows[1][0], rows[0][0]),
        (f"VRRP 1 s / VRRP {design_ms} ms", rows[3][0], rows[2][0]),
    )
    if BMC_MEMORY:
        processes, mib = BMC_MEMORY[0]
        print(f"BMC emulators and power watchers: {processes} processes, {mib:.0f} MiB resident")
    for label, slow, fast in ratios:
        a, b = measured.get(fast), measured.get(slow)
        if a and b:
            print(f"ratio {label}: {b / a:.1f}x")


if __name__ == "__main__":
    main()
