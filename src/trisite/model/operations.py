"""What runs the platform day to day: VPN, DNS failover, monitoring, backups, secrets, versions."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from trisite.model.network import Flow
from trisite.model.types import IPAddress, IPNetwork, Name, Strict


class SecretRef(Strict):
    """Where a secret lives: an environment variable or a file. The value is never in the design."""

    env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret is either env: VARIABLE or file: PATH")
        return self


class VpnRemote(Strict):
    name: Name
    address: IPAddress
    prefixes: list[IPNetwork] = Field(min_length=1)


class VpnEndpoint(Strict):
    """One firewall's own end of a WireGuard link: the members of an HA pair share no address and no key."""

    device: Name
    address: IPAddress = Field(description="its tunnel address, in the link's client network")
    key: Name = Field(description="name of a secret: this firewall's private key")


class VpnLink(Strict):
    """Site-to-site (to a peer of ours or a remote gateway) or admin access (a client pool)."""

    name: Name
    kind: Literal["site-to-site", "admin"]
    technology: Literal["wireguard", "ipsec"]
    terminates_on: Name = Field(description="an HA group (its VIP) or a firewall")
    peer: Name | None = Field(default=None, description="site-to-site between our own HA groups")
    remote: VpnRemote | None = None
    client_network: Name | None = Field(default=None, description="network whose addresses clients get")
    allowed: list[Name] = Field(min_length=1, description="zones, networks or groups reachable through it")
    key: Name = Field(description="name of a secret: pre-shared key or private key")
    endpoints: list[VpnEndpoint] = Field(
        default=[], description="WireGuard on an HA group: each firewall's own tunnel address and key"
    )

    @model_validator(mode="after")
    def _shape(self) -> VpnLink:
        if self.kind == "site-to-site" and (self.peer is None) == (self.remote is None):
            raise ValueError("a site-to-site link has either peer (our HA group) or remote, not both")
        if self.kind == "admin" and (self.client_network is None or self.peer or self.remote):
            raise ValueError("an admin link has a client_network and no peer or remote")
        return self


class HealthCheck(Strict):
    type: Literal["tcp", "http", "https"] = "tcp"
    port: int = Field(ge=1, le=65535)
    path: str | None = None
    # trisite's DNS health agent checks this often (0.1 s at the least); PowerDNS's own checks, its fallback,
    # run every whole second at the most (lua-health-checks-interval).
    interval_s: float = Field(default=5, ge=0.1, le=3600)
    # a target that has not answered by then failed its check
    timeout_s: float = Field(default=2, gt=0, le=60)


class DnsFailover(Strict):
    """Answer with the first healthy target, in order (a PowerDNS LUA record fed by trisite's DNS health agent,
    PowerDNS's own `ifportup`/`ifurlup` checks when the agent is silent)."""

    targets: list[IPAddress] = Field(min_length=2)
    check: HealthCheck


class DnsRecord(Strict):
    name: str = Field(pattern=r"^(@|\*|[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9])?)$")
    type: Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA"]
    ttl: int = Field(default=300, ge=1, le=604_800)
    values: list[str] = []
    failover: DnsFailover | None = None

    @model_validator(mode="after")
    def _values_or_failover(self) -> DnsRecord:
        if bool(self.values) == bool(self.failover):
            raise ValueError("a record has either values or failover")
        if self.failover and self.type not in ("A", "AAAA"):
            raise ValueError("failover records are A or AAAA")
        return self


class DnsZone(Strict):
    name: str = Field(pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$")
    servers: list[Name] = Field(min_length=1, description="hosts serving the zone")
    records: list[DnsRecord] = []


class Receiver(Strict):
    name: Name
    kind: Literal["email", "webhook"]
    target: str = Field(min_length=3, description="address, or URL (a secret name if it holds a token)")


Layer = Literal["network", "hardware", "storage", "virtualization", "cloud", "containers", "backup", "dns"]
ALL_LAYERS: list[Layer] = [
    "network",
    "hardware",
    "storage",
    "virtualization",
    "cloud",
    "containers",
    "backup",
    "dns",
]


class Monitoring(Strict):
    prometheus: list[Name] = Field(min_length=1)
    alertmanager: list[Name] = Field(min_length=1)
    grafana: list[Name] = []
    watch: list[Layer] = Field(default=ALL_LAYERS)
    blackbox_from: list[Name] = Field(default=[], description="sites probing every public endpoint")
    scrape_interval_s: int = Field(default=15, ge=1, le=3600)
    retention_days: int = Field(default=30, ge=1)
    receivers: list[Receiver] = []


class Retention(Strict):
    daily: int = Field(default=7, ge=0)
    weekly: int = Field(default=4, ge=0)
    monthly: int = Field(default=6, ge=0)


class BackupSource(Strict):
    kind: Literal["files", "ceph-rbd", "database", "etcd", "ovirt-vms"]
    hosts: list[Name] = []
    paths: list[str] = []
    ceph_cluster: Name | None = None
    pool: str | None = None

    @model_validator(mode="after")
    def _what(self) -> BackupSource:
        if self.kind == "ceph-rbd" and (self.ceph_cluster is None or self.pool is None):
            raise ValueError("a ceph-rbd backup names ceph_cluster and pool")
        if self.kind != "ceph-rbd" and not self.hosts:
            raise ValueError(f"a {self.kind} backup names the hosts it reads from")
        return self


class BackupJob(Strict):
    name: Name
    source: BackupSource
    from_site: Name
    to_site: Name
    to_host: Name
    tool: Literal["restic", "borg"] = "restic"
    schedule: str = Field(default="0 2 * * *", pattern=r"^(\S+\s+){4}\S+$", description="cron schedule")
    retention: Retention = Retention()
    repository_key: Name = Field(description="name of a secret: the repository password")
    max_age_h: int = Field(default=26, ge=1, description="alert when the newest backup is older")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        for text, (name, low, high) in zip(value.split(), CRON_FIELDS, strict=True):
            if text == "*":
                continue
            for item in text.split(","):
                if not item.isdigit():
                    raise ValueError(
                        f"{name} '{item}': write '*' or numbers separated by commas (ranges, steps and names "
                        "are not turned into systemd timers)"
                    )
                if not low <= int(item) <= high:
                    raise ValueError(f"{name} {item} is outside {low}-{high}")
        return value


# The five fields of a cron schedule, each with its range (weekday 0 and 7 are Sunday).
CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))


class TemporaryRoute(Strict):
    name: Name
    device: Name
    destination: IPNetwork
    via: IPAddress
    why: str = Field(min_length=3)


class TemporaryAccount(Strict):
    name: Name = Field(description="login name")
    hosts: list[Name] = Field(min_length=1)
    why: str = Field(min_length=3)


class Bootstrap(Strict):
    """Everything that exists only while deploying; the deploy stage removes it at the end."""

    stations: list[Name] = Field(default=[], description="deployment hosts, listed under `stations`")
    flows: list[Flow] = []
    routes: list[TemporaryRoute] = []
    accounts: list[TemporaryAccount] = []


class Versions(Strict):
    os: str = "debian-12"
    ceph: str | None = None
    ovirt: str | None = None
    openstack: str | None = None
    kubernetes: str | None = None
    frr: str | None = None
    keepalived: str | None = None
    opnsense: str | None = None


ComponentClass = Literal[
    "server",
    "disk",
    "switch",
    "cable",
    "firewall",
    "power-feed",
    "man-link",
    "uplink",
    "operator",
    "site",
    "bmc",
    "vm",
    "risk",  # a shared risk: its members fail together
]


class Reliability(Strict):
    """Failure and repair rates of a component class (defaults live with the verify stage)."""

    mtbf_h: float = Field(gt=0)
    mttr_h: float = Field(gt=0)


class Objective(Strict):
    """How long the services a pattern names may be interrupted (seconds): when a whole site is lost, and when
    any single component fails. The first objective whose pattern matches a service applies; verify's defaults
    follow the design's (docs/verify.md)."""

    services: str = Field(
        pattern=r"^[A-Za-z0-9*?/._-]+$",
        description="a pattern over verify's service names: kubernetes/*/api, vm/*",
    )
    site_loss_s: float | None = Field(default=None, ge=0, description="None: not checked")
    single_failure_s: float | None = Field(default=None, ge=0, description="None: not checked")
