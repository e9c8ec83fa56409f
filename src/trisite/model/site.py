"""Datacenters and what links them to each other and to the internet."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from trisite.model.types import ASN, Endpoint, IPAddress, IPNetwork, Mbps, Name, Strict


class PowerFeed(Strict):
    name: Name
    description: str = ""


class Rack(Strict):
    name: Name
    power_feeds: list[Name] = Field(min_length=1, description="feeds (of this site) that reach the rack")


class Site(Strict):
    """A datacenter. Racks and power feeds are named within their site."""

    name: Name
    description: str = ""
    location: str = ""
    power_feeds: list[PowerFeed] = Field(min_length=1)
    racks: list[Rack] = Field(min_length=1)


class ManLink(Strict):
    """A metropolitan link between two sites, from a device port at one end to one at the other."""

    name: Name
    a: Endpoint
    b: Endpoint
    speed: Mbps
    mtu: int = Field(default=1500, ge=576, le=9216)
    carrier: str = Field(
        default="", description="who provides the fibre: links of one carrier are one shared risk for verify"
    )
    length_km: float | None = Field(default=None, gt=0)


class Operator(Strict):
    """An internet operator (transit provider) and its AS."""

    name: Name
    asn: ASN
    description: str = ""


class Bfd(Strict):
    """BFD timers: failure detected after interval x multiplier (FRR defaults: 300 ms x 3)."""

    interval_ms: int = Field(default=300, ge=10, le=60_000)
    multiplier: int = Field(default=3, ge=2, le=255)


class BgpSession(Strict):
    """The eBGP session parameters of an uplink (FRR defaults: keepalive 60 s, hold 180 s)."""

    peer_address: IPAddress
    keepalive_s: int = Field(default=60, ge=1, le=21_845)
    hold_time_s: int = Field(default=180, ge=3, le=65_535)
    connect_retry_s: int = Field(default=120, ge=1, le=65_535)
    bfd: Bfd | None = None
    password: Name | None = Field(default=None, description="name of a secret holding the TCP-MD5 key")
    receive: Literal["default", "partial", "full"] = "default"

    @model_validator(mode="after")
    def _hold_after_keepalive(self) -> BgpSession:
        if self.hold_time_s < 3 * self.keepalive_s:
            raise ValueError(
                f"hold_time_s ({self.hold_time_s}) must be at least 3 x keepalive_s "
                f"({self.keepalive_s}) so that two lost keepalives do not drop the session"
            )
        return self


class Uplink(Strict):
    """An internet line at a site: handed off on `network`, terminated by `firewalls`."""

    name: Name
    site: Name
    operator: Name
    network: Name = Field(description="the hand-off segment shared with the operator's router")
    handoff: Endpoint | None = Field(default=None, description="switch port where the line is delivered")
    speed: Mbps
    local_asn: ASN | None = Field(default=None, description="our ASN on this line (default: platform.asn)")
    firewalls: list[Name] = Field(min_length=1, description="firewalls holding a BGP session each")
    bgp: BgpSession


class Announcement(Strict):
    site: Name
    prepend: int = Field(default=0, ge=0, le=10, description="AS-path prepends; higher means less preferred")


class PublicPrefix(Strict):
    """A block of public addresses announced with BGP from one or more sites."""

    name: Name
    prefix: IPNetwork
    announce: list[Announcement] = Field(min_length=1)


class SharedRisk(Strict):
    """Components that fail together: two fibres in one conduit, two sites in one building or on one power
    source, one carrier or operator behind several links. Verify fails them as one."""

    name: Name
    kind: Literal["conduit", "building", "carrier", "operator", "power", "other"] = "other"
    members: list[str] = Field(
        min_length=2,
        description="what fails with it, as component ids: man:NAME, uplink:NAME, operator:NAME, site:NAME, "
        "feed:SITE/FEED, switch:NAME, server:NAME, firewall:NAME",
    )
    description: str = ""
