"""The lab's implementation of the driver Protocols: a device is a network namespace, its filesystem a
directory of the lab, its services the real daemons started inside the namespace.

FRR runs one instance per namespace (frrinit.sh with `--netns`); keepalived and ucarp run as processes in the
namespace, ucarp under a restart loop since it exits when its interface goes down. Every process and directory
is recorded in the lab's state, so that `trisite lab down` removes them.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from trisite.drivers import lab_health, lab_monitoring, labmeasure
from trisite.drivers.cephprobe import RadosProbe
from trisite.drivers.host import LocalHost
from trisite.drivers.lab_backups import LabBackups
from trisite.drivers.lab_health import Health
from trisite.drivers.lab_monitoring import SERVICES as MONITORING_SERVICES
from trisite.drivers.lab_monitoring import LabMonitoring, textfile_dir
from trisite.drivers.lab_overlay import LAB, LAYER_CAPABILITIES, Overlay
from trisite.drivers.lab_services import LabServices
from trisite.drivers.lab_vpn import LabVpn
from trisite.drivers.netns import NETNS_DIR, call_in_netns, namespace
from trisite.drivers.observe import BFD_PEERS, BGP_SUMMARY, LINKS, LLDP, QDISCS, bootstrap_rules, ports
from trisite.drivers.ping import PingProbe
from trisite.drivers.protocols import CommandResult, PowerAction, ServiceAction, ServiceFault, parse_probe
from trisite.drivers.redfish import BmcAccess, RedfishBmc
from trisite.drivers.sockprobe import SocketProbe
from trisite.errors import DriverError, TrisiteError
from trisite.model.links import OPERATOR, OPERATOR_PORT

FRR_DAEMONS = ["bgpd", "ospfd", "bfdd", "staticd"]
FRR_ROOT = Path("/etc/frr")
FRR_RUN = Path("/run/frr")
IP = shutil.which("ip") or "/usr/sbin/ip"
# lldpd drops privileges: its sockets live where its user can reach them (not in a private temporary directory).
LLDP_SOCKETS = Path("/run/trisite/lldpd")
# The far end of an internet line is the operator's router (model/links.py's OPERATOR), its port to us
# `customer`: the lab lets checks see it, which a real site does not.


def lldp_socket(lab_dir: Path, device: str) -> Path:
    """The control socket of a device's lldpd (one per namespace)."""
    return LLDP_SOCKETS / lab_dir.name / f"{device}.socket"


NETWORK_CAPABILITIES = frozenset(
    {
        "exec",
        "put",
        "power",
        "service:frr",
        "service:nftables",
        "service:keepalived",
        "service:ucarp",
        "observe:nftables",
        "observe:frr",
        "observe:bootstrap-rules",
        "observe:routes",
        "observe:lldp",
        "observe:ports",
        # The far ends of internet lines (the operators' routers) can be read here, not on a real site.
        "operator-end",
        "observe:bgp",
        "observe:bfd",
        "inspect:bmc",
        # nmap from any namespace, and from the internet client the lab puts beside the operators.
        "scan:flows",
        "scan:internet",
        "measure:throughput",
        # The lab's firewalls are Linux namespaces: an OPNsense firewall is stood in for by FRR, nftables
        # and ucarp rendered from the same design (its API calls cannot be applied here).
        "stand-in:opnsense",
    }
)


def _read_layer(layer: str, read: Callable[[], list[Health]]) -> list[Health]:
    """A layer's readings, or its failure as one unhealthy entry saying why."""
    try:
        return read()
    except (TrisiteError, OSError, KeyError, ValueError, TypeError) as exc:
        return [Health(layer, "reading", False, f"could not be read: {exc}")]


class LabDriver:
    """The lab's driver; `layers` are the upper layers the lab was brought up with (drivers/lab_services.py),
    `overlay` their timers (drivers/lab_overlay.py)."""

    def __init__(
        self,
        lab_dir: Path,
        host: LocalHost | None = None,
        secret: Callable[[str], str] | None = None,
        *,
        layers: frozenset[str] = frozenset(),
        overlay: Overlay = LAB,
    ) -> None:
        self.lab_dir = lab_dir
        self.host = host or LocalHost()
        self._secret = secret
        self.pids: list[int] = []
        self.directories: list[str] = []
        self.files: list[str] = []
        self.services = LabServices(lab_dir, layers, overlay, self.host, self.pids)
        self.layers = layers
        self.monitoring = LabMonitoring(lab_dir, layers, self.pids, self.services.record)
        self.backups = LabBackups(lab_dir, self.services.run, self.pids)
        self.vpn = LabVpn(lab_dir, self.services.run, self.pids)
        layered = {c for layer in layers for c in LAYER_CAPABILITIES.get(layer, frozenset())}
        self.capabilities = NETWORK_CAPABILITIES | layered | ({"fault:service"} if layers else set())

    def netns(self, device: str) -> str:
        return namespace(device)

    def root(self, device: str) -> Path:
        return self.lab_dir / "root" / device

    # -- faults and probes ----------------------------------------------------------------------------------------
    def probe(
        self, device: str, target: str, interval: float, kind: str = "icmp"
    ) -> PingProbe | SocketProbe | RadosProbe:
        try:
            transport, port = parse_probe(kind)
        except ValueError as exc:
            raise DriverError(str(exc)) from None
        if transport == "rados":
            cluster, _, pool = target.partition("/")
            conf = self.services.run / "ceph" / cluster / "ceph.conf"
            if not pool or not conf.is_file():
                raise DriverError(f"rados probe of {target!r}: the lab runs no Ceph cluster {cluster!r}")
            return RadosProbe(self.netns(device), conf, pool, interval)
        if transport == "icmp" or port is None:
            return PingProbe(self.netns(device), target, interval)
        return SocketProbe(self.netns(device), target, port, transport, interval)

    def _links(self) -> dict[str, list[list[str]]]:
        path = self.lab_dir / "links.json"
        if not path.exists():
            raise DriverError(f"{self.lab_dir}: no links.json (is the lab up?)")
        links: dict[str, list[list[str]]] = json.loads(path.read_text(encoding="utf-8"))
        return links

    def components_of(self, device: str) -> list[str]:
        """Every cable, MAN link or line touching a device (what its power loss takes down)."""
        netns = self.netns(device)
        return sorted(c for c, ends in self._links().items() if any(netns in (e[0], e[2]) for e in ends))

    def set_component(self, component: str, up: bool) -> None:
        """Cut (or mend) a cable, MAN link or line: every veth it stands for goes down on both ends. A
        `bgp:LINE` component is the operator's BGP sessions of that line: shut on the operator's router, the
        line itself staying up (the seed's BGP failover). A `service:DEVICE:NAME` component is a daemon stopped
        (and started again): an upper layer's, or a network service of the device (keepalived of a firewall)."""
        self.set_components([component], up)

    def set_components(self, components: Sequence[str], up: bool) -> None:
        """Several components as one event: their veths grouped by namespace and every namespace's `ip` batch
        run at once. A site's power loss cuts its sixty-odd links within a few tenths of a second; one after
        another, in name order, its MAN links and lines went down two seconds after its first cable, and the
        outage measured that spread."""
        for component in components:
            if component.startswith("bgp:"):
                self._operator_sessions(component.removeprefix("bgp:"), up)
            elif component.startswith("service:"):
                self._service_component(component, up)
        cables = [c for c in components if not c.startswith(("bgp:", "service:"))]
        known = self._links()
        unknown = [c for c in cables if c not in known]
        if unknown:
            raise DriverError(f"the lab has no component {', '.join(unknown)}")
        state = "up" if up else "down"
        by_ns: dict[str, list[str]] = {}
        for a_ns, a_if, b_ns, b_if in (end for c in cables for end in known[c]):
            by_ns.setdefault(a_ns, []).append(f"link set {a_if} {state}")
            by_ns.setdefault(b_ns, []).append(f"link set {b_if} {state}")
        with ThreadPoolExecutor(max_workers=min(16, len(by_ns) or 1)) as pool:
            list(pool.map(lambda item: self.host.ip_batch(item[1], item[0]), sorted(by_ns.items())))
        if up:  # as a host's ifup would: the routes the kernel dropped with the interface come back
            for netns in sorted(by_ns):
                self._restore_routes(netns)

    def _restore_routes(self, netns: str) -> None:
        path = self.lab_dir / "routes.json"
        routes: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if routes.get(netns):  # a route whose interface is still down comes back when that one is mended
            self.host.ip_batch(routes[netns], netns, force=True)

    def _service_component(self, component: str, up: bool) -> None:
        device, _, name = component.removeprefix("service:").partition(":")
        if not device or not name:
            raise DriverError(f"{component}: a service fault is service:DEVICE:NAME")
        if name in self.services.daemons(device):
            self.services.fault(device, name, "start" if up else "stop")
        else:
            self.service(device, name, "start" if up else "stop")

    # -- power, through each server's emulated BMC, from the BMC's own network ------------------------------------
    def bmc(self, server: str) -> tuple[str, RedfishBmc]:
        """The namespace to speak from and the Redfish client of a server's BMC."""
        path = self.lab_dir / "bmcs.json"
        records = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if server not in records:
            raise DriverError(
                f"{server}: the lab has no BMC for it (is the lab up? is it a server?)", device=server
            )
        if self._secret is None:
            raise DriverError(
                f"{server}: this driver was made without the design, so it cannot log in to BMCs"
            )
        r = records[server]
        access = BmcAccess(
            server, r["address"], r["port"], r["user"], r["ca"], r["system"], basic_auth=True, attempts=1
        )
        return r["netns"], RedfishBmc(access, self._secret(r["credentials"]))

    def power(self, server: str, action: PowerAction) -> None:
        netns, client = self.bmc(server)
        call_in_netns(netns, lambda: client.power(action))

    def power_state(self, server: str) -> str:
        netns, client = self.bmc(server)
        return call_in_netns(netns, client.power_state)

    def inspect_bmc(self, server: str, timeout: float) -> dict[str, object]:
        netns, client = self.bmc(server)
        return call_in_netns(netns, client.impatient(timeout).inspect)

    def raid_types(self, server: str) -> dict[str, list[str]]:
        netns, client = self.bmc(server)
        return call_in_netns(netns, client.raid_types)

    # -- measurements (drivers/labmeasure.py) --------------------------------------------------------------------
    def scan(
        self, device: str, targets: Sequence[str], tcp: Sequence[int], udp: Sequence[int], *, timeout: float
    ) -> dict[str, dict[str, str]]:
        return labmeasure.scan(self.host, device, targets, (tcp, udp), timeout=timeout)

    def trace(self, device: str, target: str, protocol: str, port: int, *, timeout: float) -> list[str]:
        return labmeasure.trace(self.host, device, target, (protocol, port), timeout=timeout)

    def throughput(self, device: str, peer: str, address: str, *, reverse: bool = False) -> float:
        return labmeasure.throughput(self.host, device, peer, address, reverse)

    def nominal_mbps(self, designed: int) -> int:
        return min(designed, labmeasure.LAB_LINK_MBPS)

    def _operator_sessions(self, line: str, up: bool) -> None:
        path = self.lab_dir / "sessions.json"
        lines = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if line not in lines:
            raise DriverError(f"the lab has no internet line {line} (is the lab up?)")
        session = lines[line]
        verb = "no neighbor" if up else "neighbor"
        commands = ["configure terminal", f"router bgp {session['asn']}"]
        commands += [f"{verb} {peer} shutdown" for peer in session["customers"]]
        args = ["vtysh", "-N", self.netns(f"op-{line}")]
        for command in commands:
            args += ["-c", command]
        done = self.host.run(args, check=False)
        if done.returncode != 0:
            raise DriverError(f"op-{line}: vtysh: {(done.stderr or done.stdout).strip() or 'failed'}")

    def exec(self, device: str, args: Sequence[str], *, timeout: float = 60) -> CommandResult:
        if not (NETNS_DIR / self.netns(device)).exists():
            raise DriverError(f"{device}: the lab has no such device (is the lab up?)", device=device)
        done = self.host.in_netns(self.netns(device), args, check=False, timeout=timeout)
        return CommandResult(done.returncode, done.stdout, done.stderr)

    def put(self, device: str, path: str, content: str, mode: str = "0644") -> None:
        target = self.root(device) / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        target.chmod(int(mode, 8))

    def get(self, device: str, path: str) -> str | None:
        target = self.root(device) / path.lstrip("/")
        return target.read_text(encoding="utf-8") if target.is_file() else None

    def delete(self, device: str, path: str) -> None:
        (self.root(device) / path.lstrip("/")).unlink(missing_ok=True)

    def observe(self, device: str, what: str) -> str:
        if what == "nftables":
            return self._checked(
                device, ["nft", "--stateless", "list", "ruleset"]
            )  # counters are traffic, not drift
        if what == "frr":
            if not self._frr_runs(device):
                return ""  # no FRR runs there (yet): nothing is routed by it
            return self._checked(device, ["vtysh", "-N", self.netns(device), "-c", "show running-config"])
        if what == "routes":  # routes set by commands (proto boot), not those learned by OSPF or BGP
            return self._checked(device, ["ip", "route", "show", "proto", "boot"])
        if what == "bootstrap-rules":
            done = self.exec(device, ["nft", "list", "chain", "inet", "trisite", "bootstrap"])
            return bootstrap_rules(done.stdout) if done.returncode == 0 else ""
        return self._observe_reality(device, what)

    def _observe_reality(self, device: str, what: str) -> str:
        """What acceptance checks read: as delivered, before or after a deployment."""
        if what == "ports" and device.startswith(OPERATOR):
            return self._operator_port(device.removeprefix(OPERATOR))
        if what == "lldp":  # no lldpd there: nothing heard (the check says which neighbours are missing)
            sock = lldp_socket(self.lab_dir, device)
            return self._checked(device, ["lldpcli", "-u", str(sock), *LLDP[1:]]) if sock.exists() else ""
        if what == "ports":  # veths negotiate nothing: no speed, only what shapes them
            return ports(self._checked(device, LINKS), self._checked(device, QDISCS))
        if what in ("bgp", "bfd"):
            if not self._frr_runs(device):
                return ""  # no FRR runs there (yet): no session at all
            command = BGP_SUMMARY if what == "bgp" else BFD_PEERS
            return self._checked(device, ["vtysh", "-N", self.netns(device), "-c", command])
        raise DriverError(f"{device}: the lab cannot observe {what}", device=device)

    def _operator_port(self, line: str) -> str:
        netns = namespace(f"op-{line}")
        if not (NETNS_DIR / netns).exists():
            raise DriverError(f"the lab has no internet line {line} (is the lab up?)")
        links = self.host.in_netns(netns, list(LINKS)).stdout
        qdiscs = self.host.in_netns(netns, list(QDISCS)).stdout
        return json.dumps({OPERATOR_PORT: json.loads(ports(links, qdiscs))["customer"]})

    def _checked(self, device: str, args: Sequence[str]) -> str:
        done = self.exec(device, args)
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()
            raise DriverError(f"{device}: {args[0]}: {last[-1] if last else 'failed'}", device=device)
        return done.stdout

    # -- the upper layers (drivers/lab_services.py) -----------------------------------------------------------------
    def run_tool(self, tool: str, unit: str, files: dict[str, str]) -> CommandResult:
        return self.services.run_tool(tool, unit, files)

    def service_fault(self, device: str, service: str, action: ServiceFault) -> None:
        self.services.fault(device, service, action)

    def service_daemons(self, device: str) -> list[str]:
        return self.services.daemons(device)

    def health(self) -> list[Health]:
        """Every layer's health; a layer whose reading fails (a CLI timing out, a record half written) is
        reported unhealthy with why, never raised: the campaign's steady state and `lab status` read it."""
        recorded = self.services.recorded()
        monitoring: dict[str, dict[str, str]] = recorded.get("monitoring", {})  # type: ignore[assignment]
        readers: list[tuple[str, Callable[[], list[Health]]]] = [
            ("services", lambda: lab_health.read(recorded)),
            ("monitoring", lambda: lab_monitoring.read(monitoring)),
            ("backups", self.backups.health),
            ("vpn", self.vpn.health),
        ]
        with ThreadPoolExecutor(max_workers=len(readers)) as pool:  # each mostly waits on daemons
            found = list(pool.map(lambda r: _read_layer(*r), readers))
        return [h for healths in found for h in healths]

    # -- monitoring proven (prove/alerts.py's AlertDriver) --------------------------------------------------------
    def expected_alerts(self, faults: Sequence[str]) -> list[tuple[str, float]]:
        return self.monitoring.expected_alerts(self.root, faults)

    def alert_times(
        self, name: str, injected: float, mended: float | None
    ) -> tuple[float | None, float | None]:
        return self.monitoring.alert_times(name, injected, mended)

    def service(self, device: str, name: str, action: ServiceAction) -> None:
        if name == "pdns":
            self.services.pdns(device, self.root(device), action)
        elif name == "pdns-health":
            self.services.pdns_health(device, self.root(device), action)
        elif name in MONITORING_SERVICES:
            self.monitoring.service(device, self.root(device), name, action)
        elif name == "frr":
            self._frr(device, action)
        elif name == "nftables":
            self._nftables(device, action)
        elif name == "keepalived":
            self._keepalived(device, action)
        elif name.startswith("ucarp-"):
            self._ucarp(device, name, action)
        elif name.startswith("trisite-backup-") and name.endswith(".timer"):
            self.backups.timer(device, name, action)
        elif name.startswith("wg-quick@"):
            self.vpn.wg_quick(device, name, action, self.root(device))
        elif name == "strongswan":
            if "ipsec" in self.layers:  # else the firewall's vpn step configures its WireGuard only
                self.vpn.strongswan(device, action)
        else:
            raise DriverError(f"{device}: the lab has no service {name}", device=device)

    # -- FRR ------------------------------------------------------------------------------------------------------
    def _frr(self, device: str, action: ServiceAction) -> None:
        netns = self.netns(device)
        if action == "stop":
            self.host.run(["/usr/lib/frr/frrinit.sh", "stop", netns], check=False)
            return
        config = self.root(device) / "etc/frr/frr.conf"
        if not config.exists():
            raise DriverError(f"{device}: no /etc/frr/frr.conf to start FRR with", device=device)
        etc = FRR_ROOT / netns
        etc.mkdir(parents=True, exist_ok=True)
        self.directories += [str(etc), str(FRR_RUN / netns)]
        shutil.copy(config, etc / "frr.conf")
        (etc / "vtysh.conf").write_text("service integrated-vtysh-config\n", encoding="utf-8")
        daemons = [f"{d}=yes" for d in FRR_DAEMONS] + [
            "vtysh_enable=yes",
            'watchfrr_options="--netns"',
            'zebra_options=" -A 127.0.0.1 -s 90000000"',
        ]
        daemons += [f'{d}_options=" -A 127.0.0.1"' for d in FRR_DAEMONS]
        (etc / "daemons").write_text("\n".join(daemons) + "\n", encoding="utf-8")
        self.host.run(["chown", "-R", "frr:frr", str(etc)])
        shared = FRR_RUN / "ospfd-gr.json"  # ospfd's graceful-restart file is shared by every instance
        if not shared.exists():
            self.files.append(str(shared))
        verb = "start" if action == "start" else "restart"
        self.host.run(["/usr/lib/frr/frrinit.sh", verb, netns])
        self.pids += self._pidfiles(FRR_RUN / netns)

    def _frr_runs(self, device: str) -> bool:
        """Whether an FRR daemon of the device is alive (a pid file left by a lab killed before its `down`
        names a process that is gone)."""
        return any(Path(f"/proc/{pid}").exists() for pid in self._pidfiles(FRR_RUN / self.netns(device)))

    @staticmethod
    def _pidfiles(directory: Path) -> list[int]:
        found = []
        for pidfile in sorted(directory.glob("*.pid")):
            text = pidfile.read_text(encoding="utf-8").strip()
            if text.isdigit():
                found.append(int(text))
        return found

    # -- nftables, keepalived, ucarp ------------------------------------------------------------------------------
    def _nftables(self, device: str, action: ServiceAction) -> None:
        ruleset = self.root(device) / "etc/nftables.conf"
        if action == "stop":
            self.exec(device, ["nft", "flush", "ruleset"])
            return
        # The ruleset, then the temporary bootstrap rules beside it (flushed by the last deployment step).
        for path in [ruleset, *sorted((self.root(device) / "etc/nftables.d").glob("*.nft"))]:
            done = self.exec(device, ["nft", "-f", str(path)])
            if done.returncode != 0:
                last = done.stderr.strip().splitlines()[-1] if done.stderr else "failed"
                raise DriverError(f"{device}: nft -f {path.name}: {last}", device=device)

    def _keepalived(self, device: str, action: ServiceAction) -> None:
        run = self.lab_dir / "run" / device
        run.mkdir(parents=True, exist_ok=True)
        if action != "start":
            self._kill_pidfiles(run, "keepalived")
            if action == "stop":
                return
        textfiles = textfile_dir(self.root(device))  # its notify script's HA state (as ucarp's, below)
        textfiles.mkdir(parents=True, exist_ok=True)
        config = run / "keepalived.conf"
        rendered = (self.root(device) / "etc/keepalived/keepalived.conf").read_text(encoding="utf-8")
        config.write_text(self._rooted_notify(device, rendered, textfiles), encoding="utf-8")
        done = self.exec(
            device,
            [
                "keepalived",
                "-f",
                str(config),
                "-p",
                str(run / "keepalived.pid"),
                "-r",
                str(run / "keepalived-vrrp.pid"),
                "--vrrp",
            ],
        )
        if done.returncode != 0:
            raise DriverError(f"{device}: keepalived did not start: {done.stderr.strip()}", device=device)
        self.pids += self._pidfiles(run)

    def _kill_pidfiles(self, run: Path, prefix: str) -> None:
        for pidfile in run.glob(f"{prefix}*.pid"):
            self.host.run(["kill", pidfile.read_text(encoding="utf-8").strip()], check=False)
            pidfile.unlink()

    def _ucarp(self, device: str, unit: str, action: ServiceAction) -> None:
        text = (self.root(device) / f"etc/systemd/system/{unit}.service").read_text(encoding="utf-8")
        match = re.search(r"^ExecStart=(.*)$", text, re.MULTILINE)
        if match is None:
            raise DriverError(f"{device}: {unit} has no ExecStart", device=device)
        args = [self._rooted(device, a) for a in shlex.split(match.group(1))]
        if action in ("stop", "restart"):
            self._kill_pidfiles(self.lab_dir / "run" / device, unit)
            if action == "stop":
                return
        # Its scripts write the HA state where the device's node exporter reads textfile metrics (the
        # rendered path, /var/lib/prometheus/node-exporter, would be one directory for every namespace).
        textfiles = textfile_dir(self.root(device))
        textfiles.mkdir(parents=True, exist_ok=True)
        loop = f"export TRISITE_TEXTFILE_DIR={shlex.quote(str(textfiles))}; "
        loop += f"while true; do {shlex.join(args)}; sleep 1; done"
        process = subprocess.Popen(  # noqa: S603 - our own argument list, supervised like systemd's Restart=always
            [IP, "netns", "exec", self.netns(device), "sh", "-c", loop],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        run = self.lab_dir / "run" / device
        run.mkdir(parents=True, exist_ok=True)
        (run / f"{unit}.pid").write_text(str(process.pid), encoding="utf-8")
        self.pids.append(-process.pid)  # a process group: the loop and its ucarp

    def _rooted_notify(self, device: str, config: str, textfiles: Path) -> str:
        """The rendered keepalived.conf with its notify scripts in the device's lab filesystem, told where the
        device's node exporter reads textfile metrics (keepalived gives its scripts no environment of ours)."""

        def rooted(match: re.Match[str]) -> str:
            script = self.root(device) / match.group(2).lstrip("/")
            return f'{match.group(1)}"/usr/bin/env TRISITE_TEXTFILE_DIR={textfiles} {script}"'

        return re.sub(r"^(\s*notify\S*\s+)(/\S+)\s*$", rooted, config, flags=re.MULTILINE)

    def _rooted(self, device: str, argument: str) -> str:
        """ucarp's file arguments (--passfile, --upscript) point into the device's lab filesystem."""
        for option in ("--passfile=", "--upscript=", "--downscript="):
            if argument.startswith(option):
                return option + str(self.root(device) / argument[len(option) :].lstrip("/"))
        return argument
