"""The lab's one overlay: where the services it runs differ from what the rendered artifacts give a real site.

Everything the lab runs of the upper layers is configured from the render stage's artifacts (Kubespray's
inventory, Kolla's globals and Kayobe's address allocation, PowerDNS's zones); what the lab changes on top is
here and only here (docs/lab.md, "The services"):

- timers: the fast failover the issue asks for (etcd 50/500 ms with pre-vote, VRRPv3 adverts every 0.1 s
  without preemption, PowerDNS health checks every second without caches); `DEFAULTS` are the tools' own,
  the baseline `bench/lab_services.py` measures against in the same run;
- plain HTTP between etcd members (Kubespray sets up TLS; the lab has no PKI for them);
- keepalived + HAProxy stand in for kube-vip on the Kubernetes API address (one way of holding a VIP for all);
- a stand-in API process per controller behind HAProxy (the OpenStack APIs and kube-apiserver are not run),
  which writes and reads a backend file shared by its region (Galera is not in the lab yet).
- backups (drivers/lab_backups.py): the deployment's `start` of a job's timer runs the job's service once
  (and the lab runs it again on demand) instead of waiting for its schedule; the files a job reads and its
  success mark are the device's lab directory, not the machine's; the repository host's sshd serves the lab's
  /srv of that host, and restic's ssh logs in as root with the lab's keys (every namespace shares this
  machine's /etc/passwd, which has no `restic` account); jobs whose source does not run in the lab (etcd
  over TLS, MariaDB, Ceph RBD) are not run.
- VPN (drivers/lab_vpn.py): WireGuard runs as wireguard-go (the kernel has no wireguard module), configured
  as wg-quick would; an administrator's client peer is added by the lab, as the access-management process
  would.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Overlay:
    name: str
    etcd_heartbeat_ms: int
    etcd_election_ms: int
    etcd_pre_vote: bool
    vrrp_advert_s: float
    vrrp_nopreempt: bool
    haproxy_check_inter_ms: int  # how often HAProxy checks each stand-in
    pdns_check_interval_s: int  # lua-health-checks-interval
    pdns_cache_ttl_s: int  # cache-ttl and query-cache-ttl (0: every query runs its LUA record)


LAB = Overlay(
    name="lab",
    etcd_heartbeat_ms=50,
    etcd_election_ms=500,
    etcd_pre_vote=True,
    vrrp_advert_s=0.1,
    vrrp_nopreempt=True,
    haproxy_check_inter_ms=500,
    pdns_check_interval_s=1,
    pdns_cache_ttl_s=0,
)
# The tools' own defaults (etcd 3.4, keepalived, Kolla's HAProxy checks, PowerDNS 4.7 with the rendered
# lua-health-checks-interval of 5 s).
DEFAULTS = Overlay(
    name="defaults",
    etcd_heartbeat_ms=100,
    etcd_election_ms=1000,
    etcd_pre_vote=False,
    vrrp_advert_s=1.0,
    vrrp_nopreempt=False,
    haproxy_check_inter_ms=2000,
    pdns_check_interval_s=5,
    pdns_cache_ttl_s=20,
)
OVERLAYS = {o.name: o for o in (LAB, DEFAULTS)}

# The layers `trisite lab up --service` can run, and the capability each gives the lab's driver.
LAYERS = ("etcd", "vips", "dns", "backups", "vpn")
LAYER_CAPABILITIES = {
    "etcd": frozenset({"tool:kubespray"}),
    "vips": frozenset({"tool:kubespray", "tool:kayobe"}),
    "dns": frozenset({"service:pdns"}),
    # plan/platform.py's families: trisite-backup-JOB.timer, wg-quick@NAME, strongswan.
    "backups": frozenset({"service:trisite"}),
    "vpn": frozenset({"service:wg", "service:strongswan"}),
}
# Ports of the lab's stand-ins: the API each VIP fronts answers there on every controller.
STAND_IN_PORT = 8780
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
# Kubespray's kube-vip has no VRRP router id: the lab's keepalived takes this one (+ the cluster's index).
K8S_VRID_BASE = 60
