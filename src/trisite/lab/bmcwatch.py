"""Makes the BMC emulator's power actions real: the server's namespace goes dark, or comes back.

sushy-tools' fake driver records a power change as pending, with the moment it takes effect (1 to 11 s later,
as on real hardware), and sends every change of a system to a notification URL: this process is that URL. When
the change takes effect it sets the server's interfaces down (its switch ports lose carrier) or up again and
restores the routes its operating system sets at boot. It runs inside the BMC namespace, started before the
emulator: `python -m trisite.lab.bmcwatch SPEC.json`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WATCH_ADDRESS = ("127.0.0.1", 9999)


def ip_batch(netns: str, lines: list[str]) -> None:
    subprocess.run(  # noqa: S603 - our own argument list
        ["ip", "-n", netns, "-force", "-batch", "-"],  # noqa: S607 - the lab's PATH
        input="\n".join(lines) + "\n",
        text=True,
        check=False,
        capture_output=True,
    )


class PowerWatch:
    def __init__(
        self, systems: dict[str, dict[str, Any]], apply_lines: Callable[[str, list[str]], None] = ip_batch
    ) -> None:
        self.systems = systems  # system id -> {server, netns, interfaces, routes}
        self.apply_lines = apply_lines
        self.power = dict.fromkeys(systems, "On")  # the lab builds servers powered on, as delivered
        self.timers: dict[str, threading.Timer] = {}
        self.lock = threading.Lock()

    def notified(self, system: dict[str, Any]) -> None:
        uuid = str(system.get("uuid"))
        if uuid not in self.systems:
            return
        pending = system.get("pending_power")
        if not pending:
            self.apply(uuid, str(system.get("power_state")))
            return
        if system.get("power_state") == "Off":
            self.apply(uuid, "Off")  # a restart goes dark at once, then comes back when it takes effect
        target = "Off" if pending["power_state"] == "Off" else "On"
        delay = max(0.0, float(pending["apply_time"]) - time.time())
        with self.lock:
            if uuid in self.timers:
                self.timers[uuid].cancel()
            timer = threading.Timer(delay, self.apply, (uuid, target))
            timer.daemon = True
            self.timers[uuid] = timer
            timer.start()

    def apply(self, uuid: str, state: str) -> None:
        with self.lock:
            if self.power[uuid] == state:
                return
            self.power[uuid] = state
            entry = self.systems[uuid]
            word = "up" if state == "On" else "down"
            lines = [f"link set {i} {word}" for i in entry["interfaces"]]
            if state == "On":
                lines += entry["routes"]  # `route replace ...` lines: what the OS sets again at boot
            self.apply_lines(entry["netns"], lines)
            print(f"{time.time():.3f} {entry['server']} power {state}", flush=True)  # noqa: T201 - the log


def handler_for(watch: PowerWatch) -> type[BaseHTTPRequestHandler]:
    class Notification(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            try:
                watch.notified(json.loads(self.rfile.read(length) or b"{}"))
            except (ValueError, KeyError, TypeError) as exc:
                self.send_error(400, str(exc))
                return
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the power changes themselves are the log."""

    return Notification


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    watch = PowerWatch(spec["systems"])
    ThreadingHTTPServer(WATCH_ADDRESS, handler_for(watch)).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
