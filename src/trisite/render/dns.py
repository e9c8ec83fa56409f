"""Authoritative DNS with PowerDNS (bind backend): the zones, with failover records as LUA records that answer
with the first healthy target (as trisite's DNS health agent sees them, render/dns_health.py), served identically
by every DNS server of the design."""

from __future__ import annotations

import hashlib
import math

from trisite.model import Design, Index
from trisite.model.operations import DnsZone
from trisite.render.artifact import Apply, Artifact
from trisite.render.dns_records import check_owner, lua, rdata
from trisite.render.engine import header

SOA_TIMERS = "3600 600 1209600 300"  # refresh, retry, expire, negative-answer TTL


def _interval(design: Design) -> int:
    """PowerDNS's own checks (the agent's fallback) as often as the design's most frequent check, in the whole
    seconds PowerDNS counts (1 at the least)."""
    checks = [r.failover.check.interval_s for z in design.dns for r in z.records if r.failover]
    return max(1, math.ceil(min(checks, default=5)))


def serial(body: list[str]) -> int:
    """The SOA serial: the first 31 bits of the SHA-256 of everything else in the zone, plus one.

    Every server of a zone is a primary reading the same file, so the serial need not grow (no secondary
    compares it, RFC 1982); it must be the same wherever the content is the same and differ when a record
    changes, which a digest gives without a counter kept outside the design, and without a date that would
    change the rendered tree every day. Monitoring compares it across servers to see a stale copy."""
    digest = hashlib.sha256("\n".join(body).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % (2**31 - 1) + 1


def zone_file(zone: DnsZone) -> str:
    ns = sorted(r.name for r in zone.records if r.type == "A" and r.name.startswith("ns"))
    soa = f"{ns[0] if ns else 'ns1'}.{zone.name}. hostmaster.{zone.name}."
    body = [f"@ 3600 IN NS {n}.{zone.name}." for n in ns]
    for r in sorted(zone.records, key=lambda r: (r.name, r.type)):
        check_owner(zone, r)
        if r.failover:
            body.append(f"{r.name} {r.ttl} IN LUA {lua(zone, r)}")
        else:
            body += [f"{r.name} {r.ttl} IN {r.type} {rdata(zone, r, v)}" for v in r.values]
    head = ["$TTL 300", f"$ORIGIN {zone.name}.", f"@ 3600 IN SOA {soa} {{serial}} {SOA_TIMERS}"]
    number = serial([*head, *body])
    lines = [f"; {header('PowerDNS zone')}", *head[:2], head[2].format(serial=number), *body]
    return "\n".join(lines) + "\n"


def render(design: Design, ix: Index) -> list[Artifact]:
    found = []
    for zone in design.dns:
        content = zone_file(zone)
        for server in zone.servers:
            site = ix.site_of(server) or "platform"
            base = f"{site}/{server}/powerdns"
            found.append(
                Artifact(
                    f"{base}/zones/{zone.name}.zone",
                    content,
                    "powerdns",
                    server,
                    site,
                    Apply(
                        "file",
                        f"/etc/powerdns/zones/{zone.name}.zone",
                        "0644",
                        f"pdns_control bind-reload-now {zone.name}",
                    ),
                )
            )
    servers = sorted({s for z in design.dns for s in z.servers})
    for server in servers:
        site = ix.site_of(server) or "platform"
        zones = [z.name for z in design.dns if server in z.servers]
        named = "".join(
            f'zone "{z}" {{ type master; file "/etc/powerdns/zones/{z}.zone"; }};\n' for z in zones
        )
        found.append(
            Artifact(
                f"{site}/{server}/powerdns/named.conf",
                f"// {header('PowerDNS bind backend')}\n{named}",
                "powerdns",
                server,
                site,
                Apply("file", "/etc/powerdns/named.conf"),
            )
        )
        conf = "\n".join(
            [
                f"# {header('PowerDNS')}",
                "launch=bind",
                "bind-config=/etc/powerdns/named.conf",
                "enable-lua-records=yes",
                f"lua-health-checks-interval={_interval(design)}",
                "local-address=0.0.0.0, ::",
                "",
            ]
        )
        found.append(
            Artifact(
                f"{site}/{server}/powerdns/pdns.d/trisite.conf",
                conf,
                "powerdns",
                server,
                site,
                Apply("file", "/etc/powerdns/pdns.d/trisite.conf", "0644", "systemctl restart pdns"),
            )
        )
    return found
