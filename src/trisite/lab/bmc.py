"""The servers' BMCs: per OOB network, sushy-tools' Redfish emulator (fake driver) serving one system per server
at every BMC address of that network, over HTTPS with a certificate the lab makes, behind the design's account;
and the watcher that turns power actions into the server's namespace going dark (bmcwatch.py).

Quirks are what a supplier defect changes (comma-separated, several per server): `raid-only` (the controller
cannot pass disks through, no JBOD), `hangs` (the BMC stops answering: its address drops every packet to the
Redfish port), `clock-hours` (its clock runs CLOCK_SKEW_S ahead) and `timezone` (it keeps local time, WRONG_OFFSET).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trisite.drivers.host import LocalHost
from trisite.drivers.netns import call_in_netns, namespace
from trisite.errors import LabError
from trisite.lab.bmcwatch import WATCH_ADDRESS
from trisite.lab.build import source_route_lines
from trisite.lab.plan import BmcPlan, LabPlan
from trisite.model import Design
from trisite.model.devices import Server

READY_TIMEOUT = 30.0
JBOD_CAPABLE = ["None", "RAID0", "RAID1", "RAID10"]  # "None": no RAID, each disk passed through (JBOD)
RAID_ONLY = ["RAID0", "RAID1", "RAID10"]
PROTOCOLS = {"nvme": "NVMe", "ssd": "SATA", "hdd": "SAS"}
# sushy-tools checks the bcrypt hash on every request: the lowest cost keeps the lab's BMCs answering quickly.
BCRYPT_ROUNDS = 4
CLOCK_SKEW_S = 5 * 3600  # a BIOS clock set by hand on the supplier's bench, in another time zone
WRONG_OFFSET = "+02:00"  # the supplier's own time zone, left in the BMC


def has(quirks: dict[str, str], server: str, quirk: str) -> bool:
    return quirk in quirks.get(server, "").split(",")


def mac(server: str, nic: str) -> str:
    """A stable, locally administered MAC address per NIC (what the BMC lists for it)."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, f"trisite:nic:{server}:{nic}").bytes
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


def system_id(server: str) -> str:
    """A stable Redfish system id per server (what a BMC reports as its system's UUID)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"trisite:server:{server}"))


def _storage(server: Server, raid_only: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The server's disk controller and drives, as the emulator's static storage configuration."""
    controller: dict[str, Any] = {
        "MemberId": "0",
        "Name": "disk controller",
        "Model": "RAID-only controller" if raid_only else "RAID/HBA controller",
        "SpeedGbps": 12,
        "SupportedRAIDTypes": RAID_ONLY if raid_only else JBOD_CAPABLE,
    }
    drives: list[dict[str, Any]] = [
        {
            "Id": d.name,
            "Name": d.name,
            "CapacityBytes": d.size_gb * 10**9,
            "Protocol": PROTOCOLS[d.media],
        }
        for d in server.disks
    ]
    storage = {"Id": "1", "Name": "local storage", "StorageControllers": [controller], "Drives": []}
    storage["Drives"] = [d["Id"] for d in drives]
    return [storage], drives


def _certificate(directory: Path, addresses: list[str]) -> None:
    """A self-signed certificate naming every BMC address; clients check it (it is their CA bundle)."""
    cert, key = directory / "cert.pem", directory / "key.pem"  # where _emulator_config points
    names = ",".join(f"IP:{a}" for a in addresses)
    LocalHost().run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "30", "-subj", "/CN=trisite lab BMC", "-addext", f"subjectAltName={names}",
            "-keyout", str(key), "-out", str(cert),
        ]
    )  # fmt: skip
    key.chmod(0o600)


def _auth_file(directory: Path, bmcs: list[BmcPlan], secret: Callable[[str], str]) -> Path:
    """htpasswd with bcrypt, the only digest sushy-tools accepts; one line per account."""
    import bcrypt  # noqa: PLC0415 - the lab's extra: trisite without the lab does not need it

    accounts: dict[str, str] = {}
    for bmc in bmcs:
        password = secret(bmc.credentials)
        if accounts.setdefault(bmc.user, password) != password:
            raise LabError(
                f"BMCs on {bmc.netns} share the account {bmc.user} with different passwords; "
                "the lab serves one network's BMCs from one emulator"
            )
    path = directory / "htpasswd"
    lines = [
        f"{user}:{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()}"
        for user, pw in sorted(accounts.items())
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def _emulator_config(design: Design, bmcs: list[BmcPlan], directory: Path, quirks: dict[str, str]) -> str:
    servers = {s.name: s for s in design.servers}
    systems, storage, drives, skews, zones = [], {}, {}, {}, {}
    for bmc in bmcs:
        sid, server = system_id(bmc.server), servers[bmc.server]
        nics = [{"mac": mac(server.name, n.name)} for n in server.nics]
        systems.append(
            {"uuid": sid, "name": bmc.server, "power_state": "On", "external_notifier": True, "nics": nics}
        )
        storage[sid], drives[(sid, "1")] = _storage(server, has(quirks, bmc.server, "raid-only"))
        if has(quirks, bmc.server, "clock-hours"):
            skews[sid] = CLOCK_SKEW_S
        if has(quirks, bmc.server, "timezone"):
            zones[sid] = WRONG_OFFSET
    settings = {
        "SUSHY_EMULATOR_FAKE_DRIVER": True,
        "SUSHY_EMULATOR_FAKE_SYSTEMS": systems,
        "SUSHY_EMULATOR_STATE_DIR": str(directory / "state"),
        "SUSHY_EMULATOR_STORAGE": storage,
        "SUSHY_EMULATOR_DRIVES": drives,
        "SUSHY_EMULATOR_AUTH_FILE": str(directory / "htpasswd"),
        "SUSHY_EMULATOR_LISTEN_IP": "0.0.0.0",  # noqa: S104 - every BMC address of this namespace
        "SUSHY_EMULATOR_LISTEN_PORT": bmcs[0].port,
        "SUSHY_EMULATOR_SSL_CERT": str(directory / "cert.pem"),
        "SUSHY_EMULATOR_SSL_KEY": str(directory / "key.pem"),
        "EXTERNAL_NOTIFICATION_URL": "http://{}:{}/".format(*WATCH_ADDRESS),
        "TRISITE_CLOCK_SKEW": skews,  # read by trisite.lab.bmcserve
        "TRISITE_TZ_OFFSET": zones,
    }
    return "".join(f"{name} = {value!r}\n" for name, value in settings.items())  # a Python file, as it reads


def _watch_spec(lab_plan: LabPlan, bmcs: list[BmcPlan]) -> dict[str, Any]:
    systems = {}
    for bmc in bmcs:
        netns = namespace(bmc.server)
        routes = [
            f"route replace {prefix} via {via}" for space, prefix, via in lab_plan.routes if space == netns
        ]
        routes += [line for line in source_route_lines(lab_plan, netns) if line.startswith("route")]
        systems[system_id(bmc.server)] = {
            "server": bmc.server,
            "netns": netns,
            "interfaces": lab_plan.interfaces(netns),
            "routes": routes,
        }
    return {"systems": systems}


def _spawn(netns: str, args: list[str], log: Path) -> int:
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own argument list
            ["ip", "netns", "exec", netns, sys.executable, *args],  # noqa: S607 - the lab's PATH
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # The emulator shows its clock as datetime.now() with +00:00 appended: it must run on UTC.
            env={**os.environ, "TZ": "UTC"},
        )
    return process.pid


def _listening(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _wait_listening(netns: str, bmcs: list[BmcPlan], log: Path) -> None:
    first = bmcs[0]
    started = time.monotonic()
    while not call_in_netns(netns, lambda: _listening(first.address, first.port)):
        if time.monotonic() - started > READY_TIMEOUT:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["(empty)"]
            raise LabError(
                f"the BMC emulator of {netns} did not listen within {READY_TIMEOUT:g} s: {tail[0]}"
            )
        time.sleep(0.2)


def _hang(bmc: BmcPlan) -> None:
    """The BMC stops answering: every packet to its Redfish port is dropped (no refusal, no reset)."""
    rules = (
        "table inet trisite_bmc {\n  chain input {\n    type filter hook input priority 0; policy accept;\n"
        f"    ip daddr {bmc.address} tcp dport {bmc.port} drop\n  }}\n}}\n"
    )
    LocalHost().run(["ip", "netns", "exec", bmc.netns, "nft", "-f", "-"], stdin=rules)


def access_records(lab_plan: LabPlan, lab_dir: Path) -> dict[str, dict[str, Any]]:
    """What a driver needs to reach each BMC (no secret: the password is read when it is used)."""
    return {
        bmc.server: {
            "netns": bmc.netns,
            "address": bmc.address,
            "port": bmc.port,
            "user": bmc.user,
            "credentials": bmc.credentials,
            "system": system_id(bmc.server),
            "ca": str(lab_dir / "bmc" / bmc.netns / "cert.pem"),
        }
        for bmc in lab_plan.bmcs
    }


def start(
    design: Design, lab_plan: LabPlan, lab_dir: Path, secret: Callable[[str], str], quirks: dict[str, str]
) -> list[int]:
    """Start every OOB network's watcher and emulator; returns their PIDs once all listen."""
    by_netns: dict[str, list[BmcPlan]] = {}
    for bmc in lab_plan.bmcs:
        by_netns.setdefault(bmc.netns, []).append(bmc)
    pids: list[int] = []
    logs = {}
    for netns, bmcs in sorted(by_netns.items()):
        if len({b.port for b in bmcs}) > 1:
            raise LabError(f"BMCs on {netns} use different ports; the lab serves one port per OOB network")
        directory = lab_dir / "bmc" / netns
        (directory / "state").mkdir(parents=True, exist_ok=True)
        _certificate(directory, [b.address for b in bmcs])
        _auth_file(directory, bmcs, secret)
        config = directory / "emulator.conf"
        config.write_text(_emulator_config(design, bmcs, directory, quirks), encoding="utf-8")
        spec = directory / "watch.json"
        spec.write_text(json.dumps(_watch_spec(lab_plan, bmcs), indent=1, sort_keys=True), encoding="utf-8")
        logs[netns] = directory / "emulator.log"
        pids.append(_spawn(netns, ["-m", "trisite.lab.bmcwatch", str(spec)], directory / "watch.log"))
        pids.append(_spawn(netns, ["-m", "trisite.lab.bmcserve", "--config", str(config)], logs[netns]))
    for netns, bmcs in sorted(by_netns.items()):
        _wait_listening(netns, bmcs, logs[netns])
    for bmc in lab_plan.bmcs:
        if has(quirks, bmc.server, "hangs"):
            _hang(bmc)
    (lab_dir / "bmcs.json").write_text(
        json.dumps(access_records(lab_plan, lab_dir), indent=1, sort_keys=True), encoding="utf-8"
    )
    return pids
