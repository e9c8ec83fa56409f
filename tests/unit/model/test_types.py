from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from trisite.model.types import Mbps, PortRange, expand_port_names, format_speed

speed = TypeAdapter(Mbps)
ports = TypeAdapter(PortRange)


@pytest.mark.parametrize(
    ("text", "mbps"),
    [("10G", 10_000), ("100M", 100), ("2.5Gbit/s", 2500), ("1T", 10**6), (25000, 25000), ("40 gbps", 40_000)],
)
def test_speeds(text: object, mbps: int) -> None:
    assert speed.validate_python(text) == mbps


@pytest.mark.parametrize("bad", ["fast", "10", True, -5, "0G"])
def test_bad_speeds(bad: object) -> None:
    with pytest.raises(ValidationError):
        speed.validate_python(bad)


def test_port_ranges() -> None:
    assert ports.validate_python(443) == (443, 443)
    assert ports.validate_python("6800-7300") == (6800, 7300)
    for bad in ("7300-6800", 0, 70000, "http"):
        with pytest.raises(ValidationError):
            ports.validate_python(bad)


def test_port_names_and_speed_format() -> None:
    assert expand_port_names("swp1-3") == ["swp1", "swp2", "swp3"]
    assert expand_port_names("Ethernet0/1") == ["Ethernet0/1"]
    assert format_speed(25_000) == "25G" and format_speed(100) == "100M"
