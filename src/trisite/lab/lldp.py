"""LLDP on every device, as real gear ships it: one lldpd per namespace, on the design's ports only (not on the
per-network veths that stand in for VLANs), announcing the device's own name."""

from __future__ import annotations

import json
from pathlib import Path

from trisite.drivers.host import LocalHost
from trisite.drivers.lab import lldp_socket
from trisite.drivers.netns import namespace
from trisite.errors import LabError
from trisite.lab.plan import LabPlan
from trisite.model import Design

PIDFILE = Path("/run/lldpd.pid")  # lldpd's own, shared by every instance


def native_ports(design: Design, plan: LabPlan) -> dict[str, list[str]]:
    """Device -> its cabled ports, by the design's names."""
    names: dict[str, set[str]] = {s.name: set(s.port_speeds()) for s in design.switches}
    names |= {s.name: {n.name for n in s.nics} for s in design.servers}
    names |= {f.name: {n.name for n in f.nics} for f in design.firewalls if f.kind == "physical"}
    found: dict[str, list[str]] = {}
    for device, ports in names.items():
        here = namespace(device)
        cabled = {lk.a_if for lk in plan.links if lk.a_ns == here} | {
            lk.b_if for lk in plan.links if lk.b_ns == here
        }
        if ports & cabled:
            found[device] = sorted(ports & cabled)
    return found


def start(
    design: Design,
    plan: LabPlan,
    lab_dir: Path,
    announced: dict[str, str] | None = None,
    host: LocalHost | None = None,
) -> list[str]:
    """Start lldpd everywhere, each device announcing its name (or the one in `announced`: a defect); returns
    the files and directories it creates outside the lab's directory."""
    host = host or LocalHost()
    run = socket(lab_dir, "x").parent
    created = [str(run)] + ([] if PIDFILE.exists() else [str(PIDFILE)])
    run.mkdir(parents=True, exist_ok=True, mode=0o755)
    for device, ports in sorted(native_ports(design, plan).items()):
        conf = run / f"{device}.conf"
        name = (announced or {}).get(device, device)
        lines = [
            f"configure system hostname {name}",
            "configure lldp portidsubtype ifname",
            "configure lldp tx-interval 1",
        ]
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        host.in_netns(
            namespace(device),
            [
                "lldpd",
                "-k",
                "-u",
                str(socket(lab_dir, device)),
                "-I",
                ",".join(ports),
                "-O",
                str(conf),
                "-S",
                f"trisite lab {device}",
            ],
        )
    return created


def socket(lab_dir: Path, device: str) -> Path:
    return lldp_socket(lab_dir, device)  # where the lab driver reads it (observe "lldp")


def neighbours(lab_dir: Path, device: str, host: LocalHost | None = None) -> dict[str, tuple[str, str]]:
    """Port -> (neighbour's name, neighbour's port), as this device's lldpd sees them."""
    host = host or LocalHost()
    done = host.run(
        ["lldpcli", "-u", str(socket(lab_dir, device)), "-f", "json", "show", "neighbors"], check=False
    )
    if done.returncode != 0:
        raise LabError(f"{device}: lldpcli: {done.stderr.strip() or 'no answer'}")
    data = json.loads(done.stdout or "{}").get("lldp", {})
    entries = data.get("interface", []) if isinstance(data, dict) else []
    if isinstance(entries, dict):  # one neighbour: lldpcli gives a mapping, several: a list of mappings
        entries = [{k: v} for k, v in entries.items()]
    found = {}
    for entry in entries:
        for port, info in entry.items():
            chassis = next(iter(info.get("chassis", {})), "")
            found[port] = (chassis, str(info.get("port", {}).get("id", {}).get("value", "")))
    return found
