"""Small value types shared by the design model: names, speeds, ASNs, ports, endpoints."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
# Names become hostnames, namespace names and file names: DNS labels, lower case.
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="lower-case DNS label: a-z, 0-9 and '-'")]
PortName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,31}$", description="interface name")]


def _as_text(example: str) -> object:
    """Addresses are written as text: pydantic would read `5` as 0.0.0.5 and `true` as 0.0.0.1."""

    def check(value: object) -> object:
        if isinstance(value, bool | int | float):
            raise ValueError(f"an address is written as text, e.g. {example}")
        return value

    return BeforeValidator(check)


IPAddress = Annotated[IPv4Address | IPv6Address, _as_text("198.18.1.10")]
IPNetwork = Annotated[IPv4Network | IPv6Network, _as_text("198.18.1.0/24")]
IPInterface = Annotated[IPv4Interface | IPv6Interface, _as_text("198.18.1.10/24")]
# Private 2-byte and 4-byte ASNs are the norm in designs; any valid ASN is accepted.
ASN = Annotated[int, Field(ge=1, le=4_294_967_294, description="autonomous system number")]
Percent = Annotated[float, Field(gt=0, lt=100)]

_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([MGT])(?:b(?:it)?(?:/s|ps)?)?\s*$", re.IGNORECASE)
_FACTOR = {"M": 1, "G": 1000, "T": 1_000_000}


def _parse_speed(value: object) -> object:
    """'10G', '100M', '2.5Gbit/s' -> megabits per second; plain integers are Mbit/s already."""
    if isinstance(value, bool):
        raise ValueError("a speed is a number with a unit, e.g. 10G")
    if isinstance(value, str):
        match = _SPEED.match(value)
        if not match:
            raise ValueError(f"'{value}' is not a speed (write e.g. 1G, 10G, 100M)")
        return int(float(match.group(1)) * _FACTOR[match.group(2).upper()])
    return value


Mbps = Annotated[int, BeforeValidator(_parse_speed), Field(gt=0, description="speed, e.g. 10G or 100M")]


def format_speed(mbps: int) -> str:
    if mbps % 1000 == 0:
        return f"{mbps // 1000}G"
    return f"{mbps}M"


_ENDPOINT = re.compile(r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?):([A-Za-z0-9][A-Za-z0-9_./-]{0,31})$")


def _check_endpoint(value: str) -> str:
    if not _ENDPOINT.match(value):
        raise ValueError(f"'{value}' is not DEVICE:PORT (e.g. dc1-sw1:swp1)")
    return value


Endpoint = Annotated[str, AfterValidator(_check_endpoint), Field(description="DEVICE:PORT")]


def split_endpoint(endpoint: str) -> tuple[str, str]:
    device, port = endpoint.split(":", 1)
    return device, port


_RANGE = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")


def _parse_ports(value: object) -> object:
    """443 or '8000-8100' -> (first, last)."""
    if isinstance(value, bool):
        raise ValueError("a port is a number or a range like 8000-8100")
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, str):
        match = _RANGE.match(value.strip())
        if not match:
            raise ValueError(f"'{value}' is not a port or a range like 8000-8100")
        first = int(match.group(1))
        return (first, int(match.group(2) or first))
    return value


def _check_port_range(value: tuple[int, int]) -> tuple[int, int]:
    first, last = value
    if not 1 <= first <= last <= 65535:
        raise ValueError(f"port range {first}-{last} must lie within 1-65535, low to high")
    return value


PortRange = Annotated[tuple[int, int], BeforeValidator(_parse_ports), AfterValidator(_check_port_range)]

_PORT_SPAN = re.compile(r"^(.*?)(\d+)-(\d+)$")


def expand_port_names(spec: str) -> list[str]:
    """'swp1-4' -> swp1..swp4; 'eth0' -> [eth0]. Ranges are how switch vendors list ports."""
    match = _PORT_SPAN.match(spec)
    if not match:
        return [spec]
    prefix, first, last = match.group(1), int(match.group(2)), int(match.group(3))
    if last < first or last - first > 1024:
        raise ValueError(f"port range '{spec}' must go low to high and span at most 1024 ports")
    return [f"{prefix}{n}" for n in range(first, last + 1)]


class Strict(BaseModel):
    """Base of every design object: immutable, and unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
