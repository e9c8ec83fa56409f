"""Pure: a rendered wg-quick configuration read as wg-quick reads it (what `wg setconf` takes, and what wg-quick
itself does with the rest: addresses, MTU, routes to each peer's AllowedIPs), and the lab's administrator
client (drivers/lab_vpn.py runs them)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from trisite.errors import DriverError

# Keys wg-quick handles itself and strips before `wg setconf` (wg(8) refuses them).
WG_QUICK_KEYS = frozenset(
    {"address", "dns", "mtu", "table", "preup", "postup", "predown", "postdown", "saveconfig"}
)
# The rendered file says where clients connect: "# Clients connect to ADDRESS:PORT with ...".
CLIENT_ENDPOINT = re.compile(r"^# Clients connect to (?P<address>[0-9.]+):(?P<port>\d+) ", re.MULTILINE)
DEFAULT_MTU = 1420  # wg-quick's for IPv4 underlays


@dataclass(frozen=True)
class WgQuick:
    setconf: str  # the configuration `wg setconf` takes
    addresses: tuple[str, ...]
    mtu: int
    allowed_ips: tuple[str, ...]  # wg-quick routes each to the interface


def wg_quick(text: str) -> WgQuick:
    kept: list[str] = []
    addresses: list[str] = []
    allowed: list[str] = []
    mtu = DEFAULT_MTU
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = (part.strip() for part in line.partition("="))
        lowered = key.lower()
        if lowered == "address":
            addresses += [a.strip() for a in value.split(",") if a.strip()]
        elif lowered == "mtu":
            mtu = int(value)
        elif lowered == "allowedips":
            allowed += [a.strip() for a in value.split(",") if a.strip()]
        if lowered not in WG_QUICK_KEYS:
            kept.append(line)
    if not addresses:
        raise DriverError("the WireGuard configuration has no Address")
    return WgQuick("\n".join(kept) + "\n", tuple(addresses), mtu, tuple(allowed))


def client_endpoint(text: str) -> tuple[str, int]:
    """Where the rendered configuration tells clients to connect (the firewall's own WAN address)."""
    match = CLIENT_ENDPOINT.search(text)
    if match is None:
        raise DriverError("the WireGuard configuration does not say where its clients connect")
    return match["address"], int(match["port"])


def client_address(addresses: tuple[str, ...]) -> str:
    """The lab's administrator: the last host of the /24 of the firewall's tunnel address (a /32 itself)."""
    own = ipaddress.ip_interface(addresses[0]).ip
    network = ipaddress.ip_network(f"{own}/24", strict=False)
    return f"{network.broadcast_address - 1}/32"


def peer(public_key: str, allowed_ips: list[str], endpoint: str | None = None, keepalive: int = 0) -> str:
    lines = ["[Peer]", f"PublicKey = {public_key}", f"AllowedIPs = {', '.join(allowed_ips)}"]
    lines += [f"Endpoint = {endpoint}"] if endpoint else []
    lines += [f"PersistentKeepalive = {keepalive}"] if keepalive else []
    return "\n".join(lines) + "\n"


def handshake_ages(latest: str, now: float) -> dict[str, float | None]:
    """`wg show IF latest-handshakes` as seconds since each peer's last handshake (None: never)."""
    found: dict[str, float | None] = {}
    for line in latest.splitlines():
        key, _, stamp = line.strip().partition("\t")
        if key:
            found[key] = now - int(stamp) if stamp.strip() not in ("", "0") else None
    return found


def private_key(parsed: WgQuick) -> str:
    for line in parsed.setconf.splitlines():
        key, _, value = (part.strip() for part in line.partition("="))
        if key.lower() == "privatekey":
            return value
    raise DriverError("the WireGuard configuration has no PrivateKey")
