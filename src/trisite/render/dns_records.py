"""The right-hand side of a zone file's records, checked and escaped: a design value never reaches the zone
as raw text, so a quote, a backslash or a newline in it cannot end a string early or start another record.

Failover records are PowerDNS LUA records. PowerDNS 4.7 (Debian 12) gives `ifportup` a flat list of
addresses and picks among the live ones at random; `ifurlup` takes preference sets. The design says "the first
healthy target, in order", so the record asks for every live target and returns the first of them in the
design's order (the first target when none is live, as PowerDNS does). Which are live comes from trisite's DNS
health agent (agents/dns_health.py), which checks as often as the design asks; PowerDNS's own checks, in
rounds of whole seconds, decide when the agent's state file is missing or stale.
"""

from __future__ import annotations

import math
from ipaddress import IPv4Address, IPv6Address

from trisite.errors import RenderError
from trisite.model import dns_values
from trisite.model.operations import DnsRecord, DnsZone, HealthCheck

MAX_STRING = 255  # bytes of one <character-string> (RFC 1035 3.3)


def _where(zone: DnsZone, record: DnsRecord) -> str:
    return f"dns[{zone.name}] record {record.name} {record.type}"


def _checked(zone: DnsZone, record: DnsRecord, problem: str | None) -> None:
    """The model refuses these when the design is loaded (model/dns_values.py): a design made in code that
    skipped the loader still cannot write a broken zone."""
    if problem:
        raise RenderError(f"{_where(zone, record)}: {problem}")


def check_owner(zone: DnsZone, record: DnsRecord) -> None:
    _checked(zone, record, dns_values.owner_problem(zone.name, record.name))


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


def rdata(zone: DnsZone, record: DnsRecord, value: str) -> str:
    """One value of a plain record in zone-file syntax: numbers normalised, text quoted and escaped."""
    _checked(zone, record, dns_values.value_problem(record.type, value))
    kind = record.type
    if kind in ("A", "AAAA"):
        return str(IPv4Address(value) if kind == "A" else IPv6Address(value))
    if kind == "TXT":
        return quoted(value)
    if kind in ("CNAME", "NS"):
        return value
    parts = value.split(maxsplit=dns_values.FIELDS[kind] - 1)
    if kind in ("MX", "SRV"):
        return " ".join([*(str(int(n)) for n in parts[:-1]), parts[-1]])
    flags, tag, text = parts  # CAA (RFC 8659): the value is one string
    text = text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else text
    return f"{int(flags)} {tag} {quoted(text, limit=len(text.encode()) + 1)}"


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


STATE_DIR = "/run/trisite-dns-health"  # the agent's state files (render/dns_health.py)


def fqdn(zone: DnsZone, record: DnsRecord) -> str:
    return zone.name if record.name == "@" else f"{record.name}.{zone.name}"


def state_name(zone: DnsZone, record: DnsRecord) -> str:
    """The agent's state file of a failover record (a file name: the owner names are letters, digits, `_.-*`)."""
    return f"{fqdn(zone, record)}-{record.type}"


def stale_s(check: HealthCheck) -> int:
    """How old the agent's word may be, in whole seconds (Lua's os.time()): three rounds and a check's timeout,
    three seconds at the least, before PowerDNS's own checks decide."""
    return max(3, math.ceil(3 * check.interval_s + check.timeout_s))


def _native(zone: DnsZone, record: DnsRecord, targets: str) -> str:
    """PowerDNS's own check of the targets, every live one (all of them when none is)."""
    assert record.failover is not None
    check = record.failover.check
    options = "{selector='all', backupSelector='all'}"
    if check.type == "tcp":
        return f"ifportup({check.port}, {targets}, {options})"
    path = check.path or "/"
    _checked(zone, record, dns_values.path_problem(path))
    # one set per target, in order: ifurlup answers from the first set with a live member
    sets = "{" + ", ".join(f"{{'{t}'}}" for t in record.failover.targets) + "}"
    return f"ifurlup('{check.type}://{fqdn(zone, record)}:{check.port}{path}', {sets}, {options})"


def lua(zone: DnsZone, record: DnsRecord) -> str:
    """The LUA record answering with the first healthy target of a failover record: healthy as the agent's
    state file says while it is fresh, as PowerDNS's own checks say otherwise (they run on every query, so
    they are current when the agent stops); the first target when none is healthy."""
    assert record.failover is not None
    targets = "{" + ", ".join(f"'{t}'" for t in record.failover.targets) + "}"
    state = f"{STATE_DIR}/{state_name(zone, record)}"
    code = (
        f";local T = {targets} local up = {{}}"
        f" for _, a in ipairs({_native(zone, record, 'T')}) do up[a] = true end"
        f" local ok, f = pcall(function() return io.open('{state}') end)"
        " if ok and f then local l = f:read('*l') or '' f:close() local s = tonumber(l:match('^%d+'))"
        f" if s and math.abs(os.time() - s) <= {stale_s(record.failover.check)} then"
        " up = {} for a in l:gmatch('%S+') do up[a] = true end end end"
        " for _, a in ipairs(T) do if up[a] then return a end end return T[1]"
    )
    return f"{record.type} {_lua_chunks(code)}"
