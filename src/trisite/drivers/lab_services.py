"""The upper layers in the lab: what a Kubespray, Kayobe or PowerDNS deployment leaves running, started from the
rendered artifacts as supervised daemons (drivers/daemons.py), one member per host namespace.

Which layers run is chosen at `lab up` (`--services`, `--service LAYER`); what was started is written to
`services.json` beside the lab's state, so that health (drivers/lab_health.py) and faults know where it runs.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from trisite.drivers import daemons, lab_configs, lab_galera, lab_rabbitmq, records
from trisite.drivers.host import LocalHost
from trisite.drivers.lab_ceph import LabCeph
from trisite.drivers.lab_overlay import CEPH_OVERLAYS, ETCD_CLIENT_PORT, STAND_IN_PORT, Overlay
from trisite.drivers.netns import namespace
from trisite.drivers.protocols import CommandResult, ServiceAction
from trisite.errors import DriverError

STAND_IN = Path(lab_configs.__file__).with_name("standin.py")


class LabServices:
    """Starts, stops and records the lab's service daemons; `pids` collects the process groups started."""

    def __init__(
        self, lab_dir: Path, layers: frozenset[str], overlay: Overlay, host: LocalHost, pids: list[int]
    ) -> None:
        self.lab_dir = lab_dir
        self.run = lab_dir / "services"
        self.layers = layers
        self.overlay = overlay
        self.host = host
        self.pids = pids  # the driver's: the lab records them

    # -- what was started where ---------------------------------------------------------------------------------
    def recorded(self) -> dict[str, dict[str, object]]:
        return records.read(self.lab_dir / "services.json")

    def record(self, layer: str, key: str, value: object) -> None:
        """Write what a layer started to services.json (also for drivers/lab_monitoring.py)."""
        self._record(layer, key, value)

    def _record(self, layer: str, key: str, value: object) -> None:
        records.update_nested(self.lab_dir / "services.json", layer, key, value)

    def _start(self, device: str, name: str, args: list[str]) -> None:
        self.pids.append(-daemons.start(self.run, device, namespace(device), name, args))

    # -- Kubespray and Kayobe, as far as the lab runs them -----------------------------------------------------
    def run_tool(self, tool: str, unit: str, files: Mapping[str, str]) -> CommandResult:
        said = []
        if tool == "kubespray" and "etcd" in self.layers:
            said.append(self._etcd(unit, files))
        if tool == "kubespray" and "vips" in self.layers:
            said.append(self._vip(lab_configs.kubernetes_vip(unit, files)))
        if tool == "kayobe" and "galera" in self.layers and lab_galera.enabled(files):
            said.append(self._galera(lab_configs.region_vip(unit, files), files))
        if tool == "kayobe" and "rabbitmq" in self.layers and lab_rabbitmq.enabled(files):
            said.append(self._rabbitmq(lab_configs.region_vip(unit, files), files))
        if tool == "kayobe" and "vips" in self.layers:  # after Galera: the stand-ins write to it
            said.append(self._vip(lab_configs.region_vip(unit, files)))
        if tool == "cephadm" and "ceph" in self.layers:
            said.append(self._ceph(unit, files))
        if not said:
            raise DriverError(f"{tool} {unit}: the lab runs nothing of it (lab up --service LAYER)")
        return CommandResult(0, "\n".join(said) + "\n", "")

    def _etcd(self, unit: str, files: Mapping[str, str]) -> str:
        members = lab_configs.etcd_members(files)
        for member, _ in members:
            data = self.run / member / "etcd-data"
            data.mkdir(parents=True, exist_ok=True)
            self._start(
                member, "etcd", lab_configs.etcd_args(files, member, members, str(data), self.overlay)
            )
        self._record("etcd", unit, [[m, ip, ETCD_CLIENT_PORT] for m, ip in members])
        return f"etcd {unit}: {len(members)} members started"

    def _ceph(self, unit: str, files: Mapping[str, str]) -> str:
        cluster, _, role = unit.partition(":")
        ceph = LabCeph(
            cluster,
            self.run,
            self.host,
            CEPH_OVERLAYS[self.overlay.name],
            start=self._start,
            record=self._record,
        )
        return ceph.step(role, files, self.recorded().get("ceph", {}).get(cluster, {}))  # type: ignore[arg-type]

    def _galera(self, group: lab_configs.VipGroup, files: Mapping[str, str]) -> str:
        members = lab_galera.deploy(
            group,
            self.lab_dir,
            self.overlay,
            lambda device, argv: self.host.in_netns(namespace(device), argv, check=False, timeout=120),
            start=lambda device, argv: self._start(device, "mariadb", argv),
            stop=lambda device: daemons.stop(self.run, device, "mariadb"),
        )
        exporters = lab_configs.kolla_exporter(files, "mysqld")
        for node in members if exporters else []:
            self._start(node.device, "mysqld-exporter", lab_galera.exporter_args(node))
        self._record("galera", group.name, [[n.device, n.socket] for n in members])
        return f"galera {group.name}: {len(members)} nodes synced" + (
            ", exporters on each" if exporters else ""
        )

    def _rabbitmq(self, group: lab_configs.VipGroup, files: Mapping[str, str]) -> str:
        members = lab_rabbitmq.deploy(
            group,
            self.run,
            files,
            lambda device, argv: self.host.in_netns(namespace(device), argv, check=False, timeout=120),
            self._start,
        )
        self._record("rabbitmq", group.name, [[n.device, n.address, n.home] for n in members])
        return f"rabbitmq {group.name}: {len(members)} nodes running"

    def _backend(self, group: lab_configs.VipGroup, device: str) -> str:
        """What a stand-in writes: its controller's Galera node if the region has one, else a shared file."""
        if group.name in self.recorded().get("galera", {}):
            return f"mariadb:{lab_galera.socket_of(self.lab_dir, device)}"
        return str(self.run / f"{group.name}.backend")

    def _vip(self, group: lab_configs.VipGroup) -> str:
        self.run.mkdir(parents=True, exist_ok=True)
        haproxy = lab_configs.haproxy_cfg(group, self.overlay)
        for device, address in group.members:
            netns = namespace(device)
            self.host.in_netns(netns, ["sysctl", "-qw", "net.ipv4.ip_nonlocal_bind=1"])
            conf = self.run / device
            conf.mkdir(parents=True, exist_ok=True)
            (conf / "haproxy.cfg").write_text(haproxy, encoding="utf-8")
            keepalived = lab_configs.keepalived_cfg(
                group, device, self._interfaces(netns, group), self.overlay
            )
            (conf / "keepalived.conf").write_text(keepalived, encoding="utf-8")
            backend = self._backend(group, device)
            stand_in = [sys.executable, str(STAND_IN), address, str(STAND_IN_PORT), backend, device]
            self._start(device, "stand-in", stand_in)
            self._start(device, "haproxy", ["haproxy", "-db", "-f", str(conf / "haproxy.cfg")])
            self._start(device, "keepalived", self._keepalived_args(conf))
        self._record(
            "vips", group.name, {"frontends": group.frontends, "members": group.members, "vrid": group.vrid}
        )
        return f"{group.name}: {len(group.frontends)} VIPs over {len(group.members)} stand-ins"

    @staticmethod
    def _keepalived_args(conf: Path) -> list[str]:
        return [
            "keepalived",
            "--dont-fork",
            "--log-console",
            "--vrrp",
            "-f",
            str(conf / "keepalived.conf"),
            "-p",
            str(conf / "keepalived-main.pid"),
            "-r",
            str(conf / "keepalived-vrrp.pid"),
        ]

    def _interfaces(self, netns: str, group: lab_configs.VipGroup) -> dict[str, tuple[str, int]]:
        """Each of the member's addresses, and each VIP, with the interface of its network there."""
        listed = json.loads(self.host.in_netns(netns, ["ip", "-j", "-4", "address", "show"]).stdout or "[]")
        found: dict[str, tuple[str, int]] = {}
        for link in listed:
            for info in link.get("addr_info", []):
                network = ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}").network
                found[info["local"]] = (link["ifname"], info["prefixlen"])
                for vip, _ in group.frontends:
                    if ipaddress.ip_address(vip) in network:
                        found[vip] = (link["ifname"], info["prefixlen"])
        missing = [vip for vip, _ in group.frontends if vip not in found]
        if missing:
            raise DriverError(f"{netns}: no interface on the network of VIP {missing[0]}")
        return found

    # -- PowerDNS, from its rendered files (put in the device's lab root by the deployment) -------------------
    def pdns(self, device: str, root: Path, action: ServiceAction) -> None:
        if action == "stop":
            daemons.stop(self.run, device, "pdns")
            return
        etc = root / "etc/powerdns"
        rendered = [p.read_text(encoding="utf-8") for p in sorted((etc / "pdns.d").glob("*.conf"))]
        if not rendered:
            raise DriverError(
                f"{device}: no /etc/powerdns/pdns.d/*.conf to start PowerDNS with", device=device
            )
        run = self.run / device / "pdns"
        (run / "zones").mkdir(parents=True, exist_ok=True)
        for zone in sorted((etc / "zones").glob("*.zone")):  # the agent's state files: this device's own
            text = lab_configs.health_state_dir(zone.read_text(encoding="utf-8"), str(run / "health"))
            (run / "zones" / zone.name).write_text(text, encoding="utf-8")
        named = (etc / "named.conf").read_text(encoding="utf-8")
        named = named.replace("/etc/powerdns/zones/", f"{run}/zones/").replace("/etc/powerdns/", f"{etc}/")
        (run / "named.conf").write_text(named, encoding="utf-8")
        conf = lab_configs.pdns_conf(rendered, str(root), str(run), self.overlay)
        conf = conf.replace(f"{etc}/named.conf", str(run / "named.conf"))
        (run / "pdns.conf").write_text(conf, encoding="utf-8")
        self._start(device, "pdns", ["pdns_server", f"--config-dir={run}"])
        records = [r for zone in sorted((etc / "zones").glob("*.zone")) for r in self._failover(zone)]
        self._record("dns", device, records)

    def pdns_health(self, device: str, root: Path, action: ServiceAction) -> None:
        """trisite's DNS health agent, the rendered program with its rendered configuration, its state files
        where this device's PowerDNS reads them and its interval the overlay's."""
        if action == "stop":
            daemons.stop(self.run, device, "pdns-health")
            return
        program, config = root / "usr/local/libexec/trisite-dns-health", root / "etc/trisite/dns-health.json"
        if not program.exists() or not config.exists():
            raise DriverError(f"{device}: no DNS health agent or configuration to start", device=device)
        run = self.run / device / "pdns"
        run.mkdir(parents=True, exist_ok=True)
        text = lab_configs.health_config(
            config.read_text(encoding="utf-8"), str(run / "health"), self.overlay
        )
        (run / "dns-health.json").write_text(text, encoding="utf-8")
        self._start(
            device, "pdns-health", [sys.executable, str(program), "--config", str(run / "dns-health.json")]
        )
        self._record("dns-health", device, str(run / "dns-health.json"))

    @staticmethod
    def _failover(zone: Path) -> list[tuple[str, list[str]]]:
        return lab_configs.failover_records(zone.read_text(encoding="utf-8"))

    # -- faults ---------------------------------------------------------------------------------------------------
    def fault(self, device: str, name: str, action: str) -> None:
        """`stop` a daemon (it stays down), `kill` it (a crash: its supervisor restarts it), `start` it again."""
        acts: dict[str, Callable[[], object]] = {
            "stop": lambda: daemons.stop(self.run, device, name),
            "kill": lambda: daemons.kill(self.run, device, name),
            "start": lambda: self.pids.append(-daemons.restart(self.run, device, name)),
        }
        if action not in acts:
            raise DriverError(f"{device}: fault {action!r} on {name}: use stop, kill or start", device=device)
        acts[action]()

    def daemons(self, device: str) -> list[str]:
        return daemons.names(self.run, device)
