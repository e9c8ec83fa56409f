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
    """A TCP port on 127.0.0.1 that accepts connections (the kernel completes them) and never answers."""
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


def test_a_target_that_never_answers_fails_at_the_timeout(listener: int) -> None:
    """The check is cut at its timeout and the connection dropped at once (no wait for a clean close)."""
    for kind in ("http", "https"):  # https: the handshake never completes
        start = time.monotonic()
        watched = record(listener, "127.0.0.1", kind=kind, timeout=0.3)
        assert not asyncio.run(dns_health.probe(watched, "127.0.0.1", dns_health.tls_context()))
        assert 0.25 <= time.monotonic() - start < 5, kind  # it waited for the answer, and no longer than that


def test_a_silent_target_does_not_delay_what_the_others_show(tmp_path: Path) -> None:
    """127.0.0.2 accepts and never answers (its checks last their 3 s timeout); 127.0.0.1's answers stop: the
    state says so after its own next check, not after the silent target's."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hung:
        hung.bind(("127.0.0.2", port))
        hung.listen(16)
        watched = Record(
            "www.example.net-A",
            "http",
            port,
            ("127.0.0.2", "127.0.0.1"),
            "www.example.net",
            "/health",
            0.05,
            3.0,
        )
        state = tmp_path / watched.state

        def healthy() -> list[str]:
            return state.read_text(encoding="ascii").split()[1:] if state.exists() else ["?"]

        async def scenario() -> float:
            agent = asyncio.ensure_future(dns_health.run(Config(tmp_path, 1, 1, (watched,))))
            while healthy() != ["127.0.0.1"]:  # the silent one's first check has failed
                await asyncio.sleep(0.02)
            server.shutdown()
            server.server_close()  # refused from now on
            start = time.monotonic()
            while healthy() != []:
                await asyncio.sleep(0.02)
            agent.cancel()
            return time.monotonic() - start

        assert asyncio.run(asyncio.wait_for(scenario(), 30)) < 2.5  # within the silent check's 3 s


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
            "records[0].interval_s: 0.0 is not a positive number",
        ),
        (lambda c: c.update(fall=0), "fall: 0 is not a positive number"),
        (lambda c: c["records"][0].update(timeout_s=float("nan")), "NaN is not a number this agent accepts"),
        (lambda c: c["records"][0].update(check="http"), "records[0].host: missing"),
        (
            lambda c: c["records"].append(c["records"][0]),
            "records: two records write the state 'www.example.net-A'",
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
