"""A live PowerDNS serves what trisite renders: the zone, the bind backend's named.conf and pdns.conf of one DNS
server, with loopback addresses standing for the failover targets and TCP listeners for their services.

PowerDNS runs unprivileged-port, in its own configuration directory, and is stopped at the end. A missing
pdns_server skips the test unless TRISITE_REQUIRE_TOOLS=1 (CI), as in test_checkers."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from tests.conftest import EXAMPLES
from tests.unit.render.test_checkers import tool
from trisite.model import Index, load_design
from trisite.model.operations import DnsFailover, DnsRecord, DnsZone, HealthCheck
from trisite.render import dns as render_dns
from trisite.render import dns_health
from trisite.render.dns_records import STATE_DIR

pytestmark = pytest.mark.slow  # health checks run once a second: a switch takes a few

PRIMARY, SECONDARY = "127.0.0.2", "127.0.0.3"
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable  # what a DNS server runs
SERVER = "dc1-ops1"
TXT = 'say "hi" \\ then a semicolon; and ' + "x" * 300  # quotes, a backslash, longer than one string
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T], expected: T, deadline_s: float = 20) -> T:
    """Poll until probe() returns expected, or fail with the last value once the deadline has passed."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            seen = probe()
        except (OSError, dns.exception.DNSException) as error:
            seen = error  # type: ignore[assignment]
        if seen == expected:
            return seen
        if time.monotonic() > end:
            pytest.fail(f"{what}: still {seen!r} after {deadline_s} s, expected {expected!r}")
        time.sleep(0.1)


def free_port(address: str) -> int:
    """A port free for both TCP and UDP on address (PowerDNS binds both)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((address, 0))
        port: int = udp.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((address, port))
    return port


class Service:
    """A TCP service on address:port as PowerDNS' ifportup sees one: it accepts connections (and closes
    them; connections left unaccepted would fill the backlog and fail later checks)."""

    def __init__(self, address: str, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(128)  # the kernel completes handshakes even while a loaded machine delays accept()
        self.port: int = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            conn.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.sock.close()
        self.thread.join(timeout=5)


@dataclass
class Served:
    port: int
    zone_text: str


def design_zone(service_port: int, interval_s: float = 1) -> DnsZone:
    return DnsZone(
        name="example.net",
        servers=[SERVER],
        records=[
            DnsRecord(name="ns1", type="A", values=["127.0.0.1"]),
            DnsRecord(name="@", type="TXT", values=[TXT]),
            DnsRecord(name="mail", type="MX", values=["10 ns1"]),
            DnsRecord(
                name="www",
                type="A",
                ttl=1,
                failover=DnsFailover(
                    targets=[PRIMARY, SECONDARY],
                    check=HealthCheck(type="tcp", port=service_port, interval_s=interval_s),
                ),
            ),
        ],
    )


def write_config(root: Path, service_port: int, interval_s: float = 1) -> str:
    """The rendered files of SERVER under root, named.conf pointing at root's zone files, the zone's LUA at
    root/health for the DNS health agent's state, and the agent's program and configuration."""
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    design = design.model_copy(update={"dns": [design_zone(service_port, interval_s)]})
    artifacts = {
        a.path.split("/powerdns/", 1)[1]: a.content for a in render_dns.render(design, Index(design))
    }
    (root / "zones").mkdir()
    zone_text = artifacts["zones/example.net.zone"].replace(f"'{STATE_DIR}/", f"'{root}/health/")
    (root / "zones" / "example.net.zone").write_text(zone_text, encoding="utf-8")
    named = artifacts["named.conf"].replace("/etc/powerdns/zones/", f"{root}/zones/")
    (root / "named.conf").write_text(named, encoding="utf-8")
    (root / "pdns.conf").write_text(artifacts["pdns.d/trisite.conf"], encoding="utf-8")
    agent = {
        a.path.rsplit("/", 1)[1]: a.content
        for a in dns_health.render(design, Index(design))
        if SERVER in a.path
    }
    config = json.loads(agent["dns-health.json"])
    config["state_dir"] = str(root / "health")
    (root / "dns-health.json").write_text(json.dumps(config), encoding="utf-8")
    (root / "trisite-dns-health").write_text(agent["trisite-dns-health"], encoding="utf-8")
    return zone_text


def query(port: int, name: str, kind: str) -> tuple[str, list[str]]:
    response = dns.query.udp(dns.message.make_query(name, kind), "127.0.0.1", port=port, timeout=1)
    answers = sorted(r.to_text() for rrset in response.answer for r in rrset)
    return dns.rcode.to_text(response.rcode()), answers


@pytest.fixture
def targets() -> Iterator[dict[str, Service | None]]:
    port = free_port(PRIMARY)
    opened: dict[str, Service | None] = {PRIMARY: Service(PRIMARY, port), SECONDARY: Service(SECONDARY, port)}
    yield opened
    for service in opened.values():
        if service is not None:
            service.close()


@contextlib.contextmanager
def running_powerdns(root: Path, service_port: int, interval_s: float = 1, *extra: str) -> Iterator[Served]:
    binary = tool("pdns_server", "/usr/sbin/pdns_server")
    zone_text = write_config(root, service_port, interval_s)
    port = free_port("127.0.0.1")
    command = [
        binary,
        f"--config-dir={root}",  # reads the rendered pdns.conf; the rest points it at this directory
        f"--bind-config={root}/named.conf",
        "--local-address=127.0.0.1",
        f"--local-port={port}",
        f"--socket-dir={root}",
        "--guardian=no",
        "--daemon=no",
        "--disable-syslog",
        "--write-pid=no",
        "--cache-ttl=0",  # no packet cache: every query runs the record's Lua, so a random pick would show
        *extra,
    ]
    with (root / "pdns.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for("PowerDNS answering", lambda: query(port, "example.net", "SOA")[0], "NOERROR", 10)
        yield Served(port, zone_text)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def powerdns(tmp_path: Path, targets: dict[str, Service | None]) -> Iterator[Served]:
    service = targets[PRIMARY]
    assert service is not None
    with running_powerdns(tmp_path, service.port) as served:
        yield served


def test_plain_records_are_served_as_written(powerdns: Served) -> None:
    (soa,) = [line for line in powerdns.zone_text.splitlines() if " SOA " in line]
    rcode, (answer,) = query(powerdns.port, "example.net", "SOA")
    assert rcode == "NOERROR"
    assert answer.split()[2] == soa.split()[6]  # the serial we rendered
    response = dns.query.udp(dns.message.make_query("example.net", "TXT"), "127.0.0.1", port=powerdns.port)
    (rrset,) = response.answer
    (txt,) = list(rrset)
    assert b"".join(txt.strings).decode() == TXT  # type: ignore[attr-defined]
    assert query(powerdns.port, "mail.example.net", "MX") == ("NOERROR", ["10 ns1.example.net."])


def test_failover_answers_the_first_live_target_and_follows_its_port(
    powerdns: Served, targets: dict[str, Service | None]
) -> None:
    def www() -> tuple[str, list[str]]:
        return query(powerdns.port, "www.example.net", "A")

    primary = targets[PRIMARY]
    assert primary is not None
    # Before its first health checks PowerDNS answers the first target whatever its state (no target known
    # up: all of them): start with the first target closed, so that PRIMARY below means "checked and up".
    primary.close()
    targets[PRIMARY] = None
    wait_for("the first target's port closed", www, ("NOERROR", [SECONDARY]))
    targets[PRIMARY] = primary = Service(PRIMARY, primary.port)
    wait_for("the first target's port open", www, ("NOERROR", [PRIMARY]))
    assert [www() for _ in range(30)] == [("NOERROR", [PRIMARY])] * 30  # the first, not any live one
    primary.close()
    targets[PRIMARY] = None
    wait_for("the first target's port closed again", www, ("NOERROR", [SECONDARY]))


def test_the_health_agent_switches_the_answer_and_powerdns_checks_take_over_when_it_stops(
    tmp_path: Path, targets: dict[str, Service | None]
) -> None:
    """The rendered agent, checking every 0.1 s, moves the answer while PowerDNS's own checks (made hourly
    here) still see the first target up; once the agent stops, its state goes stale and PowerDNS's view
    answers again."""
    primary = targets[PRIMARY]
    assert primary is not None
    hourly = "--lua-health-checks-interval=3600"
    with running_powerdns(tmp_path, primary.port, 0.1, hourly) as served:

        def www() -> tuple[str, list[str]]:
            return query(served.port, "www.example.net", "A")

        wait_for("PowerDNS answering the record", www, ("NOERROR", [PRIMARY]))
        agent = subprocess.Popen(
            [
                PYTHON,
                str(tmp_path / "trisite-dns-health"),
                "--config",
                str(tmp_path / "dns-health.json"),
            ]
        )
        try:
            wait_for("the agent's first round", (tmp_path / "health/www.example.net-A").exists, True)
            assert www() == ("NOERROR", [PRIMARY])
            primary.close()
            targets[PRIMARY] = None
            wait_for("the agent seeing the first target closed", www, ("NOERROR", [SECONDARY]))
            state = (tmp_path / "health/www.example.net-A").read_text(encoding="ascii").split()
            assert state[1:] == [SECONDARY]
        finally:
            stop(agent)
        # PowerDNS's own view (the first target up, checked an hour ago) once the agent's word is stale
        wait_for("the agent's state stale", www, ("NOERROR", [PRIMARY]), deadline_s=15)
