"""The stand-in API: what the lab runs behind an API VIP in place of the OpenStack APIs or kube-apiserver.

Each request writes a row to its backend and reads the count back, so that an answer through the VIP means
HAProxy, a stand-in and its backend all work. The backend is `mariadb:SOCKET`, the region's Galera through the
controller's own node (the `standin` database, over one PyMySQL connection per serving thread, as an API's
connection pool: a client process per request cost the lab's two cores more than the probes measured), or else a
file shared by the group's stand-ins under a lock. Run as a script with the lab's Python, one per controller, in
the controller's namespace: `python standin.py ADDRESS PORT BACKEND NAME`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pymysql

GALERA_TIMEOUT = 5  # seconds: a node outside the primary component answers at once; a hung one, never
_local = threading.local()


def write_and_read(backend: str, name: str) -> int:
    """Write one record for this request, and return its number in the backend."""
    if backend.startswith("mariadb:"):
        return galera_write_and_read(backend.removeprefix("mariadb:"), name)
    return file_write_and_read(Path(backend), name)


def galera_write_and_read(socket: str, name: str) -> int:
    """One row in Galera (committed on every node of the primary component); its id."""
    try:
        with _connection(socket).cursor() as cursor:
            cursor.execute("INSERT INTO standin.writes (node) VALUES (%s)", (name,))
            return int(cursor.lastrowid)
    except (
        pymysql.MySQLError
    ) as exc:  # e.g. 1047, WSREP not prepared: the node is outside a primary component
        _drop_connection()
        raise OSError(str(exc)) from exc


def _connection(socket: str) -> pymysql.connections.Connection:
    """This thread's connection to the controller's own node, opened on first use or after an error."""
    if getattr(_local, "connection", None) is None:
        _local.connection = pymysql.connect(
            unix_socket=socket,
            user="root",
            autocommit=True,
            connect_timeout=GALERA_TIMEOUT,
            read_timeout=GALERA_TIMEOUT,
            write_timeout=GALERA_TIMEOUT,
        )
    return _local.connection  # type: ignore[no-any-return]


def _drop_connection() -> None:
    connection, _local.connection = getattr(_local, "connection", None), None
    if connection is not None:
        with contextlib.suppress(pymysql.MySQLError):  # already broken: that is why it is dropped
            connection.close()


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
