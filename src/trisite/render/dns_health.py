"""trisite's DNS health agent on every DNS server: the program (agents/dns_health.py, standard library only),
its configuration (the failover records of the zones the server serves) and its systemd unit.

The unit is `pdns-health`: it serves PowerDNS and goes where PowerDNS goes (plan/platform.py names a service's
family by its first word). It runs without privileges and writes only its runtime directory, which PowerDNS's
LUA records read (render/dns_records.py)."""

from __future__ import annotations

import json
from importlib import resources

from trisite.errors import RenderError
from trisite.model import Design, Index, timers
from trisite.model.operations import DnsRecord, DnsZone
from trisite.render.artifact import Apply, Artifact
from trisite.render.dns_records import STATE_DIR, fqdn, state_name
from trisite.render.engine import header

UNIT = "pdns-health"
PROGRAM = "/usr/local/libexec/trisite-dns-health"
CONFIG = "/etc/trisite/dns-health.json"
RISE = 1  # a target back in service answers again after one passed check, as PowerDNS's own checks do


def program() -> str:
    return resources.files("trisite.agents").joinpath("dns_health.py").read_text(encoding="utf-8")


def _record(zone: DnsZone, record: DnsRecord) -> dict[str, object]:
    assert record.failover is not None
    check = record.failover.check
    entry: dict[str, object] = {
        "state": state_name(zone, record),
        "check": check.type,
        "port": check.port,
        "targets": [str(t) for t in record.failover.targets],
        "interval_s": check.interval_s,
        "timeout_s": check.timeout_s,
    }
    if check.type != "tcp":
        entry.update(host=fqdn(zone, record), path=check.path or "/")
    return entry


def config(design: Design, server: str) -> str:
    records = [
        _record(z, r) for z in design.dns if server in z.servers for r in z.records if r.failover is not None
    ]
    states = [str(r["state"]) for r in records]
    twice = sorted({s for s in states if states.count(s) > 1})
    if twice:  # `www` of example.net and `@` of www.example.net, both served here
        raise RenderError(f"dns: two failover records of {server} are the same name and type: {twice[0]}")
    document = {
        "_comment": header("DNS health agent"),
        "state_dir": STATE_DIR,
        "fall": timers.DNS_CHECK_FAILURES,
        "rise": RISE,
        "records": records,
    }
    return json.dumps(document, indent=2) + "\n"


def unit() -> str:
    run = f"/usr/bin/python3 {PROGRAM} --config {CONFIG}"
    lines = [
        f"# {header('DNS health agent')}",
        "[Unit]",
        "Description=trisite DNS health agent: checks the failover records' targets for PowerDNS",
        "After=network-online.target",
        "Wants=network-online.target",
        "StartLimitIntervalSec=0",  # restarted however often it fails: PowerDNS falls back meanwhile
        "",
        "[Service]",
        f"ExecStartPre={run} --check",
        f"ExecStart={run}",
        "Restart=always",
        "RestartSec=1",
        "DynamicUser=yes",
        f"RuntimeDirectory={STATE_DIR.removeprefix('/run/')}",
        "RuntimeDirectoryMode=0755",
        "RuntimeDirectoryPreserve=restart",  # its state stays fresh across a restart
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "PrivateDevices=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def render(design: Design, ix: Index) -> list[Artifact]:
    found = []
    servers = sorted({s for z in design.dns for s in z.servers if any(r.failover for r in z.records)})
    restart = f"systemctl daemon-reload && systemctl enable {UNIT} && systemctl restart {UNIT}"
    for server in servers:
        site = ix.site_of(server) or "platform"
        base = f"{site}/{server}/dns-health"
        files = [
            ("trisite-dns-health", program(), Apply("file", PROGRAM, "0755", f"systemctl restart {UNIT}")),
            (
                "dns-health.json",
                config(design, server),
                Apply("file", CONFIG, "0644", f"systemctl restart {UNIT}"),
            ),
            (
                f"{UNIT}.service",
                unit(),
                Apply("file", f"/etc/systemd/system/{UNIT}.service", "0644", restart),
            ),
        ]
        found += [
            Artifact(f"{base}/{name}", text, "dns-health", server, site, how) for name, text, how in files
        ]
    return found
