"""Firewalls, switches, servers and the cables between them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from trisite.model.network import Address, Bond, Nic
from trisite.model.types import Endpoint, IPAddress, Mbps, Name, Strict, expand_port_names


class VmSpec(Strict):
    """A virtual machine on oVirt: where it runs and what it needs. HA VMs restart on another host."""

    cluster: Name = Field(description="oVirt cluster")
    preferred_host: Name | None = None
    storage_domain: Name
    ha: bool = True
    priority: Literal["low", "medium", "high"] = "medium"
    vcpus: int = Field(default=4, gt=0)
    memory_gb: int = Field(default=16, gt=0)


class Firewall(Strict):
    """A physical appliance or a VM; `linux` runs FRR + nftables + keepalived/ucarp."""

    name: Name
    site: Name
    kind: Literal["physical", "virtual"] = "physical"
    platform: Literal["opnsense", "linux"]
    rack: Name | None = None
    power_feeds: list[Name] = []
    vm: VmSpec | None = None
    nics: list[Nic] = Field(min_length=1)
    bonds: list[Bond] = []
    addresses: list[Address] = []
    model: str = ""

    @model_validator(mode="after")
    def _placement_matches_kind(self) -> Firewall:
        if self.kind == "physical" and (self.rack is None or not self.power_feeds or self.vm):
            raise ValueError("a physical firewall needs rack and power_feeds, and no vm")
        if self.kind == "virtual" and (self.vm is None or self.rack or self.power_feeds):
            raise ValueError("a virtual firewall needs vm (its oVirt cluster), and no rack or power_feeds")
        return self


class Switch(Strict):
    """A switch. `ports` maps names or ranges (swp1-48) to their speed."""

    name: Name
    site: Name
    rack: Name
    role: Literal["leaf", "spine", "tor", "core", "oob"] = "tor"
    os: Literal["cumulus", "sonic", "linux"] = "cumulus"

    power_feeds: list[Name] = Field(min_length=1)
    ports: dict[str, Mbps] = Field(min_length=1)
    addresses: list[Address] = []
    lldp: bool = True
    model: str = ""

    @field_validator("ports")
    @classmethod
    def _ranges_expand(cls, ports: dict[str, int]) -> dict[str, int]:
        for spec in ports:
            expand_port_names(spec)
        return ports

    def port_speeds(self) -> dict[str, int]:
        return {name: speed for spec, speed in self.ports.items() for name in expand_port_names(spec)}


class Bmc(Strict):
    """The server's management card. Credentials are the name of a secret, never the password."""

    address: IPAddress
    network: Name
    protocol: Literal["redfish", "ipmi"] = "redfish"
    user: str = Field(default="admin", pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="the BMC account")
    credentials: Name = Field(
        description="name of the secret under `secrets:` holding the account's password"
    )
    port: int | None = Field(default=None, ge=1, le=65535)
    verify_tls: bool = True


class Disk(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    size_gb: int = Field(gt=0)
    media: Literal["hdd", "ssd", "nvme"]
    use: Literal["os", "osd", "data", "spare"] = "data"


class DiskController(Strict):
    """JBOD wanted; many controllers cannot, hence the one-RAID-0-per-disk fallback."""

    mode: Literal["jbod", "raid0-per-disk", "raid1", "none"] = "jbod"
    fallback: Literal["raid0-per-disk"] | None = "raid0-per-disk"


class Bios(Strict):
    """Expected firmware settings: the seed found BIOS clocks on local time while the OS said UTC."""

    timezone: str = "UTC"
    clock: Literal["utc", "localtime"] = "utc"
    boot_order: list[Literal["pxe", "disk", "cdrom", "usb", "http"]] = ["disk", "pxe"]
    attributes: dict[str, str | int | bool] = {}


Role = Literal["ceph", "ovirt", "openstack", "kubernetes", "monitoring", "backup", "dns", "bastion"]


class Server(Strict):
    name: Name
    site: Name
    rack: Name
    power_feeds: list[Name] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    bmc: Bmc
    nics: list[Nic] = Field(min_length=1)
    bonds: list[Bond] = []
    disks: list[Disk] = []
    disk_controller: DiskController = DiskController()
    bios: Bios = Bios()
    # A server is deployed, monitored and backed up over the network: it needs an address to be reached at.
    addresses: list[Address] = Field(min_length=1, description="at least its management address")
    cpu_cores: int = Field(default=32, gt=0)
    memory_gb: int = Field(default=256, gt=0)
    os: str | None = Field(
        default=None, description="operating system, e.g. debian-12 (default: versions.os)"
    )
    model: str = ""


class Cable(Strict):
    """A cable inside a site, with the speed the link must come up at."""

    a: Endpoint
    b: Endpoint
    speed: Mbps | None = None
    label: str = ""


class Vm(VmSpec):
    """A virtual machine of the platform (OpenStack controllers, Kubernetes nodes, ...)."""

    name: Name
    roles: list[Role] = []
    os: str | None = Field(default=None, description="operating system (default: versions.os)")
    nics: list[Nic] = [Nic(name="eth0", speed=10_000)]

    addresses: list[Address] = []


class Station(Strict):
    """The deployment host used while bootstrapping a site from nothing."""

    name: Name
    site: Name
    address: IPAddress
    network: Name
