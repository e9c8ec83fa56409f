"""Upstream defaults the failure semantics rely on, each with where it comes from.

Designs can override the ones they configure (BGP, BFD, VRRP/CARP, OSPF, Kubernetes eviction, Ceph's
`timers`); the rest are the software's defaults. They live in the model because a renderer writes the same value
that verify assumes (one number, not two that must agree). Estimates that depend on the site (boot times) are
marked as such: measure them with `trisite prove` and feed the figures back.
"""

from __future__ import annotations

# --- network -----------------------------------------------------------------------------------------------
# VRRPv3 (RFC 5798 6.1): Master_Down_Interval = 3 x Advertisement_Interval + Skew_Time,
# Skew_Time = ((256 - Priority) x Advertisement_Interval) / 256. CARP uses advbase/advskew the same way.
VRRP_DOWN_INTERVALS = 3
# ucarp (CARP on Linux firewalls, and the lab's stand-in for OPNsense's kernel CARP) reads adverts through libpcap
# with a 1 s capture timeout (ucarp.h: CAPTURE_TIMEOUT 1000). libpcap's memory-mapped capture (TPACKET_V3) hands
# packets over in blocks that the kernel retires on that timeout, so a backup hears an advert up to 1 s late, and
# sees its master-down timer expire when the next block (or its 1 s poll timeout) wakes it: up to 1 s late again.
UCARP_CAPTURE_S = 1.0
# Kolla-Ansible's keepalived template advertises every second (advert_int 1) on the API network.
KOLLA_KEEPALIVED_ADVERT_S = 1.0
# Kolla's HAProxy checks each API backend every 2 s and takes it out after 5 failures (haproxy_health_check:
# "check inter 2000 rise 2 fall 5").
KOLLA_HAPROXY_INTER_S = 2.0
KOLLA_HAPROXY_FALL = 5
# How long the rest of the internet takes to prefer the next announcing site once our session is gone.
# Lab-measured ~0.1 s between two FRR routers; real transit convergence can take longer (estimate).
BGP_PROPAGATION_S = 0.5
# The lab's internet is one FRR router per operator and one for the rest of the world, directly connected: a
# withdrawal crosses it in tens of milliseconds (a shut session measured no lost probe at 20 ms; 0.1 s bounds it).
LAB_BGP_PROPAGATION_S = 0.1

# --- Ceph (ceph.conf defaults; the defaults of a design's `ceph[].timers`) --------------------------------------
CEPH_OSD_HEARTBEAT_GRACE_S = 20  # osd_heartbeat_grace: I/O to PGs on a dead OSD stalls this long
CEPH_DOWN_OUT_S = 600  # mon_osd_down_out_interval: re-replication starts after this (risk window)
CEPH_MON_ELECTION_S = 5.0  # mon_election_timeout: a new leader is elected within this
CEPH_MON_LEASE_S = 5.0  # mon_lease: the peons call an election when the leader's lease is not renewed ...
CEPH_MON_LEASE_ACK_FACTOR = 2.0  # ... within mon_lease x mon_lease_ack_timeout_factor

# --- databases and queues -------------------------------------------------------------------------------------
GALERA_SUSPECT_S = 5.0  # evs.suspect_timeout PT5S: writes stall until a silent node is evicted
ETCD_ELECTION_S = 1.0  # --election-timeout 1000 ms: a new leader after the old one goes silent

# --- Kubernetes (kube-controller-manager defaults) --------------------------------------------------------------
K8S_NODE_MONITOR_GRACE_S = 40.0  # --node-monitor-grace-period: node NotReady, its endpoints removed

# --- oVirt (estimates: depend on fencing through the BMC and on boot times) -------------------------------------
OVIRT_HOST_FENCE_S = 60.0  # host non-responsive, then fenced through its BMC before VMs restart
OVIRT_VM_BOOT_S = 60.0  # an HA VM boots on another host
OVIRT_ENGINE_RESTART_S = 300.0  # ovirt-ha-agent notices the engine VM is gone and starts it elsewhere

# --- DNS failover (PowerDNS LUA records fed by trisite's DNS health agent) ----------------------------------------
DNS_CHECK_FAILURES = 1  # the agent (its `fall`), like ifportup, marks a target down after one failed check

HOUR_S = 3600.0
YEAR_S = 365.0 * 24 * HOUR_S
