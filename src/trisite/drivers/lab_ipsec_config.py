"""Pure: the rendered swanctl files read as swanctl reads them, and what the lab gives charon beside them
(drivers/lab_ipsec.py runs it): charon's own strongswan.conf, the lab's swanctl overlay, the updown script
for libipsec's TUN device, and `swanctl --list-sas --pretty` read back.

The format (strongswan.conf(5), swanctl.conf(5)): `name {` opens a section, `}` closes it, `key = value`
sets a value (a later definition of the same key wins), `#` starts a comment. `--pretty` output is the same
format, its lists written `key = [` ... `]`, one item a line. A value in double quotes is read without them.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from trisite.drivers.lab_overlay import IPSEC, IpsecOverlay
from trisite.errors import DriverError

Section = dict[str, "str | list[str] | Section"]
SECRET_KEYS = frozenset({"secret"})  # never repeated in an error message
_KEY = re.compile(r"^[A-Za-z0-9_.%-]+$")


class _Parser:
    """One pass over the lines: the stack of open sections, and the list being read (`key = [`)."""

    def __init__(self) -> None:
        self.root: Section = {}
        self.stack = [self.root]
        self.items: list[str] | None = None

    def line(self, number: int, line: str) -> None:
        if self.items is not None:  # inside `key = [`
            if line == "]":
                self.items = None
            else:
                self.items.append(line)
        elif line == "}":
            if len(self.stack) == 1:
                raise DriverError(f"swanctl format: line {number}: '}}' closes nothing")
            self.stack.pop()
        elif line.endswith("{"):
            name = line[:-1].strip()
            found = self.stack[-1].setdefault(name, {})
            if not isinstance(found, dict):
                raise DriverError(f"swanctl format: line {number}: {name} is a value and a section")
            self.stack.append(found)
        elif "=" in line:
            self.value(number, line)
        else:
            shown = "(a secret)" if line.split(maxsplit=1)[0] in SECRET_KEYS else repr(line)
            raise DriverError(f"swanctl format: line {number}: neither a section nor a value: {shown}")

    def value(self, number: int, line: str) -> None:
        key, _, value = (part.strip() for part in line.partition("="))
        if not _KEY.match(key):
            raise DriverError(f"swanctl format: line {number}: not a key: {key!r}")
        if value == "[":
            self.items = []
            self.stack[-1][key] = self.items
        elif len(value) > 1 and value[0] == value[-1] == '"':
            self.stack[-1][key] = value[1:-1]
        else:
            self.stack[-1][key] = value


def _uncommented(raw: str) -> str:
    """The line up to its comment: a `#` outside double quotes (a quoted secret may hold one)."""
    quoted = False
    for index, char in enumerate(raw):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return raw[:index].strip()
    return raw.strip()


def parse(text: str) -> Section:
    """Nested sections of a strongswan.conf-format text (values as strings, lists as lists)."""
    parser = _Parser()
    for number, raw in enumerate(text.splitlines(), 1):
        line = _uncommented(raw)
        if line:
            parser.line(number, line)
    if len(parser.stack) != 1 or parser.items is not None:
        raise DriverError("swanctl format: a section or list is not closed")
    return parser.root


@dataclass(frozen=True)
class Child:
    name: str
    local_ts: tuple[str, ...]
    remote_ts: tuple[str, ...]
    initiator: bool  # start_action starts it when loaded (the rendered side that opens the link)


@dataclass(frozen=True)
class Link:
    name: str
    local_addrs: str
    remote_addrs: str
    children: tuple[Child, ...]

    @property
    def initiator(self) -> bool:
        return any(c.initiator for c in self.children)


def _text(section: Section, key: str, where: str) -> str:
    value = section.get(key)
    if not isinstance(value, str):
        raise DriverError(f"swanctl: {where} has no {key}")
    return value


def _section(section: Section, key: str) -> Section:
    value = section.get(key, {})
    return value if isinstance(value, dict) else {}


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def links(text: str) -> list[Link]:
    """The connections of a rendered swanctl file."""
    found = []
    for name, conn in _section(parse(text), "connections").items():
        if not isinstance(conn, dict):
            continue
        children = tuple(
            Child(
                child_name,
                _split(_text(child, "local_ts", f"{name}.{child_name}")),
                _split(_text(child, "remote_ts", f"{name}.{child_name}")),
                "start" in _split(str(child.get("start_action", "none")).replace("|", ",")),
            )
            for child_name, child in _section(conn, "children").items()
            if isinstance(child, dict)
        )
        found.append(
            Link(name, _text(conn, "local_addrs", name), _text(conn, "remote_addrs", name), children)
        )
    return found


def charon_conf(overlay: IpsecOverlay = IPSEC) -> str:
    """charon's strongswan.conf in a lab namespace: only the plugins a PSK link over libipsec needs, its
    pid file and vici socket in the directory bound over /run for it, its log on stderr (the supervisor's
    log file), no routes of its own (the updown script routes, as the rendered one does)."""
    return "\n".join(
        [
            "# The lab's charon (drivers/lab_ipsec.py): written by the lab, not rendered.",
            "charon {",
            f"    load = {overlay.plugins}",
            "    install_routes = no",
            # kernel-libipsec routes each remote selector into its TUN device in charon's own table whatever
            # install_routes says; that table is looked up after the main one (whose BGP default answers
            # everything): the updown's routes in the main table decide, as the rendered ones do.
            f"    routing_table = {overlay.routing_table}",
            f"    routing_table_prio = {overlay.routing_table_prio}",
            "    install_virtual_ip = no",
            f"    retransmit_timeout = {overlay.retransmit_timeout_s:g}",
            f"    retransmit_base = {overlay.retransmit_base:g}",
            f"    retransmit_limit = {overlay.retransmit_limit_s:g}",
            "    plugins {",
            "        kernel-libipsec {",
            f"            mtu = {overlay.tunnel_mtu}",
            "        }",
            "    }",
            "    filelog {",
            "        stderr {",
            "            default = 1",
            "            net = 0",  # a line per packet, and every retransmission of a standby firewall
            "            enc = 0",
            "        }",
            "    }",
            "    syslog {",
            "        daemon {",
            "            default = -1",
            "        }",
            "    }",
            "}",
            "",
        ]
    )


def overlay_conf(found: list[Link], updown: str, overlay: IpsecOverlay = IPSEC) -> str:
    """The lab's swanctl settings over the rendered ones (included after them: a later value wins)."""
    lines = [
        "# The lab's overlay on the rendered links (drivers/lab_overlay.py IPSEC): written by the lab.",
        "connections {",
    ]
    for link in found:
        lines.append(f"    {link.name} {{")
        if link.initiator:  # keep trying until the peer's charon runs and holds its end's VIP
            lines.append(f"        keyingtries = {overlay.keyingtries}")
        lines.append("        children {")
        for child in link.children:
            lines += [f"            {child.name} {{", f"                updown = {updown}", "            }"]
        lines += ["        }", "    }"]
    lines += ["}", ""]
    return "\n".join(lines)


def swanctl_conf(deployed: list[str], overlay_path: str) -> str:
    """The lab's swanctl.conf: the deployed files (as /etc/swanctl/conf.d/*.conf), then the overlay."""
    lines = ["# The lab's swanctl.conf (drivers/lab_ipsec.py): the deployed links, then the lab's overlay."]
    lines += [f"include {path}" for path in deployed]
    lines += [f"include {overlay_path}", ""]
    return "\n".join(lines)


def updown(overlay: IpsecOverlay = IPSEC) -> str:
    """The rendered xfrm-updown's work on libipsec's one TUN device: each remote network routed into it at
    the rendered metric and protocol (the MAN's OSPF routes win while they exist), from the firewall's own address inside
    the local traffic selector (so that the firewall's own packets, its health probes, match the policy)."""
    dev, metric = overlay.tunnel_device, overlay.route_metric
    return f"""#!/bin/sh
# The lab's updown (drivers/lab_overlay.py IPSEC): the rendered xfrm-updown, on libipsec's {dev}.
set -eu
case "$PLUTO_VERB" in
    up-client*)
        src=$(ip -4 -o addr show to "$PLUTO_MY_CLIENT" | awk '{{sub("/.*", "", $4); print $4; exit}}')
        ip route replace "$PLUTO_PEER_CLIENT" dev {dev} metric {metric} proto kernel ${{src:+src "$src"}}
        ;;
    down-client*)
        ip route del "$PLUTO_PEER_CLIENT" dev {dev} metric {metric} proto kernel 2>/dev/null || true
        ;;
esac
"""


@dataclass(frozen=True)
class ChildSa:
    name: str
    state: str
    packets_in: int
    packets_out: int
    bytes_in: int
    bytes_out: int


@dataclass(frozen=True)
class IkeSa:
    name: str
    state: str
    children: tuple[ChildSa, ...]

    def installed(self, child: str) -> ChildSa | None:
        return next((c for c in self.children if c.name == child and c.state == "INSTALLED"), None)


def _count(section: Section, key: str) -> int:
    value = section.get(key, "0")
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def list_sas(text: str) -> list[IkeSa]:
    """`swanctl --list-sas --pretty`: every IKE_SA with its CHILD_SAs (`list-sa event` sections)."""
    found = []
    for event in re.split(r"^list-sa event \{$", text, flags=re.MULTILINE)[1:]:
        for name, sa in parse("list-sa {\n" + event).get("list-sa", {}).items():  # type: ignore[union-attr]
            if not isinstance(sa, dict):
                continue
            children = tuple(
                ChildSa(
                    str(child.get("name", key)),
                    str(child.get("state", "")),
                    _count(child, "packets-in"),
                    _count(child, "packets-out"),
                    _count(child, "bytes-in"),
                    _count(child, "bytes-out"),
                )
                for key, child in _section(sa, "child-sas").items()
                if isinstance(child, dict)
            )
            found.append(IkeSa(name, str(sa.get("state", "")), children))
    return found


# What swanctl says besides its answer: its plugins that this machine lacks, and its usage text.
_NOISE = re.compile(r"^(plugin '[^']+': failed to load|strongSwan \d|usage:|\s+(swanctl |--))")


def swanctl_failure(output: str) -> str:
    """Why swanctl failed, from what it printed (without its noise)."""
    return "; ".join(line.strip() for line in output.splitlines() if line.strip() and not _NOISE.match(line))


def own_address(addresses: list[str], selectors: tuple[str, ...]) -> str | None:
    """The first of a device's addresses (`ip -4 -o addr` CIDRs) inside a traffic selector."""
    for cidr in addresses:
        address = ipaddress.ip_interface(cidr).ip
        if any(address in ipaddress.ip_network(s, strict=False) for s in selectors):
            return str(address)
    return None
