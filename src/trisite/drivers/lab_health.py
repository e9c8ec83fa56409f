"""The lab's services read back: is each layer that was deployed working? (`lab status`, the lab test, the
bench). Every question is asked from inside a namespace of the lab (drivers/netns.py), never from the root one.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rdatatype

from trisite.drivers import lab_ceph, lab_galera, lab_rabbitmq
from trisite.drivers.host import LocalHost
from trisite.drivers.netns import call_in_netns, namespace
from trisite.errors import TrisiteError

# One rabbitmqctl at a time: each boots an Erlang VM (seconds of CPU on two loaded cores); two regions' at once
# would slow each other past their wait, and a node would be named silent for no fault of its own.
CLI_TURN = threading.Semaphore(1)


@dataclass(frozen=True)
class Health:
    layer: str  # etcd, vips, dns, ceph, galera, rabbitmq (monitoring: drivers/lab_monitoring.py)
    name: str  # the cluster, the VIP group, the DNS server
    ok: bool
    detail: str


def etcd_status(address: str, port: int, timeout: float = 0.5) -> tuple[int, int] | None:
    """(member id, the leader it knows) from one member's status, or None when it does not answer (call it
    inside a namespace)."""
    request = urllib.request.Request(  # an http URL of the lab's own etcd
        f"http://{address}:{port}/v3/maintenance/status", data=b"{}", method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            status = json.loads(answer.read())
    except (OSError, ValueError):
        return None
    return int(status["header"]["member_id"]), int(status.get("leader", 0))


def http_get(url: str, timeout: float = 0.5) -> str | None:
    """The body of a 200 answer, else None (call it inside a namespace)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - the lab's own VIPs
            body: bytes = answer.read()
            return body.decode() if answer.status == 200 else None
    except (OSError, ValueError, urllib.error.URLError):
        return None


def dns_answer(server: str, name: str, timeout: float = 0.5) -> list[str]:
    """The A records a server answers for a name ([] for none, an error or no answer)."""
    try:
        reply = dns.query.udp(dns.message.make_query(name, dns.rdatatype.A), server, timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return []
    return sorted(str(r) for rrset in reply.answer if rrset.rdtype == dns.rdatatype.A for r in rrset)


def etcd(unit: str, members: Sequence[Sequence[object]]) -> Health:
    netns = namespace(str(members[0][0]))
    seen = call_in_netns(netns, lambda: [etcd_status(str(ip), int(str(port))) for _, ip, port in members])
    answering = [s for s in seen if s is not None]
    ids, leaders = {s[0] for s in answering}, {s[1] for s in answering}
    ok = len(ids) == len(members) and len(leaders) == 1 and leaders <= ids
    leader = next((str(m[0]) for m, s in zip(members, seen, strict=True) if s and s[0] in leaders), "none")
    return Health("etcd", unit, ok, f"{len(answering)}/{len(members)} members answer, leader {leader}")


def vips(group: str, recorded: dict[str, list[list[object]]]) -> Health:
    """Every VIP of a group answers through HAProxy (asked from the group's first member)."""
    netns = namespace(str(recorded["members"][0][0]))
    urls = [f"http://{vip}:{port}/" for vip, port in recorded["frontends"]]
    answers = call_in_netns(netns, lambda: [http_get(u, timeout=2.0) for u in urls])
    bad = [u for u, a in zip(urls, answers, strict=True) if a is None or "stand-in" not in a]
    detail = f"{len(urls) - len(bad)}/{len(urls)} VIPs answer" + (f" ({bad[0]} does not)" if bad else "")
    return Health("vips", group, not bad, detail)


def failover_records(device: str, records: Sequence[Sequence[object]]) -> Health:
    """Each LUA failover record answers one of its addresses, on the server itself."""
    wanted = [(str(name), {str(a) for a in addresses}) for name, addresses in records]  # type: ignore[attr-defined]
    answers = call_in_netns(namespace(device), lambda: [dns_answer("127.0.0.1", n, 2.0) for n, _ in wanted])
    bad = [n for (n, allowed), a in zip(wanted, answers, strict=True) if not a or not set(a) <= allowed]
    said = ", ".join(f"{n} {','.join(a) or '-'}" for (n, _), a in zip(wanted, answers, strict=True))
    return Health("dns", device, bool(wanted) and not bad, said or "no failover records")


def health_agent(device: str, config: str) -> Health:
    """The DNS health agent of a server (its lab configuration's path) alive and keeping up: every record's
    state file written within three of its rounds and a check's timeout. (The LUA records trust a state for as
    long as the rendered interval says, which may be longer.)"""
    try:
        document = json.loads(Path(config).read_text(encoding="utf-8"))
        ages = []
        for record in document["records"]:
            state = Path(document["state_dir"]) / record["state"]
            words = state.read_text(encoding="ascii").split() if state.exists() else []
            ages.append((record, time.time() - int(words[0]) if words else None))
    except (OSError, ValueError, KeyError, TypeError) as error:
        return Health("dns", f"{device} agent", False, f"its configuration or state cannot be read: {error}")
    late = [r["state"] for r, age in ages if age is None or age > 3 * r["interval_s"] + r["timeout_s"] + 1]
    known = [age for _, age in ages if age is not None]
    detail = f"{len(ages) - len(late)}/{len(ages)} records checked" + (f" ({late[0]} is not)" if late else "")
    detail += f", the oldest {max(known):.0f} s ago" if known else ""
    return Health("dns", f"{device} agent", not late, detail)


def galera(region: str, members: Sequence[Sequence[str]]) -> Health:
    """Every Galera node of the region (device, socket) Primary, Synced and ready in a cluster of all."""
    return Health("galera", region, *lab_galera.health(members))


def rabbitmq(region: str, members: Sequence[Sequence[str]]) -> Health:
    """Every RabbitMQ node of the region (device, address, home) running in one cluster."""
    nodes = [lab_rabbitmq.Node(str(d), str(a), str(h)) for d, a, h in members]
    host = LocalHost()

    def run(device: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
        with CLI_TURN:
            return host.in_netns(namespace(device), argv, check=False, timeout=lab_rabbitmq.CTL_WAIT_S)

    def metrics(node: lab_rabbitmq.Node) -> str | None:
        url = f"http://{node.address}:{lab_rabbitmq.PROMETHEUS_PORT}/metrics"
        return call_in_netns(namespace(node.device), lambda: http_get(url, timeout=2.0))

    return Health("rabbitmq", region, *lab_rabbitmq.health(nodes, run, [metrics(n) for n in nodes]))


def _ceph(cluster: str, recorded: dict[str, object]) -> Health:
    """A Ceph cluster's status, as its MONs report it (drivers/lab_ceph.py)."""
    return Health("ceph", cluster, *lab_ceph.status(recorded))


# (layer, section of services.json, reader of one entry: its key, its recorded value)
READERS: tuple[tuple[str, str, Callable[[str, Any], Health]], ...] = (
    ("etcd", "etcd", etcd),
    ("vips", "vips", vips),
    ("dns", "dns", failover_records),
    ("dns", "dns-health", health_agent),
    ("ceph", "ceph", _ceph),
    ("galera", "galera", galera),
    ("rabbitmq", "rabbitmq", rabbitmq),
)


def read(recorded: dict[str, dict[str, object]]) -> list[Health]:
    """The health of every deployed service of the lab, from its services.json, each asked at the same time (a
    reading mostly waits on daemons; the one CPU-heavy question, rabbitmqctl, takes turns); one whose reading
    fails is unhealthy with why."""
    asked = [
        (layer, f"{key} agent" if section == "dns-health" else key, partial(reader, key, value))
        for layer, section, reader in READERS
        for key, value in sorted(recorded.get(section, {}).items())
    ]
    if not asked:
        return []
    with ThreadPoolExecutor(max_workers=len(asked)) as pool:
        return list(pool.map(lambda a: guarded(*a), asked))


def guarded(layer: str, name: str, reading: Callable[[], Health]) -> Health:
    """A reading, or its failure (a CLI timing out, a record half written) as an unhealthy Health."""
    try:
        return reading()
    except (TrisiteError, OSError, KeyError, ValueError, TypeError) as error:
        return Health(layer, name, False, f"could not be read: {error}")
