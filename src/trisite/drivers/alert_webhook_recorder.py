"""The lab's alert notification recorder: the webhook every Alertmanager of the lab notifies instead of its
rendered receivers (e-mail cannot be delivered in the lab; drivers/lab_overlay.py, `MonitoringOverlay`).

Each notification is appended to one JSON lines file shared by the recorders of every Alertmanager host, under
a lock, as one line: {"received": UNIX TIME, "host": the Alertmanager's host, "receiver", "status", "alerts":
[{"name", "status", "labels", "startsAt", "endsAt"}]}. Tests and the campaign read it (drivers/lab_alerts.py).
Run as a script (standard library only), one per Alertmanager host, in its namespace:
`python alert_webhook_recorder.py ADDRESS PORT LOG HOST`.
"""

from __future__ import annotations

import fcntl
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def record(log: Path, host: str, payload: dict[str, Any], received: float) -> None:
    """Append one notification (Alertmanager's webhook payload, version 4) to the log."""
    alerts = [
        {
            "name": a.get("labels", {}).get("alertname", ""),
            "status": a.get("status", ""),
            "labels": a.get("labels", {}),
            "startsAt": a.get("startsAt", ""),
            "endsAt": a.get("endsAt", ""),
        }
        for a in payload.get("alerts", [])
    ]
    line = {
        "received": received,
        "host": host,
        "receiver": payload.get("receiver", ""),
        "status": payload.get("status", ""),
        "alerts": alerts,
    }
    with log.open("a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(line, sort_keys=True) + "\n")


def handler(log: Path, host: str) -> type[BaseHTTPRequestHandler]:
    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                record(log, host, json.loads(body), received)
                code = 200
            except (ValueError, OSError):
                code = 400
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return  # the log file is the record

    return Recorder


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main(argv: list[str]) -> None:
    address, port, log, host = argv
    Server((address, int(port)), handler(Path(log), host)).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
