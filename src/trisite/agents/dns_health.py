#!/usr/bin/python3
"""trisite's DNS health agent: checks the targets of the design's failover records more often than PowerDNS can,
and tells PowerDNS which are healthy through one state file per record.

Why it exists: PowerDNS 4.7 checks a LUA record's targets in rounds of whole seconds
(`lua-health-checks-interval`, 1 at the least), so its answer changes 0 to 1 s after a target fails. This agent
checks every `interval_s` of the record (a tenth of a second if the design says so) and writes, after each round,
`<unix time> <healthy address> ...` to `<state_dir>/<record>-<type>`. The rendered LUA record reads that file and
answers with the first healthy target; when the file is missing or older than its `stale_s` (the agent stopped,
hung or was never installed) it falls back to PowerDNS's own checks, which it keeps running meanwhile.

It runs on every DNS server, one per server, and checks from there, as PowerDNS's own checks do. It is rendered by
trisite (render/dns_health.py) with its configuration and systemd unit, and needs nothing but Python 3's standard
library (Python 3.8 or later): the DNS servers do not have trisite installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("tcp", "http", "https")


class ConfigError(Exception):
    """A configuration the agent cannot run: one line naming the file and the field."""


@dataclass(frozen=True)
class Record:
    state: str  # the state file's name: <fqdn>-<type>
    kind: str  # tcp, http or https
    port: int
    targets: tuple[str, ...]  # in the design's order
    host: str  # the Host header and TLS server name of http(s) checks
    path: str
    interval_s: float
    timeout_s: float


@dataclass(frozen=True)
class Config:
    state_dir: Path
    fall: int  # failed checks in a row that mark a healthy target down
    rise: int  # passed checks in a row that mark a down target healthy
    records: tuple[Record, ...]


def _field(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """data[key] of the given type; `where` names data: `FILE: ` or `FILE: records[N].`"""
    if key not in data:
        raise ConfigError(f"{where}{key}: missing")
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(f"{where}{key}: expected {kind.__name__}, got {value!r}")
    return value


def _positive(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = _field(data, key, kind, where)
    if not 0 < value < 86400:  # also refuses NaN
        raise ConfigError(f"{where}{key}: {value} is not a positive number of seconds or checks")
    return value


def _record(data: Any, where: str) -> Record:
    if not isinstance(data, dict):
        raise ConfigError(f"{where.rstrip('.')}: expected an object")
    kind = _field(data, "check", str, where)
    if kind not in KINDS:
        raise ConfigError(f"{where}check: {kind!r} is not one of {', '.join(KINDS)}")
    targets = _field(data, "targets", list, where)
    if not targets or not all(isinstance(t, str) and t for t in targets):
        raise ConfigError(f"{where}targets: expected a list of addresses")
    port = _field(data, "port", int, where)
    if not 1 <= port <= 65535:
        raise ConfigError(f"{where}port: {port} is not a port")
    state = _field(data, "state", str, where)
    if not state or "/" in state or state.startswith("."):
        raise ConfigError(f"{where}state: {state!r} is not a file name")
    host, path = (_field(data, k, str, where) if kind != "tcp" else "" for k in ("host", "path"))
    if kind != "tcp" and (not host or not path.startswith("/") or any(c.isspace() for c in host + path)):
        raise ConfigError(f"{where}: an HTTP check needs a host and a path starting with / (no spaces)")
    interval, timeout = (_positive(data, k, float, where) for k in ("interval_s", "timeout_s"))
    return Record(state, kind, port, tuple(targets), host, path, interval, timeout)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number this agent accepts")


def load(path: Path) -> Config:
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from None
    where = f"{path}: "
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected an object")
    records = tuple(
        _record(r, f"{where}records[{i}].") for i, r in enumerate(_field(data, "records", list, where))
    )
    states = [r.state for r in records]
    twice = sorted({s for s in states if states.count(s) > 1})
    if twice:
        raise ConfigError(f"{where}records: two records write the state {twice[0]!r}")
    fall, rise = (_positive(data, k, int, where) for k in ("fall", "rise"))
    return Config(Path(_field(data, "state_dir", str, where)), fall, rise, records)


async def _http_ok(record: Record, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """An answer 200, as PowerDNS's ifurlup wants it."""
    request = f"GET {record.path} HTTP/1.1\r\nHost: {record.host}\r\nConnection: close\r\n\r\n"
    writer.write(request.encode("ascii", "replace"))
    await writer.drain()
    status = (await reader.readline()).split()
    return len(status) >= 2 and status[1] == b"200"


def tls_context() -> ssl.SSLContext:
    """Certificates are not checked, as PowerDNS's ifurlup does not: the check asks whether the service
    answers, and an internal CA the DNS server does not trust must not turn every target down."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def probe(record: Record, address: str, tls: ssl.SSLContext | None) -> bool:
    """One check of one target: a TCP connection accepted, or an HTTP answer 200, within the timeout."""

    async def check() -> bool:
        sni = record.host if record.kind == "https" else None
        reader, writer = await asyncio.open_connection(address, record.port, ssl=tls, server_hostname=sni)
        try:
            return True if record.kind == "tcp" else await _http_ok(record, reader, writer)
        finally:
            # Closed at once, without waiting for a TLS close from a peer that may never send it: a check
            # lasts its timeout at the most.
            writer.transport.abort()

    try:
        return await asyncio.wait_for(check(), record.timeout_s)
    except (OSError, ssl.SSLError, asyncio.TimeoutError, ValueError):  # noqa: UP041 - a different class before 3.11
        return False


class Health:
    """Each target's state after fall/rise: a target starts healthy when its first check passes, down when it
    fails (no flap damping before anything is known)."""

    def __init__(self, fall: int, rise: int) -> None:
        self.fall, self.rise = fall, rise
        self.up: dict[str, bool] = {}
        self.streak: dict[str, int] = {}

    def update(self, address: str, passed: bool) -> None:
        if address not in self.up:
            self.up[address], self.streak[address] = passed, 0
            return
        if passed == self.up[address]:
            self.streak[address] = 0
            return
        self.streak[address] += 1
        if self.streak[address] >= (self.rise if passed else self.fall):
            self.up[address], self.streak[address] = passed, 0


def write_state(state_dir: Path, record: Record, healthy: list[str]) -> None:
    """Replace the record's state file in one step: PowerDNS never reads half of one."""
    line = " ".join([str(int(time.time())), *healthy]) + "\n"
    temporary = state_dir / f".{record.state}.tmp"
    temporary.write_text(line, encoding="ascii")
    temporary.chmod(0o644)
    temporary.replace(state_dir / record.state)


async def watch_target(
    config: Config, record: Record, address: str, health: Health, rounds: int | None
) -> None:
    """Check one target every interval_s (or as soon as its last check ended, when that took longer), then
    write the record's state once every target has been checked: a silent target, whose checks last their
    timeout, never delays what the others' checks show."""
    tls = tls_context() if record.kind == "https" else None
    done = 0
    while rounds is None or done < rounds:
        start = time.monotonic()
        health.update(address, await probe(record, address, tls))
        if all(a in health.up for a in record.targets):
            write_state(config.state_dir, record, [a for a in record.targets if health.up[a]])
        done += 1
        await asyncio.sleep(max(0.0, start + record.interval_s - time.monotonic()))


async def run(config: Config, rounds: int | None = None) -> None:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    watches = []
    for record in config.records:
        health = Health(config.fall, config.rise)
        watches += [watch_target(config, record, a, health, rounds) for a in record.targets]
    await asyncio.gather(*watches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", type=Path, default=Path("/etc/trisite/dns-health.json"))
    parser.add_argument("--check", action="store_true", help="read the configuration, report and exit")
    args = parser.parse_args(argv)
    try:
        config = load(args.config)
    except ConfigError as error:
        sys.stderr.write(f"trisite-dns-health: {error}\n")
        return 2
    if args.check:
        sys.stdout.write(
            f"trisite-dns-health: {args.config}: {len(config.records)} records in {config.state_dir}\n"
        )
        return 0
    asyncio.run(run(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
