"""The whole platform, as one typed, immutable value."""

from __future__ import annotations

from pydantic import Field

from trisite.model.devices import Cable, Firewall, Server, Station, Switch, Vm
from trisite.model.network import Flow, Group, HaGroup, InterSiteRouting, Network, Zone
from trisite.model.operations import (
    BackupJob,
    Bootstrap,
    ComponentClass,
    DnsZone,
    Monitoring,
    Objective,
    Reliability,
    SecretRef,
    Versions,
    VpnLink,
)
from trisite.model.services import CephCluster, KubernetesCluster, OpenStackRegion, Ovirt
from trisite.model.site import ManLink, Operator, PublicPrefix, SharedRisk, Site, Uplink
from trisite.model.types import ASN, Name, Percent, Strict


class Platform(Strict):
    name: Name
    description: str = ""
    domain: str = Field(pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$")
    asn: ASN = Field(description="our AS number (private: 64512-65534)")
    availability_target: Percent = Field(default=99.999, description="percent of the year, e.g. 99.999")
    timezone: str = "UTC"


class Design(Strict):
    """A multi-site platform, from the power feeds to the containers."""

    platform: Platform
    versions: Versions = Versions()
    secrets: dict[Name, SecretRef] = {}
    sites: list[Site] = Field(min_length=1)
    zones: list[Zone] = Field(min_length=1)
    networks: list[Network] = Field(min_length=1)
    groups: list[Group] = []
    operators: list[Operator] = []
    uplinks: list[Uplink] = []
    public_prefixes: list[PublicPrefix] = []
    man_links: list[ManLink] = []
    risks: list[SharedRisk] = Field(
        default=[], description="components that fail together (one conduit, building, carrier, power source)"
    )
    routing: InterSiteRouting = InterSiteRouting()
    firewalls: list[Firewall] = Field(min_length=1)
    ha_groups: list[HaGroup] = []
    switches: list[Switch] = []
    servers: list[Server] = []
    cables: list[Cable] = []
    vms: list[Vm] = []
    stations: list[Station] = []
    flows: list[Flow] = []
    ceph: list[CephCluster] = []
    ovirt: list[Ovirt] = []
    openstack: list[OpenStackRegion] = []
    kubernetes: list[KubernetesCluster] = []
    vpn: list[VpnLink] = []
    dns: list[DnsZone] = []
    monitoring: Monitoring | None = None
    backups: list[BackupJob] = []
    bootstrap: Bootstrap = Bootstrap()
    reliability: dict[ComponentClass, Reliability] = {}
    objectives: list[Objective] = Field(
        default=[], description="tolerated interruptions per service on a site loss and a single failure"
    )
