"""The rendered IPsec links in the lab: charon per firewall namespace with kernel-libipsec (ESP in userspace
over a TUN device: this kernel has no XFRM), supervised like every lab daemon, loaded with swanctl from the
files the deployment put in the firewall's /etc/swanctl/conf.d, with the lab's overlay on top
(drivers/lab_overlay.py IPSEC, drivers/lab_ipsec_config.py).

charon's pid file is /var/run/charon.pid whatever it is told, a path shared by every namespace of this
machine: each charon runs with its own directory of the lab bound over /run in its mount namespace (`ip netns
exec` makes one per command), which also holds its strongswan.conf, its vici socket and its updown script.
swanctl talks to that socket from the root namespace. The pre-shared key is only in the deployed 0600 file,
read by swanctl and handed to charon over the socket: nothing the lab writes holds it.

The link is up from whichever firewall of a CARP pair holds the VIP its end talks from: the other one loads
the same files and, when it starts the link, keeps trying (it cannot send from an address it does not hold)
until it becomes the master.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from trisite.drivers import daemons, records
from trisite.drivers import lab_ipsec_config as config
from trisite.drivers.daemons import IP
from trisite.drivers.lab_health import Health
from trisite.drivers.lab_overlay import IPSEC
from trisite.drivers.netns import call_in_netns, namespace
from trisite.errors import DriverError

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
DAEMON = "charon"
READY_WITHIN_S = 10.0
REOPEN_WITHIN_S, REOPEN_EVERY_S = 30.0, 1.0  # a link's two ends loaded: open within, tried every
# Two pings 0.2 s apart into the tunnel (-I: out of its device, whatever the routing table prefers); their
# answers may come back over the MAN, which a socket bound to the device does not see: not waited for long.
PING = ("ping", "-q", "-n", "-c2", "-i0.2", "-W0.5", "-I")
MAX_SOCKET_PATH = 107  # sockaddr_un's sun_path, less its terminating NUL


@dataclass(frozen=True)
class End:
    """One end of a link as a pair of firewalls loads it: who holds its VIP, and the other end's."""

    link: config.Link
    devices: tuple[str, ...]
    holder: str | None
    peer: str | None  # the firewall holding the other end's VIP


class LabIpsec:
    def __init__(self, lab_dir: Path, run: Path, pids: list[int]) -> None:
        self.lab_dir = lab_dir
        self.run_dir = run
        self.pids = pids

    # -- paths --------------------------------------------------------------------------------------------------
    def _runtime(self, device: str) -> Path:
        """What charon sees as /run (its pid file, vici socket, strongswan.conf and updown)."""
        path = self.run_dir / device / "strongswan"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _socket(self, device: str) -> str:
        path = str(self._runtime(device) / "charon.vici")
        if len(path) > MAX_SOCKET_PATH:
            raise DriverError(f"{device}: charon's socket path is too long for a unix socket: {path}")
        return f"unix://{path}"

    def _deployed(self, device: str) -> list[Path]:
        return sorted((self.lab_dir / "root" / device / "etc/swanctl/conf.d").glob("*.conf"))

    # -- the service ----------------------------------------------------------------------------------------------
    def service(self, device: str, action: str) -> None:
        """strongswan's start/restart/reload: charon running, the deployed links loaded; stop: charon gone."""
        if action == "stop":
            daemons.stop(self.run_dir, device, DAEMON)
            return
        if action == "restart" or not daemons.running(self.run_dir, device, DAEMON):
            self._start(device)
        self._load(device)

    def _start(self, device: str) -> None:
        runtime = self._runtime(device)
        daemons.stop(self.run_dir, device, DAEMON)
        (runtime / "strongswan.conf").write_text(config.charon_conf(), encoding="utf-8")
        script = runtime / "lab-updown"
        script.write_text(config.updown(), encoding="utf-8")
        script.chmod(0o755)
        for left in ("charon.pid", "charon.vici"):  # an old instance's: charon would refuse or not listen
            (runtime / left).unlink(missing_ok=True)
        bound = f"mount --bind {runtime} /run && exec env STRONGSWAN_CONF=/run/strongswan.conf {CHARON}"
        self.pids.append(-daemons.start(self.run_dir, device, namespace(device), DAEMON, ["sh", "-c", bound]))
        deadline = time.monotonic() + READY_WITHIN_S
        while not (runtime / "charon.vici").exists():
            if time.monotonic() > deadline:
                log = daemons.pidfile(self.run_dir, device, DAEMON).with_suffix(".log")
                raise DriverError(
                    f"{device}: charon opened no vici socket within {READY_WITHIN_S:g} s ({log})"
                )
            time.sleep(0.05)

    def _load(self, device: str) -> None:
        deployed = self._deployed(device)
        found = [link for path in deployed for link in config.links(path.read_text(encoding="utf-8"))]
        lab = self.run_dir / device / "swanctl"
        lab.mkdir(parents=True, exist_ok=True)
        overlay = lab / "lab-overlay.conf"
        overlay.write_text(config.overlay_conf(found, "/run/lab-updown"), encoding="utf-8")
        conf = lab / "swanctl.conf"
        conf.write_text(config.swanctl_conf([str(p) for p in deployed], str(overlay)), encoding="utf-8")
        self._swanctl(device, ["--load-all", "--file", str(conf)])
        self._record(device, found)
        self._reopen(device)

    def _reopen(self, device: str) -> None:
        """Open the links this device loaded whose two ends are now loaded, from their starting end, and wait
        until they are, re-initiating, at most REOPEN_WITHIN_S. A first attempt that met an end with no such
        connection yet got NO_PROPOSAL_CHOSEN, which strongSwan takes as final whatever keyingtries, as happens
        when the sites deploy in parallel: the last end of a link to load ends its step with the link open (or
        says nothing, and the steady state's health tells)."""
        deadline = time.monotonic() + REOPEN_WITHIN_S
        while (pending := self._unopened(device)) and time.monotonic() < deadline:
            for holder, ike, child, connecting in pending:
                if not connecting:  # one still negotiating is left to finish
                    self._initiate(holder, ike, child)
            time.sleep(REOPEN_EVERY_S)

    def _unopened(self, device: str) -> list[tuple[str, str, str, bool]]:
        """(starting end's VIP holder, IKE_SA, CHILD_SA, whether an IKE_SA is negotiating) of each child not
        installed, on the links this device loaded whose other end is loaded and held too."""
        mine = {link.name for link in self.recorded().get(device, [])}
        found = []
        for end in self.ends():
            if end.link.name not in mine or not end.link.initiator or end.holder is None or end.peer is None:
                continue
            try:
                sas = [sa for sa in self.sas(end.holder) if sa.name == end.link.name]
            except DriverError:  # its charon not answering yet
                sas = []
            connecting = any(sa.state == "CONNECTING" for sa in sas)
            found += [
                (end.holder, end.link.name, child.name, connecting)
                for child in end.link.children
                if not any(sa.installed(child.name) for sa in sas)
            ]
        return found

    def _initiate(self, device: str, ike: str, child: str) -> None:
        """The CHILD_SA opened (with its IKE_SA if need be: --ike alone would open the IKE_SA only)."""
        with contextlib.suppress(DriverError):  # still opening when the timeout detaches swanctl
            self._swanctl(device, ["--initiate", "--ike", ike, "--child", child, "--timeout", "1"])

    def _swanctl(self, device: str, args: list[str]) -> str:
        env = {
            **os.environ,
            "STRONGSWAN_CONF": str(self._runtime(device) / "strongswan.conf"),
            "SWANCTL_DIR": str(self.run_dir / device / "swanctl"),  # not the machine's /etc/swanctl
        }
        done = subprocess.run(  # noqa: S603 - our own argument list
            [SWANCTL, *args, "--uri", self._socket(device)],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
            env=env,
        )
        if done.returncode != 0:
            said = config.swanctl_failure(done.stdout + done.stderr) or f"exit {done.returncode}"
            raise DriverError(f"{device}: swanctl {args[0]}: {said}", device=device)
        return done.stdout

    def sas(self, device: str) -> list[config.IkeSa]:
        return config.list_sas(self._swanctl(device, ["--list-sas", "--pretty"]))

    # -- what was loaded where --------------------------------------------------------------------------------
    def recorded(self) -> dict[str, list[config.Link]]:
        raw = records.read(self.lab_dir / "ipsec-links.json")
        return {device: [_link(entry) for entry in entries] for device, entries in raw.items()}

    def _record(self, device: str, found: list[config.Link]) -> None:
        records.update(self.lab_dir / "ipsec-links.json", device, [asdict(link) for link in found])

    def ends(self) -> list[End]:
        """Each link's ends: the firewalls loading it from one address, and which of them holds it now."""
        by_end: dict[tuple[str, str], list[tuple[str, config.Link]]] = {}
        for device, found in sorted(self.recorded().items()):
            for link in found:
                by_end.setdefault((link.name, link.local_addrs), []).append((device, link))
        holders = {key: holder_of(key[1], [d for d, _ in members]) for key, members in by_end.items()}
        return [
            End(
                members[0][1],
                tuple(d for d, _ in members),
                holders[key],
                holders.get((key[0], members[0][1].remote_addrs)),
            )
            for key, members in sorted(by_end.items())
        ]

    # -- health ---------------------------------------------------------------------------------------------------
    def health(self) -> list[Health]:
        """Per link end: the VIP's holder has the IKE_SA ESTABLISHED and its CHILD_SAs INSTALLED, and pings it
        sends into the tunnel arrive at the other end (its CHILD_SA's packets-in grow). While the MAN is up
        their answers come back over it: the tunnel only carries what is routed into it."""
        ends = self.ends()
        holders = sorted({d for e in ends for d in (e.holder, e.peer) if d})
        before = {d: self._sas_or_error(d) for d in holders}
        probes = {e: self._probe(e) for e in ends if _up(e, before)}
        for process in probes.values():
            if process is not None:
                process.wait(timeout=10)
        after = {d: self._sas_or_error(d) for d in holders}
        return [judge(e, before, after, e in probes) for e in ends]

    def _sas_or_error(self, device: str) -> list[config.IkeSa] | str:
        try:
            return self.sas(device)
        except DriverError as exc:
            return str(exc)

    def _probe(self, end: End) -> subprocess.Popen[bytes] | None:
        """Two pings from the holder into the tunnel, to the far holder's address inside the remote selector."""
        assert end.holder is not None and end.peer is not None
        selectors = tuple(ts for c in end.link.children for ts in c.remote_ts)
        target = config.own_address(addresses(end.peer), selectors)
        if target is None:
            return None
        return subprocess.Popen(  # noqa: S603 - fixed arguments
            [IP, "netns", "exec", namespace(end.holder), *PING, IPSEC.tunnel_device, target],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def _link(entry: dict[str, object]) -> config.Link:
    children = entry["children"]
    assert isinstance(children, list)
    return config.Link(
        str(entry["name"]),
        str(entry["local_addrs"]),
        str(entry["remote_addrs"]),
        tuple(
            config.Child(c["name"], tuple(c["local_ts"]), tuple(c["remote_ts"]), bool(c["initiator"]))
            for c in children
        ),
    )


def addresses(device: str) -> list[str]:
    """A device's IPv4 addresses (CIDR), as `ip -4 -o addr` lists them."""
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [IP, "-n", namespace(device), "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False
    )
    return [line.split()[3] for line in done.stdout.splitlines() if len(line.split()) > 3]


def holder_of(address: str, devices: list[str]) -> str | None:
    wanted = ipaddress.ip_address(address)
    for device in devices:
        if any(ipaddress.ip_interface(a).ip == wanted for a in addresses(device)):
            return device
    return None


def routed_into_tunnel(device: str, address: str) -> bool:
    """Whether the device sends to `address` into the tunnel (the MAN's routes to it are gone)."""
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [IP, "-n", namespace(device), "route", "get", address], capture_output=True, text=True, check=False
    )
    return f" dev {IPSEC.tunnel_device} " in f" {done.stdout} "


def greeting(device: str, address: str, port: int, timeout: float = 2.0) -> str:
    """What a TCP server says first (an SSH server's version line), heard from a device ("" if nothing)."""

    def hear() -> str:
        try:
            with socket.create_connection((address, port), timeout=timeout) as connection:
                return connection.recv(64).decode("ascii", "replace").strip()
        except OSError:
            return ""

    return call_in_netns(namespace(device), hear)


def _established(end: End, sas: list[config.IkeSa] | str) -> str | None:
    """Why the holder's link is not up (None: it is)."""
    if isinstance(sas, str):
        return sas
    ike = [sa for sa in sas if sa.name == end.link.name and sa.state == "ESTABLISHED"]
    if not ike:
        return f"{end.holder}: no ESTABLISHED IKE_SA {end.link.name}"
    missing = [c.name for c in end.link.children if not any(sa.installed(c.name) for sa in ike)]
    return f"{end.holder}: CHILD_SA {', '.join(missing)} not INSTALLED" if missing else None


def _up(end: End, sas: Mapping[str, list[config.IkeSa] | str]) -> bool:
    return end.holder is not None and end.peer is not None and _established(end, sas[end.holder]) is None


def _packets_in(sas: list[config.IkeSa] | str, link: config.Link) -> int:
    if isinstance(sas, str):
        return 0
    names = {c.name for c in link.children}
    return sum(c.packets_in for sa in sas if sa.name == link.name for c in sa.children if c.name in names)


def judge(
    end: End,
    before: Mapping[str, list[config.IkeSa] | str],
    after: Mapping[str, list[config.IkeSa] | str],
    probed: bool,
) -> Health:
    name = f"{end.link.name} {'/'.join(end.devices)}"
    if end.holder is None:
        return Health(
            "vpn", name, False, f"no firewall of {'/'.join(end.devices)} holds {end.link.local_addrs}"
        )
    why = _established(end, after[end.holder])
    if why is not None or end.peer is None:
        return Health("vpn", name, False, why or f"no firewall holds the peer's {end.link.remote_addrs}")
    said = f"{end.holder} holds {end.link.local_addrs}: ESTABLISHED, CHILD_SA INSTALLED"
    if not probed:
        return Health("vpn", name, False, f"{said}, but was not up before the probe")
    was, now = _packets_in(before[end.peer], end.link), _packets_in(after[end.peer], end.link)
    through = now > was
    verdict = "arrived" if through else "did not arrive"
    return Health("vpn", name, through, f"{said}; pings into {IPSEC.tunnel_device} {verdict} at {end.peer} "
                  f"(packets in {was} -> {now})")  # fmt: skip
