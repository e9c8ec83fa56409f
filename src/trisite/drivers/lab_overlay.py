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
  which writes and reads its region's Galera (through its own controller's node, over the node's socket, as
  root by socket authentication: the lab renders no database passwords) or, without Galera, a backend file
  shared by its region;
- Galera (MariaDB + galera-4, rsync SST) per region on its controllers: 16 MiB InnoDB buffer pool and gcache
  (Kolla sizes them for production), data under /var/lib/trisite-lab (mysql must reach it), and the overlay's
  evs timers;
- RabbitMQ per region on its controllers: nodes named by their internal address (long names: the namespaces
  share the machine's hostname), an Erlang cookie made by the lab (Kolla's comes from passwords.yml, which the
  render stage does not write), one Erlang scheduler per node and small process tables (~100 MiB a node).
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
    galera_suspect: str  # evs.suspect_timeout (ISO 8601): how soon a silent node is suspected
    galera_inactive: str  # evs.inactive_timeout: how soon it is declared gone
    galera_keepalive: str  # evs.keepalive_period: galera refuses one of a third of suspect_timeout or more
    galera_join_retrans: str  # evs.join_retrans_period: how often a joiner resends its join message


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
    galera_suspect="PT1S",
    galera_inactive="PT2S",
    galera_keepalive="PT0.3S",
    galera_join_retrans="PT0.3S",
)
# The tools' own defaults (etcd 3.4, keepalived, Kolla's HAProxy checks, PowerDNS 4.7 with the rendered
# lua-health-checks-interval of 5 s, galera-4's evs timers).
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
    galera_suspect="PT5S",
    galera_inactive="PT15S",
    galera_keepalive="PT1S",
    galera_join_retrans="PT1S",
)
OVERLAYS = {o.name: o for o in (LAB, DEFAULTS)}

# The layers `trisite lab up --service` can run, and the capability each gives the lab's driver.
LAYERS = ("etcd", "vips", "dns", "galera", "rabbitmq")
LAYER_CAPABILITIES = {
    "galera": frozenset({"tool:kayobe"}),
    "rabbitmq": frozenset({"tool:kayobe"}),
    "etcd": frozenset({"tool:kubespray"}),
    "vips": frozenset({"tool:kubespray", "tool:kayobe"}),
    "dns": frozenset({"service:pdns"}),
}
# Ports of the lab's stand-ins: the API each VIP fronts answers there on every controller.
STAND_IN_PORT = 8780
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
# Kubespray's kube-vip has no VRRP router id: the lab's keepalived takes this one (+ the cluster's index).
K8S_VRID_BASE = 60
