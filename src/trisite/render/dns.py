"""Authoritative DNS with PowerDNS (bind backend): the zones, with failover records as LUA records that answer
with the first healthy target, served identically by every DNS server of the design."""

from __future__ import annotations

from trisite.model import Design, Index
from trisite.model.operations import DnsRecord, DnsZone
from trisite.render.artifact import Apply, Artifact
from trisite.render.engine import header


def _lua(record: DnsRecord, zone: DnsZone) -> str:
    """`ifportup`/`ifurlup` over preference sets: the first set with a live address answers."""
    assert record.failover is not None
    sets = ", ".join("{'" + str(t) + "'}" for t in record.failover.targets)
    check = record.failover.check  # the check interval is pdns.conf's lua-health-checks-interval
    if check.type == "tcp":
        call = f"ifportup({check.port}, {{{sets}}})"
    else:
        host = zone.name if record.name == "@" else f"{record.name}.{zone.name}"
        url = f"{check.type}://{host}:{check.port}{check.path or '/'}"
        call = f"ifurlup('{url}', {{{sets}}})"
    return f'{record.type} "{call}"'


def _interval(design: Design) -> int:
    checks = [r.failover.check.interval_s for z in design.dns for r in z.records if r.failover]
    return min(checks, default=5)


def zone_file(zone: DnsZone) -> str:

    ns = sorted(r.name for r in zone.records if r.type == "A" and r.name.startswith("ns"))
    lines = [
        f"; {header('PowerDNS zone')}",
        "$TTL 300",
        f"$ORIGIN {zone.name}.",
        f"@ 3600 IN SOA {ns[0] if ns else 'ns1'}.{zone.name}. hostmaster.{zone.name}. 1 3600 600 1209600 300",
    ]
    lines += [f"@ 3600 IN NS {n}.{zone.name}." for n in ns]
    for r in sorted(zone.records, key=lambda r: (r.name, r.type)):
        if r.failover:
            lines.append(f"{r.name} {r.ttl} IN LUA {_lua(r, zone)}")
        else:
            lines += [f"{r.name} {r.ttl} IN {r.type} {v}" for v in r.values]
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
