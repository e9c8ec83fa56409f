"""The stand-in API: what the lab runs behind an API VIP in place of the OpenStack APIs or kube-apiserver.

Each request writes a row to its backend and reads the count back, so that an answer through the VIP means
HAProxy, a stand-in and its backend all work. The backend is `mariadb:SOCKET`, the region's Galera through the
controller's own node (the `standin` database, with the mariadb client), or else a file shared by the group's
stand-ins under a lock. Run as a script (standard library only), one per controller, in the controller's
namespace: `python standin.py ADDRESS PORT BACKEND NAME`.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MARIADB = shutil.which("mariadb") or "/usr/bin/mariadb"


def write_and_read(backend: str, name: str) -> int:
    """Write one record for this request, and return how many the backend holds."""
    if backend.startswith("mariadb:"):
        return galera_write_and_read(backend.removeprefix("mariadb:"), name)
    return file_write_and_read(Path(backend), name)


def galera_write_and_read(socket: str, name: str) -> int:
    """One row in Galera (committed on every node of the primary component), and the table's count."""
    if not re.fullmatch(r"[\w.-]+", name):
        raise OSError(f"not a device name: {name!r}")
    sql = f"INSERT INTO standin.writes (node) VALUES ('{name}'); SELECT COUNT(*) FROM standin.writes"  # noqa: S608 - checked above
    argv = [MARIADB, "--protocol=socket", "-S", socket, "-u", "root", "-N", "-B", "-e", sql]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise OSError("Galera did not answer within 5 s") from exc
    if done.returncode != 0:  # e.g. ERROR 1047 (WSREP has not yet prepared node): not in a primary component
        raise OSError(done.stderr.strip() or f"mariadb exited {done.returncode}")
    return int(done.stdout.split()[-1])


def file_write_and_read(backend: Path, name: str) -> int:
    """Append one line for this request, and return how many the file holds."""
    with backend.open("a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(f"{name}\n")
        f.flush()
        f.seek(0)
        return sum(1 for _ in f)


def handler(backend: str, name: str) -> type[BaseHTTPRequestHandler]:
    class StandIn(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body: dict[str, object] = {"stand-in": name}
            code = 200
            if self.path != "/health":  # HAProxy's check asks the process only, as Kolla's checks of the APIs
                try:
                    body["writes"] = write_and_read(backend, name)
                except OSError as exc:
                    body["error"], code = str(exc), 503
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: object) -> None:
            return  # one line per request would fill the lab's disk during a probe

    return StandIn


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, *_: object) -> None:
        return  # HAProxy's checks hang up early: not worth a traceback each time


def main(argv: list[str]) -> None:
    address, port, backend, name = argv
    Server((address, int(port)), handler(backend, name)).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
