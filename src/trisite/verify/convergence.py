"""How fast what the design does not state converges, which the twin cannot derive from the design.

The internet's convergence once our routes are withdrawn depends on where the platform runs: the real
internet (an estimate, until a site's campaign measures it) or the lab's emulated one (a few FRR routers, measured).
The control planes' timers are the tools' as the rendered artifacts leave them on a site (Kolla's keepalived,
Galera's, etcd's, Ceph's from the design), and the lab overlay's in the lab (drivers/lab_overlay.py takes its values from `LAB`, so
that the twin predicts the lab with the timers the lab runs).
The twin takes one profile; verify uses the site's, a lab campaign compares its measurements with the lab's.
"""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model import timers


@dataclass(frozen=True)
class Convergence:
    name: str
    bgp_propagation_s: float  # the rest of the internet prefers the next announcing site
    api_advert_s: float  # VRRP advert interval of the keepalived in front of the control planes' APIs
    galera_suspect_s: float  # evs.suspect_timeout: writes stall until a silent node is evicted
    etcd_election_s: float  # --election-timeout: a new leader after the old one goes silent
    api_check_inter_s: float  # HAProxy's health check of each API backend, every ...
    api_check_fall: int  # ... and this many failed in a row take a backend out
    # Ceph's: None where the design's own timers (ceph.conf as rendered) hold; the lab overlay's otherwise.
    ceph_grace_s: float | None = None  # osd_heartbeat_grace: a silent OSD's PGs stall until it is marked down
    ceph_election_s: float | None = None  # mon_election_timeout
    ceph_lease_s: float = timers.CEPH_MON_LEASE_S  # mon_lease (the design does not state it: Ceph's default)
    # Every CARP group runs on ucarp (the lab's stand-in for OPNsense), not only those of Linux firewalls.
    carp_by_ucarp: bool = False

    @property
    def api_backend_detect_s(self) -> float:
        """At worst, how long HAProxy sends requests to a controller that is gone: `fall` failed checks, the
        last one waiting its timeout (the interval, as HAProxy does when no `timeout check` is set)."""
        return (self.api_check_fall + 1) * self.api_check_inter_s


SITE = Convergence(
    "site",
    timers.BGP_PROPAGATION_S,
    timers.KOLLA_KEEPALIVED_ADVERT_S,
    timers.GALERA_SUSPECT_S,
    timers.ETCD_ELECTION_S,
    timers.KOLLA_HAPROXY_INTER_S,
    timers.KOLLA_HAPROXY_FALL,
)
LAB = Convergence(
    "lab",
    timers.LAB_BGP_PROPAGATION_S,
    api_advert_s=0.1,  # VRRPv3 adverts every 100 ms
    galera_suspect_s=1.0,  # evs.suspect_timeout PT1S
    etcd_election_s=0.5,  # 50 ms heartbeats, 500 ms election, with pre-vote
    api_check_inter_s=0.5,
    api_check_fall=2,
    ceph_grace_s=5.0,  # heartbeats every second, five missed
    ceph_election_s=3.0,
    ceph_lease_s=3.0,
    carp_by_ucarp=True,
)


def for_target(target: str) -> Convergence:
    return LAB if target == "lab" else SITE
