"""Ceph in the lab: what cephadm's steps leave running (drivers/lab_ceph_config.py says what from the rendered
artifacts), Debian's ceph-mon, ceph-mgr, ceph-osd and ceph-mds as supervised daemons (drivers/daemons.py) in
the hosts' namespaces, every file under the lab's directory; pools.sh and clients.sh run with the `ceph` CLI
from the first `_admin` host, as cephadm's operator runs them; and the cluster's health read back.

The steps (plan/platform.py, `_ceph_steps`): `bootstrap` writes the cluster's ceph.conf, `hosts` records the
host specs (labels, CRUSH location, OSD service), `services` makes and starts the MONs, the MGR, the OSDs of
the host specs and the MDSs, `pools` and `clients` run the rendered scripts.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from trisite.drivers import daemons
from trisite.drivers import lab_ceph_config as config
from trisite.drivers.host import LocalHost
from trisite.drivers.lab_overlay import CephOverlay
from trisite.drivers.netns import namespace
from trisite.errors import DriverError

Starter = Callable[[str, str, list[str]], None]  # device, daemon name, arguments
Recorder = Callable[[str, str, object], None]  # layer, key, value
CLI_TIMEOUT = 60


def ceph_cli(
    host: LocalHost, device: str, conf: Path, args: Sequence[str], timeout: float = CLI_TIMEOUT
) -> str:
    """The `ceph` CLI's answer inside a host's namespace (it raises when the command fails)."""
    done = host.in_netns(
        namespace(device),
        ["ceph", "-c", str(conf), "--connect-timeout", str(int(timeout)), *args],
        check=False,
        timeout=timeout + 5,
    )
    if done.returncode != 0:
        raise DriverError(f"{device}: ceph {' '.join(args)}: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


class LabCeph:
    """One cluster's deployment steps; `recorded` is what earlier steps recorded of it (services.json)."""

    def __init__(
        self,
        cluster: str,
        run: Path,
        host: LocalHost,
        overlay: CephOverlay,
        *,
        start: Starter,
        record: Recorder,
    ) -> None:
        self.cluster = cluster
        self.run = run
        self.root = run / "ceph" / cluster
        self.conf = self.root / "ceph.conf"
        self.host = host
        self.overlay = overlay
        self._start = start
        self._record = record

    def step(self, role: str, files: Mapping[str, str], recorded: Mapping[str, object]) -> str:
        steps: dict[str, Callable[[Mapping[str, str], Mapping[str, object]], str]] = {
            "bootstrap": self.bootstrap,
            "hosts": self.hosts,
            "services": self.services,
            "pools": self.pools,
            "clients": self.clients,
        }
        if role not in steps:
            raise DriverError(f"cephadm {self.cluster}:{role}: the lab knows no such step")
        started = time.monotonic()
        said = steps[role](files, recorded)
        return f"{said} ({time.monotonic() - started:.1f} s)"

    def _one(self, files: Mapping[str, str], suffix: str) -> str:
        found = [t for p, t in files.items() if p.endswith(suffix)]
        if len(found) != 1:
            raise DriverError(f"cephadm {self.cluster}: expected one rendered {suffix}, got {len(found)}")
        return found[0]

    def bootstrap(self, files: Mapping[str, str], _recorded: Mapping[str, object]) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "rendered.conf").write_text(self._one(files, "ceph.conf"), encoding="utf-8")
        self._record("ceph", self.cluster, {"conf": str(self.conf)})
        return f"ceph {self.cluster}: bootstrap configuration written"

    def hosts(self, files: Mapping[str, str], recorded: Mapping[str, object]) -> str:
        found = config.hosts(files)
        self._record("ceph", self.cluster, {**recorded, "hosts": [asdict(h) for h in found]})
        return f"ceph {self.cluster}: {len(found)} hosts"

    def services(self, files: Mapping[str, str], recorded: Mapping[str, object]) -> str:
        specs = self._one(files, "services.yaml")
        all_hosts = [_host(h) for h in recorded.get("hosts", [])]  # type: ignore[attr-defined]
        if not all_hosts:
            raise DriverError(f"cephadm {self.cluster}: services before hosts")
        placement = config.placements(specs)
        by_name = {h.name: h for h in all_hosts}
        mons = config.placed(all_hosts, *placement["mon"])
        mon_addresses = [(m, by_name[m].address) for m in mons]
        rendered = (self.root / "rendered.conf").read_text(encoding="utf-8")
        conf = config.ceph_conf(
            rendered, config.fsid(self.cluster), mon_addresses, str(self.root), self.overlay
        )
        self.conf.write_text(conf, encoding="utf-8")
        self._mons(mon_addresses)
        label, wanted = placement.get("mgr", ("mgr", 1))
        mgrs = config.placed(all_hosts, label, min(wanted, self.overlay.mgrs))
        for mgr in mgrs:
            self._daemon(mgr, "ceph-mgr", "mgr", mgr)
        osds = self._osds([h for h in all_hosts if h.osd_devices])
        mdss = config.placed(all_hosts, *placement["mds"]) if "mds" in placement else []
        for mds in mdss:
            self._daemon(mds, "ceph-mds", "mds", mds)
        admin = config.placed(all_hosts, "_admin", 1)
        self._record(
            "ceph",
            self.cluster,
            {
                **recorded,
                "conf": str(self.conf),
                "mons": mons,
                "mgrs": mgrs,
                "osds": osds,
                "mdss": mdss,
                "admin": admin[0] if admin else mons[0],
            },
        )
        return f"ceph {self.cluster}: {len(mons)} MONs, {len(mgrs)} MGR, {len(osds)} OSDs, {len(mdss)} MDSs"

    def _mons(self, mons: Sequence[tuple[str, str]]) -> None:
        monmap = self.root / "monmap"
        self.host.run(
            [
                "monmaptool",
                "--create",
                "--clobber",
                "--fsid",
                config.fsid(self.cluster),
                *config.monmap_args(mons),
                str(monmap),
            ]
        )
        for name, _ in mons:
            if not (self.root / f"mon.{name}" / "store.db").exists():  # a new monitor, made in its namespace
                self.host.in_netns(
                    namespace(name),
                    ["ceph-mon", "-c", str(self.conf), "--mkfs", "-i", name, "--monmap", str(monmap)],
                )
            self._daemon(name, "ceph-mon", "mon", name)

    def _daemon(self, device: str, program: str, kind: str, ident: str, *extra: str) -> None:
        """Start a daemon, unless it runs already: a deployment run again leaves the cluster alone (restarting
        every memstore OSD at once would lose every object)."""
        if daemons.running(self.run, device, program):
            return
        (self.root / f"{kind}.{ident}").mkdir(parents=True, exist_ok=True)
        self._start(device, program, [program, "-f", "-c", str(self.conf), "-i", ident, *extra])

    def _osds(self, osd_hosts: Sequence[config.CephHost]) -> dict[str, int]:
        """One OSD per host of the design's OSD services (the overlay's memstore stands in for its disks)."""
        admin = osd_hosts[0].name
        found = {}
        for h in osd_hosts:
            osd_uuid = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{h.name}.{self.cluster}.ceph.trisite"))
            ident = ceph_cli(self.host, admin, self.conf, ["osd", "new", osd_uuid]).strip()
            data = self.root / f"osd.{ident}"
            if not (data / "fsid").exists():
                data.mkdir(parents=True, exist_ok=True)
                self.host.in_netns(
                    namespace(h.name),
                    ["ceph-osd", "-c", str(self.conf), "--mkfs", "-i", ident, "--osd-uuid", osd_uuid],
                )
            self._daemon(h.name, "ceph-osd", "osd", ident, "--crush-location", config.crush_location(h))
            found[h.name] = int(ident)
        return found

    def pools(self, files: Mapping[str, str], recorded: Mapping[str, object]) -> str:
        script = config.scaled_pools(self._one(files, "pools.sh"), self.overlay.pg_divisor)
        return self._script("pools.sh", script, recorded)

    def clients(self, files: Mapping[str, str], recorded: Mapping[str, object]) -> str:
        return self._script("clients.sh", self._one(files, "clients.sh"), recorded)

    def _script(self, name: str, text: str, recorded: Mapping[str, object]) -> str:
        """Run a rendered script with the `ceph` CLI from the admin host, as cephadm's operator would."""
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        admin = str(recorded.get("admin", ""))
        if not admin:
            raise DriverError(f"cephadm {self.cluster}: {name} before the services")
        done = self.host.in_netns(
            namespace(admin), ["env", f"CEPH_CONF={self.conf}", "sh", str(path)], check=False, timeout=300
        )
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()
            raise DriverError(f"cephadm {self.cluster}: {name} on {admin}: {last[-1] if last else 'failed'}")
        return f"ceph {self.cluster}: {name} ran on {admin}"


def _host(recorded: Mapping[str, object]) -> config.CephHost:
    r = dict(recorded)
    return config.CephHost(
        str(r["name"]),
        str(r["address"]),
        tuple(r["labels"]),  # type: ignore[arg-type]
        tuple((str(k), str(v)) for k, v in r["location"]),  # type: ignore[attr-defined]
        int(r["osd_devices"]),  # type: ignore[call-overload]
    )


def status(recorded: Mapping[str, object], host: LocalHost | None = None) -> tuple[bool, str]:
    """(healthy, what is wrong or what is right): HEALTH_OK, every MON in quorum, every PG active+clean."""
    mons = [str(m) for m in recorded.get("mons", [])]  # type: ignore[attr-defined]
    answer = cluster_status(recorded, host)
    if answer is None:
        return False, f"no MON answers ({', '.join(mons) or 'none started'})"
    return judged(answer, len(mons))


def cluster_status(recorded: Mapping[str, object], host: LocalHost | None = None) -> dict[str, Any] | None:
    """`ceph status`, asked from each MON host in turn (one cut off from the others cannot answer); None when
    none answers."""
    local = host or LocalHost()
    conf = Path(str(recorded["conf"]))
    for mon in [str(m) for m in recorded.get("mons", [])]:  # type: ignore[attr-defined]
        try:
            answer: dict[str, Any] = json.loads(
                ceph_cli(local, mon, conf, ["status", "-f", "json"], timeout=5)
            )
        except (DriverError, ValueError):
            continue
        return answer
    return None


def settled(answer: dict[str, Any], mons: int) -> bool:
    """Every MON in quorum and every PG active+clean, whatever the warnings (after a site's return, Ceph warns
    of the slow heartbeats of the cut for the minutes it averages them over)."""
    pgmap = answer.get("pgmap", {})
    states = {str(s["state_name"]): int(s["count"]) for s in pgmap.get("pgs_by_state", [])}
    total = int(pgmap.get("num_pgs", 0))
    return (
        len(answer.get("quorum_names", [])) == mons and total > 0 and states.get("active+clean", 0) == total
    )


def judged(answer: dict[str, Any], mons: int) -> tuple[bool, str]:
    """Healthy or not, and why, from `ceph status -f json`."""
    health, pgmap = answer.get("health", {}), answer.get("pgmap", {})
    states = {str(s["state_name"]): int(s["count"]) for s in pgmap.get("pgs_by_state", [])}
    total, clean = int(pgmap.get("num_pgs", 0)), states.get("active+clean", 0)
    quorum = answer.get("quorum_names", [])
    checks = sorted(health.get("checks", {}).items())
    said = [
        str(health.get("status")),
        *(f"{n}: {c.get('summary', {}).get('message', '')}" for n, c in checks),
    ]
    said += [f"quorum {len(quorum)}/{mons}", f"{clean}/{total} PGs active+clean"]
    return health.get("status") == "HEALTH_OK" and settled(answer, mons), "; ".join(said)
