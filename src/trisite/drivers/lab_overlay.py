"""The lab's one overlay: where the services it runs differ from what the rendered artifacts give a real site.

Everything the lab runs of the upper layers is configured from the render stage's artifacts (Kubespray's
inventory, Kolla's globals and Kayobe's address allocation, PowerDNS's zones); what the lab changes on top is
here and only here (docs/lab.md, "The services"):

- timers: the fast failover the issue asks for (etcd 50/500 ms with pre-vote, VRRPv3 adverts every 0.1 s
  without preemption, the DNS health agent every 0.1 s and PowerDNS's own checks every second, without
  caches); `DEFAULTS` are the tools' own,
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
- monitoring (`MONITORING`, used by drivers/lab_monitoring_configs.py): see `MonitoringOverlay`.
- backups (drivers/lab_backups.py): the deployment's `start` of a job's timer runs the job's service once
  (and the lab runs it again on demand) instead of waiting for its schedule; the files a job reads and its
  success mark are the device's lab directory, not the machine's; the repository host's sshd serves the lab's
  /srv of that host, and restic's ssh logs in as root with the lab's keys (every namespace shares this
  machine's /etc/passwd, which has no `restic` account); jobs whose source does not run in the lab (etcd
  over TLS, MariaDB, Ceph RBD) are not run.
- VPN (drivers/lab_vpn.py): WireGuard runs as wireguard-go (the kernel has no wireguard module), configured
  as wg-quick would; an administrator's client peer is added by the lab, as the access-management process
  would. The IPsec links (drivers/lab_ipsec.py) run charon per firewall with kernel-libipsec (ESP in
  userspace over one TUN device, ipsec0, always in UDP: the kernel has no XFRM): see `IpsecOverlay`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trisite.verify import convergence


@dataclass(frozen=True)
class Overlay:
    name: str
    etcd_heartbeat_ms: int
    etcd_election_ms: int
    etcd_pre_vote: bool
    vrrp_advert_s: float
    vrrp_nopreempt: bool
    haproxy_check_inter_ms: int  # how often HAProxy checks each stand-in
    haproxy_check_fall: int  # failed checks in a row that take a stand-in out
    pdns_check_interval_s: int  # lua-health-checks-interval
    pdns_cache_ttl_s: int  # cache-ttl and query-cache-ttl (0: every query runs its LUA record)
    dns_health_interval_s: float | None  # the DNS health agent's checks (None: the design's, as rendered)
    galera_suspect: str  # evs.suspect_timeout (ISO 8601): how soon a silent node is suspected
    galera_inactive: str  # evs.inactive_timeout: how soon it is declared gone
    galera_keepalive: str  # evs.keepalive_period: galera refuses one of a third of suspect_timeout or more
    galera_join_retrans: str  # evs.join_retrans_period: how often a joiner resends its join message


# The timers the twin predicts the lab with are these (verify/convergence.py LAB): one source for both.
LAB = Overlay(
    name="lab",
    etcd_heartbeat_ms=50,
    etcd_election_ms=round(convergence.LAB.etcd_election_s * 1000),
    etcd_pre_vote=True,
    vrrp_advert_s=convergence.LAB.api_advert_s,
    vrrp_nopreempt=True,
    haproxy_check_inter_ms=round(convergence.LAB.api_check_inter_s * 1000),
    haproxy_check_fall=convergence.LAB.api_check_fall,
    pdns_check_interval_s=1,
    pdns_cache_ttl_s=0,
    dns_health_interval_s=0.1,
    galera_suspect=f"PT{convergence.LAB.galera_suspect_s:g}S",
    galera_inactive="PT2S",
    galera_keepalive="PT0.3S",
    galera_join_retrans="PT0.3S",
)
# The tools' own defaults (etcd 3.4, keepalived, Kolla's HAProxy checks, PowerDNS 4.7 with the rendered
# lua-health-checks-interval of 5 s and the DNS health agent at the design's interval, 5 s by default,
# galera-4's evs timers).
DEFAULTS = Overlay(
    name="defaults",
    etcd_heartbeat_ms=100,
    etcd_election_ms=1000,
    etcd_pre_vote=False,
    vrrp_advert_s=1.0,
    vrrp_nopreempt=False,
    haproxy_check_inter_ms=round(convergence.SITE.api_check_inter_s * 1000),
    haproxy_check_fall=convergence.SITE.api_check_fall,
    pdns_check_interval_s=5,
    pdns_cache_ttl_s=20,
    dns_health_interval_s=None,
    galera_suspect=f"PT{convergence.SITE.galera_suspect_s:g}S",
    galera_inactive="PT15S",
    galera_keepalive="PT1S",
    galera_join_retrans="PT1S",
)
OVERLAYS = {o.name: o for o in (LAB, DEFAULTS)}


FOR_KEPT_FROM_S = 3600.0  # rules that wait an hour or more watch daily jobs, not failovers: not shrunk


@dataclass(frozen=True)
class MonitoringOverlay:
    """Where the lab's Prometheus and Alertmanager differ from the rendered files (docs/lab.md):

    - scrape and evaluation every few seconds (the design's 15 s): with the rules' own `for`, an alert then
      fires within seconds of its bound in a lab test or the campaign, not a quarter of a minute later;
    - Alertmanager notifies a group after `group_wait_s` and its changes every `group_interval_s` (rendered
      10 s and 1 m): a resolution is seen seconds after Prometheus resolves the alert;
    - every receiver (e-mail: no mail server in the lab) becomes a webhook on the Alertmanager's own host,
      the lab's notification recorder (drivers/alert_webhook_recorder.py), which writes each notification to
      one JSON lines file with its time of arrival;
    - node exporters run the textfile collector only (HA and backup state; `up` comes from the scrape
      itself): the default collectors read the one kernel every namespace shares, so forty-one copies of
      them would say the same thing forty-one times;
    - Prometheus keeps its data for `retention`, not the design's 90 days;
    - the Alertmanagers wait `peer_timeout_s` per position in their cluster (15 s by default) before notifying in
      the place of a member before them, which a site's loss may take; and Prometheus waits
      `alertmanager_timeout_s` for a lost one with each batch of alerts;
    - each alerting rule's `for` shrinks in the ratio of the lab's scrape interval to the design's (2 s to 15 s
      on the reference: NodeDown's 1m becomes 8 s), rounded up to a whole second and never below two
      evaluations: an alert waits as many evaluations as on a site, and the campaign's 21 rows fit in minutes
      instead of the better part of an hour (a site's `for` of 2m would hold every row of a controller two
      minutes). A `for` of an hour or more stays (daily jobs' freshness). The rule's expression and its
      severity, routes and inhibitions stay the rendered ones.
    """

    scrape_interval_s: int
    evaluation_interval_s: int
    group_wait_s: int
    group_interval_s: int
    webhook_port: int
    retention: str
    node_collectors: tuple[str, ...]
    # Alertmanager's --cluster.peer-timeout (15 s by default): each member of the cluster waits its position
    # times this before notifying, for a member before it to have done so; shrunk as the scrapes are.
    peer_timeout_s: int = 2
    # How long Prometheus waits for each Alertmanager with a batch of alerts (rendered 3 s): a lost one holds
    # every batch this long (render/monitoring/metrics.ALERTMANAGER_TIMEOUT_S).
    alertmanager_timeout_s: int = 2

    @property
    def scrape_timeout_s(self) -> int:
        return self.scrape_interval_s  # drivers/lab_monitoring_configs.py: no longer than the interval

    @property
    def notify_s(self) -> int:
        """The longest the Alertmanager holds a notification: a new group's wait, or an old group's interval."""
        return max(self.group_wait_s, self.group_interval_s)

    def for_s(self, design_for_s: float, design_scrape_s: float) -> float:
        """A rule's `for` in the lab, for its rendered `for` and the design's scrape interval; one of an hour or
        more stays (a daily job's freshness: the lab does not run every job, and a campaign lasts minutes)."""
        if design_for_s <= 0 or design_for_s >= FOR_KEPT_FROM_S:
            return design_for_s
        ratio = min(1.0, self.scrape_interval_s / design_scrape_s)
        return float(max(2 * self.evaluation_interval_s, math.ceil(design_for_s * ratio)))


MONITORING = MonitoringOverlay(
    scrape_interval_s=2,
    evaluation_interval_s=2,
    group_wait_s=1,
    group_interval_s=2,
    webhook_port=9097,
    retention="1d",
    node_collectors=("textfile",),
)


@dataclass(frozen=True)
class IpsecOverlay:
    """Where the lab's IPsec links differ from the rendered swanctl files (drivers/lab_ipsec.py):

    - ESP runs in charon (kernel-libipsec) over one TUN device, `tunnel_device`, for every link of a firewall:
      this kernel has neither XFRM states nor XFRM interfaces. The rendered if_id_in/out stay (libipsec
      ignores them); the rendered updown, which makes xfrmN, is replaced by the lab's, which routes each
      remote network into `tunnel_device` at the same `route_metric` (the MAN's OSPF routes win while they
      exist), from the firewall's own address inside the local traffic selector;
    - the side that starts a link keeps trying (`keyingtries` 0, the rendered 1 gives up after one round of
      retransmissions): the lab's firewalls start in any order, and the standby of a CARP pair, which cannot
      send from the VIP it does not hold, gets through once it holds it; retransmissions are a few seconds
      apart at most (`retransmit_*`, charon's defaults wait up to 42 s between the last ones), so a link
      comes up seconds after its peer's charon does;
    - kernel-libipsec routes each remote selector into its device in charon's routing table even with
      install_routes off: that table's rule comes after the main table's (`routing_table_prio`), so the
      main table (the MAN's routes, the updown's at metric 1000, the BGP default) decides;
    - charon loads only `plugins` (PSK, openssl for the default proposals' algorithms, which libipsec takes
      from charon's crypto plugins, libipsec, vici, updown).
    """

    plugins: str  # charon.load: space-separated, in load order
    tunnel_device: str
    tunnel_mtu: int
    route_metric: int
    keyingtries: int
    routing_table: int  # charon's own table, where kernel-libipsec puts a route per remote selector
    routing_table_prio: int  # its rule's priority: after the main table's (32766)
    retransmit_timeout_s: float
    retransmit_base: float
    retransmit_limit_s: float


IPSEC = IpsecOverlay(
    # kernel-libipsec before kernel-netlink: the first IPsec backend registered is the one charon uses.
    plugins="random nonce openssl kdf kernel-libipsec kernel-netlink socket-default vici updown",
    tunnel_device="ipsec0",
    tunnel_mtu=1400,
    route_metric=1000,  # render/vpn.py's xfrm-updown
    keyingtries=0,
    routing_table=220,  # charon's default
    routing_table_prio=32767,  # charon's default is 220: before the main table, where OSPF's routes are
    retransmit_timeout_s=1.0,
    retransmit_base=1.4,
    retransmit_limit_s=2.0,
)

# The layers `trisite lab up --service` can run, and the capability each gives the lab's driver.
# `ipsec` (the site-to-site links, charon with kernel-libipsec) is a layer of its own: in a lab with every other
# layer its links do not all come up yet (an initiation race under load, docs/lab.md), so a lab runs them when
# asked (`--service ipsec`) and the all-layers test leaves them to tests/lab/test_lab_vpn.py.
LAYERS = ("etcd", "vips", "dns", "monitoring", "ceph", "galera", "rabbitmq", "backups", "vpn", "ipsec")
LAYER_CAPABILITIES = {
    "galera": frozenset({"tool:kayobe"}),
    "rabbitmq": frozenset({"tool:kayobe"}),
    "etcd": frozenset({"tool:kubespray"}),
    "vips": frozenset({"tool:kubespray", "tool:kayobe"}),
    "dns": frozenset({"service:pdns"}),
    # Prometheus (and prometheus-blackbox-exporter: the family is its first word) and Alertmanager.
    "monitoring": frozenset({"service:prometheus", "service:alertmanager"}),
    "ceph": frozenset({"tool:cephadm"}),
    # plan/platform.py's families: trisite-backup-JOB.timer, wg-quick@NAME, strongswan.
    "backups": frozenset({"service:trisite"}),
    # the firewalls' vpn step holds both; strongswan runs when the ipsec layer is up as well (drivers/lab.py)
    "vpn": frozenset({"service:wg", "service:strongswan"}),
    "ipsec": frozenset({"service:strongswan"}),
}
# Ports of the lab's stand-ins: the API each VIP fronts answers there on every controller.
STAND_IN_PORT = 8780
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
# Kubespray's kube-vip has no VRRP router id: the lab's keepalived takes this one (+ the cluster's index).
K8S_VRID_BASE = 60


@dataclass(frozen=True)
class CephOverlay:
    """Where the lab's Ceph differs from the rendered ceph.conf (docs/lab.md, "Ceph"), for a failover the lab can
    measure: `timers` are Ceph's own option names; `DEFAULTS`' are Ceph 16's (the bench's baseline)."""

    timers: tuple[tuple[str, str], ...]
    # The rest is the same for both overlays:
    # - cephx off: the lab hands out no keyrings (a real site's cephadm does); clients.sh still creates the users;
    # - OSDs in memory (memstore, capped): no disks in the lab; one OSD per OSD host of the design (6), since the
    #   CRUSH tree and a node loss then are the design's, at ~100 MiB each;
    # - PGs divided by 16 (800 -> 51; 153 replicas over 6 OSDs): the design sizes them for 24 NVMe OSDs, and
    #   mon_max_pg_per_osd (250) refuses 800 x 3 over a few; the autoscaler off, so that it leaves them there;
    # - one MGR (~275 MiB each; the design's second is a standby that serves no I/O);
    # - mon_data_avail_warn 5 %: the mons' stores share this machine's disk with everything else;
    # - slow heartbeats warned of above 1 s (Ceph's default with its own grace), whatever the grace;
    # - MON proposals every 0.1 s instead of 1 s: the deployment's ~40 map changes do not wait a second each.
    mgrs: int = 1
    pg_divisor: int = 16
    memstore_mib: int = 192

    def settings(self) -> dict[str, str]:
        fixed = {
            "auth_cluster_required": "none",
            "auth_service_required": "none",
            "auth_client_required": "none",
            "osd_objectstore": "memstore",
            "memstore_device_bytes": str(self.memstore_mib << 20),
            "osd_pool_default_pg_autoscale_mode": "off",
            "mon_data_avail_warn": "5",
            # Ceph warns of slow heartbeats above 5 % of the grace: 250 ms with the lab's 5 s, which two shared
            # cores exceed under load (HEALTH_WARN for the 15 minutes it averages over); the default grace's 1 s.
            "mon_warn_on_slow_ping_time": "1000",
            # Each map change of pools.sh (~40) waited for the MONs' next proposal, 1 s apart by default: the
            # deployment's pools step took 52 s.
            "paxos_propose_interval": "0.1",
            "osd_pool_default_size": "3",
            "osd_pool_default_min_size": "2",
        }
        return fixed | dict(self.timers)


# Cutting a site stalled client I/O 29.2 s with Ceph's defaults, 10.6 s with these (measured on this machine).
# mon_osd_report_timeout stays at its default: below osd_beacon_report_interval it marks healthy OSDs down.
CEPH_OVERLAYS = {
    "lab": CephOverlay(
        timers=(
            ("osd_heartbeat_interval", "1"),
            ("osd_heartbeat_grace", f"{convergence.LAB.ceph_grace_s:g}"),
            ("mon_lease", f"{convergence.LAB.ceph_lease_s:g}"),
            ("mon_election_timeout", f"{convergence.LAB.ceph_election_s:g}"),
            ("ms_max_backoff", "2"),
            # The MONs otherwise stretch the grace of OSDs they saw lag (two loaded cores make them lag).
            ("mon_osd_adjust_heartbeat_grace", "false"),
            # An OSD whose MON session was with a lost MON sends its failure reports nowhere until it notices
            # (a keepalive every 10 s, given up after 30 s by default): measured, a node with the MON leader
            # stalled I/O 23 s with a 5 s grace, its OSD marked down by the second reporter only.
            ("mon_client_ping_interval", "1"),
            ("mon_client_ping_timeout", "3"),
        )
    ),
    "defaults": CephOverlay(
        timers=(
            ("osd_heartbeat_interval", "6"),
            ("osd_heartbeat_grace", "20"),
            ("mon_lease", "5"),
            ("mon_election_timeout", "5"),
            ("ms_max_backoff", "15"),
            ("mon_osd_adjust_heartbeat_grace", "true"),
            ("mon_client_ping_interval", "10"),
            ("mon_client_ping_timeout", "30"),
        )
    ),
}
