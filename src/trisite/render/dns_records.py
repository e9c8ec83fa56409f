"""The right-hand side of a zone file's records, checked and escaped: a design value never reaches the zone
as raw text, so a quote, a backslash or a newline in it cannot end a string early or start another record.

Failover records are PowerDNS LUA records. PowerDNS 4.7 (Debian 12) gives `ifportup` a flat list of
addresses and picks among the live ones at random; `ifurlup` takes preference sets. The design says "the first
healthy target, in order", so a TCP check asks `ifportup` for every live target and returns the first of them
in the design's order (all of them when none is live, as PowerDNS does: the first target then answers).
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv6Address

from trisite.errors import RenderError
from trisite.model.operations import DnsRecord, DnsZone

MAX_STRING = 255  # bytes of one <character-string> (RFC 1035 3.3)
LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
URL_PATH = re.compile(r"^/[A-Za-z0-9._~!$&()*+,;=:@%/-]*$")  # no quote, backslash or space: it sits in Lua
CAA_TAG = re.compile(r"^[A-Za-z0-9]{1,15}$")


def _where(zone: DnsZone, record: DnsRecord) -> str:
    return f"dns[{zone.name}] record {record.name} {record.type}"


def check_owner(zone: DnsZone, record: DnsRecord) -> None:
    """Labels of 1-63 characters, 253 in all with the zone (RFC 1035 2.3.4); `*` only as a whole name."""
    if record.name in ("@", "*"):
        return
    if not all(LABEL.match(label) for label in record.name.split(".")):
        raise RenderError(f"{_where(zone, record)}: '{record.name}' is not a name of 1-63 character labels")
    if len(f"{record.name}.{zone.name}") > 253:
        raise RenderError(f"{_where(zone, record)}: the name is longer than 253 characters")


def _domain(zone: DnsZone, record: DnsRecord, value: str) -> str:
    """A target name, relative to the zone or absolute (trailing dot)."""
    labels = value[:-1].split(".") if value.endswith(".") else value.split(".")
    if value == "@" or (all(LABEL.match(label) for label in labels) and len(value) <= 254):
        return value
    raise RenderError(f"{_where(zone, record)}: '{value}' is not a domain name")


def _number(zone: DnsZone, record: DnsRecord, value: str, top: int) -> str:
    if value.isdigit() and int(value) <= top:
        return str(int(value))
    raise RenderError(f"{_where(zone, record)}: '{value}' is not a number from 0 to {top}")


def quoted(text: str, limit: int = MAX_STRING) -> str:
    """Text as zone-file <character-string>s: `"` and `\\` escaped, bytes outside printable ASCII as \\DDD,
    split into strings of at most `limit` bytes (a resolver joins a TXT record's strings back)."""
    chunks, current, size = [], "", 0
    for byte in text.encode("utf-8"):
        char = chr(byte)
        escaped = "\\" + char if char in '"\\' else char if 32 <= byte < 127 else f"\\{byte:03d}"
        if size == limit:
            chunks.append(current)
            current, size = "", 0
        current, size = current + escaped, size + 1
    chunks.append(current)
    return " ".join(f'"{c}"' for c in chunks)


def _fields(zone: DnsZone, record: DnsRecord, value: str, count: int) -> list[str]:
    parts = value.split(maxsplit=count - 1)
    if len(parts) != count:
        raise RenderError(f"{_where(zone, record)}: '{value}' needs {count} fields")
    return parts


def _address(zone: DnsZone, record: DnsRecord, value: str) -> str:
    try:
        return str(IPv4Address(value) if record.type == "A" else IPv6Address(value))
    except ValueError:
        version = 4 if record.type == "A" else 6
        raise RenderError(f"{_where(zone, record)}: '{value}' is not an IPv{version} address") from None


def rdata(zone: DnsZone, record: DnsRecord, value: str) -> str:
    """One value of a plain record in zone-file syntax, or a RenderError saying what is wrong with it."""
    kind = record.type
    if kind in ("A", "AAAA"):
        return _address(zone, record, value)
    if kind in ("CNAME", "NS"):
        return _domain(zone, record, value)
    if kind == "TXT":
        return quoted(value)
    if kind == "MX":
        preference, exchange = _fields(zone, record, value, 2)
        return f"{_number(zone, record, preference, 65535)} {_domain(zone, record, exchange)}"
    if kind == "SRV":
        *numbers, target = _fields(zone, record, value, 4)
        return " ".join([*(_number(zone, record, n, 65535) for n in numbers), _domain(zone, record, target)])
    flags, tag, text = _fields(zone, record, value, 3)  # CAA (RFC 8659): the value is one string
    if not CAA_TAG.match(tag):
        raise RenderError(f"{_where(zone, record)}: CAA tag '{tag}' is not 1-15 letters or digits")
    text = text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else text
    return f"{_number(zone, record, flags, 255)} {tag} {quoted(text, limit=len(text.encode()) + 1)}"


def _lua_chunks(code: str) -> str:
    """LUA record code as strings of at most 255 bytes, cut at spaces: PowerDNS joins them with a space, and
    a secondary receiving the record by AXFR gets it as TXT-like strings of that size."""
    if '"' in code or "\\" in code:
        raise RenderError(f"LUA code must not hold quotes or backslashes: {code}")
    chunks: list[str] = []
    for word in code.split(" "):
        if chunks and len(chunks[-1]) + 1 + len(word) <= MAX_STRING:
            chunks[-1] += " " + word
        else:
            chunks.append(word)
    return " ".join(f'"{c}"' for c in chunks)


def lua(zone: DnsZone, record: DnsRecord) -> str:
    """The LUA record answering with the first healthy target of a failover record."""
    assert record.failover is not None
    targets = "{" + ", ".join(f"'{t}'" for t in record.failover.targets) + "}"
    check = record.failover.check  # its interval is pdns.conf's lua-health-checks-interval
    if check.type == "tcp":
        options = "{selector='all', backupSelector='all'}"
        code = (
            f";local up = {{}} for _, a in ipairs(ifportup({check.port}, {targets}, {options})) do up[a] = true end"
            f" for _, a in ipairs({targets}) do if up[a] then return a end end"
        )
    else:
        path = check.path or "/"
        if not URL_PATH.match(path):
            raise RenderError(f"{_where(zone, record)}: check path '{path}' is not a plain URL path")
        host = zone.name if record.name == "@" else f"{record.name}.{zone.name}"
        sets = "{" + ", ".join(f"{{'{t}'}}" for t in record.failover.targets) + "}"
        code = f"ifurlup('{check.type}://{host}:{check.port}{path}', {sets})"  # sets: in order
    return f"{record.type} {_lua_chunks(code)}"
