"""What a DNS record of the design may hold, per type: checked when the design is loaded, so that a value that
would break the zone file (a quote, a newline, a label of 64 characters) is refused with its file and line, and
the renderer only escapes what it writes (render/dns_records.py)."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv6Address

LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
URL_PATH = re.compile(r"^/[A-Za-z0-9._~!$&()*+,;=:@%/-]*$")  # no quote, backslash or space: it sits in Lua
CAA_TAG = re.compile(r"^[A-Za-z0-9]{1,15}$")
FIELDS = {"MX": 2, "SRV": 4, "CAA": 3}


def owner_problem(zone: str, name: str) -> str | None:
    """Labels of 1-63 characters, 253 in all with the zone (RFC 1035 2.3.4); `*` only as a whole name."""
    if name in ("@", "*"):
        return None
    if not all(LABEL.match(label) for label in name.split(".")):
        return f"'{name}' is not a name of 1-63 character labels (letters, digits, - and _)"
    if len(f"{name}.{zone}") > 253:
        return "the name is longer than 253 characters with its zone"
    return None


def domain_problem(value: str) -> str | None:
    """A target name, relative to the zone or absolute (trailing dot)."""
    labels = value[:-1].split(".") if value.endswith(".") else value.split(".")
    if value == "@" or (all(LABEL.match(label) for label in labels) and len(value) <= 254):
        return None
    return f"'{value}' is not a domain name"


def number_problem(value: str, top: int) -> str | None:
    return None if value.isdigit() and int(value) <= top else f"'{value}' is not a number from 0 to {top}"


def value_problem(kind: str, value: str) -> str | None:
    """What is wrong with one value of a plain record of type `kind`, or None (TXT: any text, escaped)."""
    if kind in ("A", "AAAA"):
        return _address_problem(kind, value)
    if kind in ("CNAME", "NS"):
        return domain_problem(value)
    if kind in FIELDS:
        return _fields_problem(kind, value)
    return None


def _address_problem(kind: str, value: str) -> str | None:
    try:
        IPv4Address(value) if kind == "A" else IPv6Address(value)
    except ValueError:
        return f"'{value}' is not an IPv{4 if kind == 'A' else 6} address"
    return None


def _fields_problem(kind: str, value: str) -> str | None:
    parts = value.split(maxsplit=FIELDS[kind] - 1)
    if len(parts) != FIELDS[kind]:
        return f"'{value}' needs {FIELDS[kind]} fields"
    if kind == "MX":
        return number_problem(parts[0], 65535) or domain_problem(parts[1])
    if kind == "SRV":
        return next((p for n in parts[:3] if (p := number_problem(n, 65535))), None) or domain_problem(
            parts[3]
        )
    if not CAA_TAG.match(parts[1]):
        return f"CAA tag '{parts[1]}' is not 1-15 letters or digits"
    return number_problem(parts[0], 255)


def path_problem(path: str) -> str | None:
    return None if URL_PATH.match(path) else f"check path '{path}' is not a plain URL path"
