"""What a Linux device's live state is read with, for drift: shared by the lab's driver and the SSH driver."""

from __future__ import annotations

import json

# The temporary chain the deployment opens for itself (render/nftables.py), flushed by the last step.
BOOTSTRAP_CHAIN = ("nft", "list", "chain", "inet", "trisite", "bootstrap")
NFT_RULESET = ("nft", "--stateless", "list", "ruleset")  # counters are traffic, not drift
ROUTES = ("ip", "route", "show", "proto", "boot")  # set by commands, not learned by OSPF or BGP
ACCOUNTS = ("getent", "passwd")


def bootstrap_rules(listing: str) -> str:
    """The rule lines of `nft list chain` output (not the table, chain, hook or closing lines)."""
    skip = ("table ", "chain ", "type ", "policy ", "}")
    return "\n".join(
        line.strip() for line in listing.splitlines() if line.strip() and not line.strip().startswith(skip)
    )


# Acceptance checks read these (DeviceDriver.observe: lldp, ports, bgp, bfd).
LLDP = ("lldpcli", "-f", "json", "show", "neighbors")
LINKS = ("ip", "-j", "link", "show")
QDISCS = ("tc", "-j", "qdisc", "show")
SPEEDS = ("sh", "-c", "grep -H . /sys/class/net/*/speed 2>/dev/null; true")  # negotiated, Mbit/s (-1: none)
BGP_SUMMARY = "show bgp summary json"
BFD_PEERS = "show bfd peers json"
# Root qdiscs that cap a port's rate (a shaped line: what an operator's policer does to a customer).
SHAPERS = frozenset({"tbf", "htb", "cake"})


def ports(links: str, qdiscs: str = "[]", speeds: str = "") -> str:
    """JSON {port: {"mtu", "up", "speed_mbps", "shaped_mbps"}} from `ip -j link`, `tc -j qdisc` and the
    sysfs speeds (`path:value` lines); null where the device does not say."""
    negotiated = {}
    for line in speeds.splitlines():
        path, _, value = line.partition(":")
        if value.strip().lstrip("-").isdigit() and int(value) > 0:
            negotiated[path.split("/")[-2]] = int(value)
    listed = [link for link in json.loads(links or "[]") if "ifname" in link]
    shaped: dict[str, int] = {}
    for qdisc in json.loads(qdiscs or "[]"):
        rate = (qdisc.get("options") or {}).get("rate")
        # `tc -j qdisc show dev X` names no device: then the one link listed is it.
        dev = qdisc.get("dev") or (listed[0]["ifname"] if len(listed) == 1 else None)
        if qdisc.get("root") and qdisc.get("kind") in SHAPERS and isinstance(rate, int) and dev:
            shaped[str(dev)] = rate * 8 // 1_000_000  # tc's JSON gives bytes per second
    found = {
        str(link["ifname"]): {
            "mtu": link.get("mtu"),
            "up": "UP" in link.get("flags", []) and link.get("operstate") != "DOWN",
            "speed_mbps": negotiated.get(str(link["ifname"])),
            "shaped_mbps": shaped.get(str(link["ifname"])),
        }
        for link in listed
    }
    return json.dumps(found, sort_keys=True)
