"""The stand-in API: what the lab runs behind an API VIP in place of the OpenStack APIs or kube-apiserver.

Each request writes a line to its group's backend (a file shared by the group's stand-ins, under a lock: the
lab's stand-in for Galera) and reads the count back, so that an answer through the VIP means HAProxy, a
stand-in and its backend all work. Run as a script (standard library only), one per controller, in the
controller's namespace: `python standin.py ADDRESS PORT BACKEND NAME`.
"""

from __future__ import annotations

import fcntl
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def write_and_read(backend: Path, name: str) -> int:
    """Append one line for this request, and return how many the backend holds."""
    with backend.open("a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(f"{name}\n")
        f.flush()
        f.seek(0)
        return sum(1 for _ in f)


def handler(backend: Path, name: str) -> type[BaseHTTPRequestHandler]:
    class StandIn(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                body = {"stand-in": name, "writes": write_and_read(backend, name)}
                code = 200
            except OSError as exc:
                body, code = {"stand-in": name, "error": str(exc)}, 503
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
    Server((address, int(port)), handler(Path(backend), name)).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
