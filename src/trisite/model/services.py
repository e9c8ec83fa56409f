"""The layers above the network: Ceph, oVirt, OpenStack (Kayobe/Kolla) and Kubernetes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from trisite.model.timers import CEPH_DOWN_OUT_S, CEPH_MON_ELECTION_S, CEPH_OSD_HEARTBEAT_GRACE_S
from trisite.model.types import IPAddress, IPNetwork, Name, Strict


class CephPool(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    size: int = Field(default=3, ge=1, le=10)
    min_size: int = Field(default=2, ge=1, le=10)
    failure_domain: Literal["osd", "host", "rack", "datacenter"] = "host"
    application: Literal["rbd", "cephfs", "rgw"] = "rbd"
    pg_num: int | None = Field(default=None, ge=1, le=65_536)

    @model_validator(mode="after")
    def _sizes(self) -> CephPool:
        if self.min_size > self.size:
            raise ValueError(f"min_size ({self.min_size}) is larger than size ({self.size})")
        if self.pg_num is not None and self.pg_num & (self.pg_num - 1):
            raise ValueError(f"pg_num {self.pg_num} is not a power of two")
        return self


class CephStretch(Strict):
    """Ceph stretch mode (two data sites plus a tie-breaker MON site)."""

    tiebreaker_site: Name


class CephTimers(Strict):
    """The ceph.conf timers failover depends on: rendered into ceph.conf and assumed by verify, so one value."""

    heartbeat_grace_s: int = Field(
        default=CEPH_OSD_HEARTBEAT_GRACE_S, ge=1, le=3600, description="osd_heartbeat_grace"
    )
    down_out_interval_s: int = Field(
        default=CEPH_DOWN_OUT_S, ge=1, le=86_400, description="mon_osd_down_out_interval"
    )
    mon_election_timeout_s: float = Field(
        default=CEPH_MON_ELECTION_S, gt=0, le=600, description="mon_election_timeout"
    )


class CephCluster(Strict):
    """OSDs are the disks with `use: osd` on the OSD hosts."""

    name: Name
    version: str | None = Field(default=None, description="default: versions.ceph")
    mons: list[Name] = Field(min_length=1)
    mgrs: list[Name] = Field(min_length=1)
    osd_hosts: list[Name] = Field(min_length=1)
    mdss: list[Name] = Field(
        default=[],
        description="CephFS metadata servers (default: the MONs), for pools with application cephfs",
    )
    public_network: Name
    cluster_network: Name | None = None
    pools: list[CephPool] = []
    stretch: CephStretch | None = None
    timers: CephTimers = CephTimers()


class StorageDomain(Strict):
    name: Name
    type: Literal["managed-block-ceph", "cephfs", "nfs", "iscsi"]
    ceph_cluster: Name | None = None
    pool: str | None = None
    path: str | None = None
    master: bool = False

    @model_validator(mode="after")
    def _backing(self) -> StorageDomain:
        if self.type in ("managed-block-ceph", "cephfs") and (self.ceph_cluster is None or self.pool is None):
            raise ValueError(f"a {self.type} domain needs ceph_cluster and pool")
        if self.type in ("nfs", "iscsi") and self.path is None:
            raise ValueError(f"a {self.type} domain needs path")
        return self


class OvirtCluster(Strict):
    name: Name
    hosts: list[Name] = Field(min_length=1)


class HostedEngine(Strict):
    hosts: list[Name] = Field(min_length=1, description="hosts allowed to run the engine VM")
    fqdn: str = Field(min_length=3)
    address: IPAddress
    network: Name
    storage_domain: Name


class Ovirt(Strict):
    name: Name
    version: str | None = Field(default=None, description="default: versions.ovirt")
    engine: HostedEngine
    clusters: list[OvirtCluster] = Field(min_length=1)
    storage_domains: list[StorageDomain] = Field(min_length=1)


class OpenStackRegion(Strict):
    """One Kayobe/Kolla deployment. Regions may share the Keystone of another region."""

    name: Name
    release: str | None = Field(default=None, description="default: versions.openstack")
    controllers: list[Name] = Field(min_length=1)
    computes: list[Name] = Field(min_length=1)
    network_nodes: list[Name] = Field(default=[], description="default: the controllers")
    keystone_from: Name | None = Field(default=None, description="region whose Keystone this one uses")
    internal_network: Name
    external_network: Name
    internal_vip: IPAddress
    external_vip: IPAddress
    keepalived_router_id: int = Field(ge=1, le=255)
    ceph_cluster: Name | None = None
    base_distro: Literal["debian", "ubuntu", "rocky"] | None = Field(
        default=None,
        description="Kolla's image distribution; default, and only accepted value: the hosts' OS",
    )
    keystone_admin_password: Name | None = Field(
        default=None,
        description="secret holding Keystone's admin password: needed where Keystone runs and regions borrow it",
    )


class KubernetesCluster(Strict):
    name: Name
    version: str | None = Field(default=None, description="default: versions.kubernetes")
    control_plane: list[Name] = Field(min_length=1)
    workers: list[Name] = []
    etcd: list[Name] = Field(min_length=1)
    api_vip: IPAddress
    api_network: Name
    pod_cidr: IPNetwork
    service_cidr: IPNetwork
    cni: Literal["calico", "cilium"] = "calico"
    pod_eviction_timeout_s: int = Field(default=300, ge=1)
    ceph_cluster: Name | None = Field(default=None, description="Ceph cluster of the RBD volumes (ceph-csi)")
    ceph_pool: str | None = Field(default=None, description="its pool for the RBD volumes")

    @model_validator(mode="after")
    def _ceph(self) -> KubernetesCluster:
        if (self.ceph_cluster is None) != (self.ceph_pool is None):
            raise ValueError("ceph_cluster and ceph_pool go together")
        return self
