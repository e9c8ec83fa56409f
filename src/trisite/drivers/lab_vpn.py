"""The VPN links in the lab: the rendered WireGuard configurations run as wireguard-go (userspace, over
/dev/net/tun: the kernel has no wireguard module), brought up as wg-quick would (drivers/lab_vpn_config.py),
with an administrator's client in the lab's internet client namespace; the IPsec links run charon with
kernel-libipsec (drivers/lab_ipsec.py).

wireguard-go and wg(8) meet at a control socket /run/wireguard/IFACE.sock, a path shared by every namespace
of this machine (two firewalls' `wg-admin` would collide): each runs with a directory of the lab bound over
/run/wireguard in its own mount namespace (`ip netns exec` makes one per command).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import threading
import time
from pathlib import Path

from trisite.drivers import daemons, records
from trisite.drivers import lab_vpn_config as config
from trisite.drivers.daemons import IP
from trisite.drivers.lab_health import Health
from trisite.drivers.lab_ipsec import LabIpsec
from trisite.drivers.netns import namespace
from trisite.errors import DriverError

CLIENT = "internet"  # the lab's internet client namespace (lab/plan.py): where administrators connect from
CLIENT_IFACE = "wg-admin"
KEEPALIVE_S = 5  # a roaming client's keepalive: it opens the tunnel before any traffic
HANDSHAKE_FRESH_S = 180  # WireGuard renews a handshake every 2 minutes while the tunnel is used
READY_WITHIN_S = 10.0
_LOCK = threading.Lock()
WG = shutil.which("wg") or "/usr/bin/wg"


class LabVpn:
    def __init__(self, lab_dir: Path, run: Path, pids: list[int]) -> None:
        self.lab_dir = lab_dir
        self.run_dir = run
        self.pids = pids
        self.keys = run / "vpn"
        self.ipsec = LabIpsec(lab_dir, run, pids)

    # -- wg(8) and ip in a device's namespace, with its own /run/wireguard -----------------------------------
    def _sockets(self, device: str) -> Path:
        path = self.run_dir / device / "wireguard"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _bound(self, device: str, args: list[str]) -> list[str]:
        bind = f"mkdir -p /run/wireguard && mount --bind {shlex.quote(str(self._sockets(device)))} /run/wireguard"
        return ["sh", "-c", f"{bind} && exec {shlex.join(args)}"]

    def _wg(self, device: str, args: list[str], stdin: str | None = None) -> str:
        done = subprocess.run(  # noqa: S603 - our own argument list
            [IP, "netns", "exec", namespace(device), *self._bound(device, [WG, *args])],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            said = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
            raise DriverError(f"{device}: wg {args[0]}: {said[-1]}", device=device)
        return done.stdout

    @staticmethod
    def _ip(device: str, lines: list[str]) -> None:
        done = subprocess.run(  # noqa: S603 - our own argument list
            [IP, "-n", namespace(device), "-batch", "-"],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise DriverError(f"{device}: ip: {done.stderr.strip()}", device=device)

    def _interface(self, device: str, iface: str) -> None:
        """wireguard-go up (supervised), and its control socket answering."""
        name = f"wireguard-go-{iface}"
        args = self._bound(device, ["wireguard-go", "-f", iface])
        # A socket left by the instance stopped here would answer nothing: wg would then fall back to the
        # kernel's (absent) WireGuard and say "Protocol not supported".
        daemons.stop(self.run_dir, device, name)
        (self._sockets(device) / f"{iface}.sock").unlink(missing_ok=True)
        self.pids.append(-daemons.start(self.run_dir, device, namespace(device), name, args))
        deadline = time.monotonic() + READY_WITHIN_S
        while not (self._sockets(device) / f"{iface}.sock").exists():
            if time.monotonic() > deadline:
                raise DriverError(f"{device}: wireguard-go made no {iface} within {READY_WITHIN_S:g} s")
            time.sleep(0.05)

    def _quick_up(self, device: str, iface: str, parsed: config.WgQuick) -> None:
        """What wg-quick does: the interface, its configuration, its addresses, MTU and routes."""
        self._interface(device, iface)
        conf = self.run_dir / device / f"{iface}.setconf"
        conf.touch(mode=0o600)
        conf.write_text(parsed.setconf, encoding="utf-8")
        self._wg(device, ["setconf", iface, str(conf)])
        lines = [f"address replace {a} dev {iface}" for a in parsed.addresses]
        lines += [f"link set {iface} mtu {parsed.mtu} up"]
        lines += [f"route replace {a} dev {iface}" for a in parsed.allowed_ips]
        self._ip(device, lines)

    # -- wg-quick@IFACE on a firewall ----------------------------------------------------------------------------
    def wg_quick(self, device: str, unit: str, action: str, root: Path) -> None:
        iface = unit.removeprefix("wg-quick@")
        if action == "stop":
            daemons.stop(self.run_dir, device, f"wireguard-go-{iface}")
            return
        rendered = (root / "etc/wireguard" / f"{iface}.conf").read_text(encoding="utf-8")
        own = config.wg_quick(rendered)
        with _LOCK:
            client_key = self._key("admin-client")
        client = config.client_address(own.addresses)
        # The lab's administrator, as the access-management process adds one: its key, its /32.
        parsed = config.wg_quick(rendered + config.peer(self._public(client_key), [client]))
        self._quick_up(device, iface, parsed)
        address, port = config.client_endpoint(rendered)
        with _LOCK:
            self._client(client, client_key)
            tunnel = str(parsed.addresses[0]).split("/")[0]
            public = self._public(config.private_key(own))
            # The administrator reconnects (a fresh handshake, not a wait for its old session to time out).
            self._wg(CLIENT, ["set", CLIENT_IFACE, "peer", public, "remove"])
            self._wg(
                CLIENT,
                ["set", CLIENT_IFACE, "peer", public, "allowed-ips", f"{tunnel}/32",
                 "endpoint", f"{address}:{port}", "persistent-keepalive", str(KEEPALIVE_S)],
            )  # fmt: skip
            self._ip(CLIENT, [f"route replace {tunnel}/32 dev {CLIENT_IFACE}"])
            self._record(device, {"iface": iface, "client": client.split("/")[0], "tunnel": tunnel})

    def _client(self, address: str, key: str) -> None:
        """The administrator's interface in the internet client namespace (once; each firewall adds its peer)."""
        if daemons.running(self.run_dir, CLIENT, f"wireguard-go-{CLIENT_IFACE}"):
            return
        setconf = f"[Interface]\nPrivateKey = {key}\n"
        self._quick_up(CLIENT, CLIENT_IFACE, config.WgQuick(setconf, (address,), config.DEFAULT_MTU, ()))

    def _key(self, name: str) -> str:
        path = self.keys / f"{name}.key"
        make_key(path)
        return path.read_text(encoding="utf-8").strip()

    @staticmethod
    def _public(private: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [WG, "pubkey"], input=private + "\n", capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    # -- strongSwan (drivers/lab_ipsec.py) -----------------------------------------------------------------------
    def strongswan(self, device: str, action: str) -> None:
        self.ipsec.service(device, action)

    # -- what runs, and its health ----------------------------------------------------------------------------
    def recorded(self) -> dict[str, dict[str, str]]:
        return records.read(self.lab_dir / "vpn.json")

    def _record(self, device: str, value: dict[str, str]) -> None:
        records.update(self.lab_dir / "vpn.json", device, value)

    def handshake_age(self, device: str, iface: str) -> float | None:
        ages = config.handshake_ages(self._wg(device, ["show", iface, "latest-handshakes"]), time.time())
        known = [a for a in ages.values() if a is not None]
        return min(known) if known else None

    def health(self) -> list[Health]:
        return self.wireguard_health() + self.ipsec.health()

    def wireguard_health(self) -> list[Health]:
        found = []
        for device, wg in sorted(self.recorded().items()):
            name = f"{wg['iface']} {device}"
            # Traffic first: an idle tunnel renews its session (a new handshake) only when something is sent,
            # so its handshake's age says nothing until then.
            pings = _ping(device, wg["client"])
            try:
                age = self.handshake_age(device, wg["iface"])
            except DriverError as exc:
                found.append(Health("vpn", name, False, str(exc)))
                continue
            ok = age is not None and age <= HANDSHAKE_FRESH_S and pings
            said = "no handshake" if age is None else f"handshake {age:.0f} s ago"
            found.append(
                Health("vpn", name, ok, f"{said}, client {wg['client']} {'answers' if pings else 'silent'}")
            )
        return found


def make_key(path: Path) -> None:
    """A WireGuard private key kept (0600) at `path`, made once."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = subprocess.run([WG, "genkey"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    path.touch(mode=0o600)
    path.write_text(key.strip(), encoding="utf-8")


def _ping(device: str, target: str) -> bool:
    done = subprocess.run(  # noqa: S603 - fixed arguments
        # three echoes 0.3 s apart (the first may wait for the tunnel's handshake); one answer is enough
        [IP, "netns", "exec", namespace(device), "ping", "-c3", "-W1", "-i0.3", "-q", target],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0
