"""The Ceph users of a cluster's consumers, each with the least its consumer needs: oVirt (RBD through managed
block storage, CephFS for the hosted engine), each OpenStack region's Glance, Cinder and Nova, each Kubernetes
cluster's ceph-csi, each RBD backup job. The renderers of those consumers take the user names from here.

Caps follow Ceph's own profiles: `profile rbd` (read/write) or `profile rbd-read-only` on one pool, and for a
CephFS what `ceph fs authorize` grants (`allow r fsname=F` on the MON, `allow rw fsname=F` on the MDS, the
filesystem's data pools by their cephfs tag on the OSDs)."""

from __future__ import annotations

from collections import defaultdict

from trisite.model import Design
from trisite.model.services import CephCluster, OpenStackRegion, Ovirt

Caps = dict[str, list[str]]  # daemon type (mon, osd, mgr, mds) -> grants, joined with ", " in the end


def ovirt_user(ovirt: Ovirt) -> str:
    return f"ovirt-{ovirt.name}"


def openstack_users(region: OpenStackRegion) -> dict[str, str]:
    """Kolla's ceph_<service>_user per service: a user per region, so that one region's keys can be revoked."""
    return {service: f"{region.name}-{service}" for service in ("glance", "cinder", "nova")}


def _rbd(caps: Caps, pool: str, *, read_only: bool = False) -> None:
    profile = "profile rbd-read-only" if read_only else "profile rbd"
    if "profile rbd" not in caps["mon"]:
        caps["mon"].append("profile rbd")  # the MON side of both profiles (maps, blocklisting dead clients)
    caps["osd"].append(f"{profile} pool={pool}")
    if not read_only:
        caps["mgr"].append(
            f"profile rbd pool={pool}"
        )  # rbd trash, migration and mirroring go through the mgr


def _cephfs(caps: Caps, filesystem: str) -> None:
    caps["mon"].append(f"allow r fsname={filesystem}")
    caps["mds"].append(f"allow rw fsname={filesystem}")
    caps["osd"].append(f"allow rw tag cephfs data={filesystem}")


def _ovirt(design: Design, cluster: CephCluster) -> dict[str, Caps]:
    found: dict[str, Caps] = {}
    for ovirt in design.ovirt:
        caps: Caps = defaultdict(list)
        for sd in ovirt.storage_domains:
            if sd.ceph_cluster != cluster.name or sd.pool is None:
                continue
            if sd.type == "managed-block-ceph":
                _rbd(caps, sd.pool)
            elif sd.type == "cephfs":
                _cephfs(caps, sd.pool)  # the filesystem is named after its data pool (cephadm.filesystems)
        if caps:
            found[ovirt_user(ovirt)] = caps
    return found


def _openstack(design: Design, cluster: CephCluster) -> dict[str, Caps]:
    found: dict[str, Caps] = {}
    for region in design.openstack:
        if region.ceph_cluster != cluster.name:
            continue
        users = openstack_users(region)
        glance: Caps = defaultdict(list)
        _rbd(glance, "images")
        found[users["glance"]] = glance
        # Cinder and Nova both attach volumes, keep instances' disks, and clone images (read only).
        for service in ("cinder", "nova"):
            caps: Caps = defaultdict(list)
            _rbd(caps, "volumes")
            _rbd(caps, "vms")
            _rbd(caps, "images", read_only=True)
            found[users[service]] = caps
    return found


def consumers(design: Design, cluster: CephCluster) -> dict[str, Caps]:
    """Every user of the cluster and its caps, by name (without the `client.` prefix)."""
    found = {**_ovirt(design, cluster), **_openstack(design, cluster)}
    for k8s in design.kubernetes:
        if k8s.ceph_cluster == cluster.name and k8s.ceph_pool is not None:
            caps: Caps = defaultdict(list)
            _rbd(caps, k8s.ceph_pool)
            found[f"kubernetes-{k8s.name}"] = caps
    for job in design.backups:
        source = job.source
        if source.kind == "ceph-rbd" and source.ceph_cluster == cluster.name and source.pool is not None:
            caps = defaultdict(list)
            _rbd(caps, source.pool, read_only=True)  # `rbd ls` and `rbd export` only read
            found[f"backup-{job.name}"] = caps
    return found
