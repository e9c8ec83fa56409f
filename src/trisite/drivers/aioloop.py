"""A private asyncio loop in a thread of its own, behind the synchronous Protocols, for drivers whose library is
async (asyncssh): connections stay open between calls, and calls may come from any thread (the runner walks a
plan in parallel).

In the lab the loop's thread, and the threads of its executor (name resolution), first enter the namespace the
driver speaks from (drivers/netns.py), so that every socket the driver opens lives there.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from trisite.drivers.netns import enter

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str, netns: str | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        if netns:
            executor = ThreadPoolExecutor(2, f"{name}-resolve", initializer=enter, initargs=(netns,))
            self._loop.set_default_executor(executor)
        started = threading.Event()
        failures: list[BaseException] = []

        def serve() -> None:
            try:
                if netns:
                    enter(netns)
            except BaseException as exc:
                failures.append(exc)
                started.set()
                return
            asyncio.set_event_loop(self._loop)
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name=name, daemon=True)
        self._thread.start()
        started.wait()
        if failures:
            self._loop.close()
            raise failures[0]

    def run(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        """`work`'s result, or TimeoutError once `timeout` seconds have passed (the work is cancelled then)."""
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(work, timeout), self._loop).result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.run_until_complete(self._loop.shutdown_default_executor())
        self._loop.close()
