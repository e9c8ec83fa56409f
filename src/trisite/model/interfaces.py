"""Interface names and addresses of a device, as every renderer must name them the same way.

An address sits on its NIC or bond; when that interface carries several networks, each network with a VLAN
gets a sub-interface `IFACE.VLAN` (the lab creates exactly these names).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

from trisite.model.devices import Switch
from trisite.model.index import Index
from trisite.model.network import Network

IPInterface = IPv4Interface | IPv6Interface


@dataclass(frozen=True, order=True)
class Iface:
    name: str
    network: str
    address: IPInterface
    parent: str
    vlan: int | None


def interfaces(ix: Index, device: str) -> list[Iface]:
    host = ix.hosts[device]
    if isinstance(host, Switch):
        return []
    nics = ix.nics(host)
    default = nics[0].name if nics else "eth0"
    carriers = Counter(a.nic or default for a in ix.addresses(host))
    found = []
    for address in ix.addresses(host):
        parent = address.nic or default
        net: Network = ix.networks[address.network]
        tagged = carriers[parent] > 1 and net.vlan is not None
        name = f"{parent}.{net.vlan}" if tagged else parent
        found.append(
            Iface(
                name,
                net.name,
                _interface(address.ip, net.prefix.prefixlen),
                parent,
                net.vlan if tagged else None,
            )
        )
    return sorted(found)


def _interface(ip: IPv4Address | IPv6Address, prefixlen: int) -> IPInterface:
    # From the integer: building it from text parsed the address again, 20,000 times in a large render.
    if isinstance(ip, IPv4Address):
        return IPv4Interface((int(ip), prefixlen))
    return IPv6Interface((int(ip), prefixlen))


def on_network(ix: Index, device: str, network: str) -> Iface | None:
    return next((i for i in interfaces(ix, device) if i.network == network), None)
