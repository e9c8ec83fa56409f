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
library: the DNS servers do not have trisite installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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


def _record(data: Any, where: str) -> Record:
    if not isinstance(data, dict):
        raise ConfigError(f"{where.rstrip('.')}: expected an object")
    kind = _field(data, "check", str, where)
    if kind not in KINDS:
        raise ConfigError(f"{where}check: {kind!r} is not one of {', '.join(KINDS)}")
    targets = _field(data, "targets", list, where)
    if not targets or not all(isinstance(t, str) and t for t in targets):
        raise ConfigError(f"{where}targets: expected a list of addresses")
    port, interval, timeout = (
        _field(data, "port", int, where),
        _field(data, "interval_s", float, where),
        _field(data, "timeout_s", float, where),
    )
    if not 1 <= port <= 65535:
        raise ConfigError(f"{where}port: {port} is not a port")
    for key, value in (("interval_s", interval), ("timeout_s", timeout)):
        if value <= 0:
            raise ConfigError(f"{where}{key}: {value} is not positive")
    state = _field(data, "state", str, where)
    if "/" in state or state.startswith("."):
        raise ConfigError(f"{where}state: {state!r} is not a file name")
    return Record(
        state,
        kind,
        port,
        tuple(targets),
        str(data.get("host", "")),
        str(data.get("path", "/")),
        interval,
        timeout,
    )


def load(path: Path) -> Config:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from None
    where = f"{path}: "
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected an object")
    records = _field(data, "records", list, where)
    return Config(
        Path(_field(data, "state_dir", str, where)),
        max(1, _field(data, "fall", int, where)),
        max(1, _field(data, "rise", int, where)),
        tuple(_record(r, f"{where}records[{i}].") for i, r in enumerate(records)),
    )


async def _http_ok(record: Record, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    request = f"GET {record.path} HTTP/1.1\r\nHost: {record.host}\r\nConnection: close\r\n\r\n"
    writer.write(request.encode("ascii", "replace"))
    await writer.drain()
    status = (await reader.readline()).split()
    return len(status) >= 2 and status[1].isdigit() and 200 <= int(status[1]) < 400


async def probe(record: Record, address: str, tls: ssl.SSLContext | None) -> bool:
    """One check of one target: a TCP connection accepted, or an HTTP answer below 400, within the timeout."""

    async def check() -> bool:
        sni = record.host if record.kind == "https" else None
        reader, writer = await asyncio.open_connection(address, record.port, ssl=tls, server_hostname=sni)
        try:
            return True if record.kind == "tcp" else await _http_ok(record, reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()

    try:
        return await asyncio.wait_for(check(), record.timeout_s)
    except (OSError, ssl.SSLError, TimeoutError, ValueError):
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


async def watch(config: Config, record: Record, rounds: int | None = None) -> None:
    """Check the record's targets every interval_s (all at once), then write who is healthy."""
    health = Health(config.fall, config.rise)
    tls = ssl.create_default_context() if record.kind == "https" else None
    done = 0
    while rounds is None or done < rounds:
        start = time.monotonic()
        results = await asyncio.gather(*(probe(record, a, tls) for a in record.targets))
        for address, passed in zip(record.targets, results, strict=True):
            health.update(address, passed)
        write_state(config.state_dir, record, [a for a in record.targets if health.up[a]])
        done += 1
        await asyncio.sleep(max(0.0, start + record.interval_s - time.monotonic()))


async def run(config: Config, rounds: int | None = None) -> None:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    await asyncio.gather(*(watch(config, r, rounds) for r in config.records))


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
