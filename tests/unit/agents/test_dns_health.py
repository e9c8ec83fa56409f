"""trisite's DNS health agent (agents/dns_health.py): its configuration refused with one line naming the field,
its checks against real listeners (TCP, HTTP), fall and rise, and the state file PowerDNS's LUA records read."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from trisite.agents import dns_health
from trisite.agents.dns_health import Config, ConfigError, Health, Record
from trisite.model import Index, load_design
from trisite.render import dns_health as render_agent


def record(port: int, *targets: str, kind: str = "tcp", timeout: float = 1.0) -> Record:
    return Record("www.example.net-A", kind, port, targets, "www.example.net", "/health", 0.05, timeout)


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there now: connections are refused


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        healthy = self.path == "/health" and self.headers["Host"] == "www.example.net"
        self.send_response(200 if healthy else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_tcp_check_passes_on_an_open_port_and_fails_on_a_closed_one(listener: int) -> None:
    assert asyncio.run(dns_health.probe(record(listener, "127.0.0.1"), "127.0.0.1", None))
    assert not asyncio.run(dns_health.probe(record(closed_port(), "127.0.0.1"), "127.0.0.1", None))


def test_a_silent_target_fails_at_the_timeout() -> None:
    """192.0.2.1 (TEST-NET-1) is not routed: the connection never completes, the check fails at 0.2 s."""
    start = time.monotonic()
    assert not asyncio.run(dns_health.probe(record(443, "192.0.2.1", timeout=0.2), "192.0.2.1", None))
    assert time.monotonic() - start < 5  # bounded by the timeout, not by the kernel's SYN retries


def test_an_http_check_asks_the_record_s_name_and_path_and_wants_an_answer_below_400(web: int) -> None:
    good = record(web, "127.0.0.1", kind="http")
    assert asyncio.run(dns_health.probe(good, "127.0.0.1", None))
    wrong_path = Record(good.state, "http", web, good.targets, good.host, "/", 0.05, 1.0)
    assert not asyncio.run(dns_health.probe(wrong_path, "127.0.0.1", None))


def test_fall_and_rise_count_checks_in_a_row() -> None:
    health = Health(fall=2, rise=3)
    health.update("a", True)
    assert health.up["a"]
    health.update("a", False)
    assert health.up["a"]  # one failure of two
    health.update("a", True)
    health.update("a", False)
    assert health.up["a"]  # a pass between: the count starts again
    health.update("a", False)
    assert not health.up["a"]
    for _ in range(2):
        health.update("a", True)
    assert not health.up["a"]
    health.update("a", True)
    assert health.up["a"]


def test_a_round_writes_the_healthy_targets_in_order_with_the_time(tmp_path: Path, listener: int) -> None:
    """127.0.0.2 listens on nothing (refused); 127.0.0.1 and 127.0.0.3 share the listener's port only if it
    is bound to all of 127/8, so the listener here is on 127.0.0.1 alone."""
    watched = record(listener, "127.0.0.2", "127.0.0.1")
    config = Config(tmp_path / "state", 1, 1, (watched,))
    before = int(time.time())
    asyncio.run(dns_health.run(config, rounds=1))
    words = (tmp_path / "state" / watched.state).read_text(encoding="ascii").split()
    assert before <= int(words[0]) <= time.time()
    assert words[1:] == ["127.0.0.1"]
    assert not list((tmp_path / "state").glob(".*"))  # no temporary file left behind


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("state_dir"), "state_dir: missing"),
        (lambda c: c["records"][0].update(port="443"), "records[0].port: expected int, got '443'"),
        (lambda c: c["records"][0].update(port=70000), "records[0].port: 70000 is not a port"),
        (lambda c: c["records"][0].update(check="icmp"), "records[0].check: 'icmp' is not one of tcp"),
        (lambda c: c["records"][0].update(targets=[]), "records[0].targets: expected a list of addresses"),
        (
            lambda c: c["records"][0].update(interval_s=0),
            "records[0].interval_s: 0.0 is not positive",
        ),
        (lambda c: c["records"][0].update(state="../etc/passwd"), "records[0].state: '../etc/passwd' is not"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_field(
    tmp_path: Path, change: object, message: str
) -> None:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    config = json.loads(render_agent.config(design, "dc1-ops1"))
    change(config)  # type: ignore[operator]
    path = tmp_path / "dns-health.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{path}: " + message.replace("[", r"\[").replace("(", r"\(")):
        dns_health.load(path)


def test_the_rendered_program_checks_its_rendered_configuration(tmp_path: Path) -> None:
    """What a DNS server runs (ExecStartPre): the rendered program, standard library only, with the system's
    Python; a broken configuration is one line on stderr and exit status 2."""
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    files = {
        a.path.rsplit("/", 1)[1]: a.content
        for a in render_agent.render(design, Index(design))
        if "/dc2-ops1/" in a.path
    }
    (tmp_path / "agent").write_text(files["trisite-dns-health"], encoding="utf-8")
    (tmp_path / "good.json").write_text(files["dns-health.json"], encoding="utf-8")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    good = subprocess.run(
        [python, "-I", str(tmp_path / "agent"), "--config", str(tmp_path / "good.json"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert "1 records in /run/trisite-dns-health" in good.stdout
    bad = subprocess.run(
        [python, "-I", str(tmp_path / "agent"), "--config", str(tmp_path / "bad.json"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and f"{tmp_path / 'bad.json'}:" in bad.stderr
