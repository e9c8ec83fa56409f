"""The deployment journal: which step ran with which inputs, and what it left on the target.

SQLite in WAL mode, one transaction per record, so that a deployment killed at any instant (`kill -9`, a power
cut of the deployment station) leaves a journal that opens, whose last record of a step says whether the step
may have half-run ("started" without "done") or finished. The next run resumes from there.

Only redacted text goes in: the caller replaces every secret value by its `${secret:NAME}` placeholder first.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from trisite.errors import TargetError
from trisite.plan.records import Record, StepState

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY, started REAL NOT NULL, ended REAL, design TEXT NOT NULL, target TEXT NOT NULL,
  pid INTEGER NOT NULL, host TEXT NOT NULL, outcome TEXT
);
CREATE TABLE IF NOT EXISTS records (
  id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), step TEXT NOT NULL, input TEXT NOT NULL,
  state TEXT NOT NULL, at REAL NOT NULL, seconds REAL, detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS records_by_step ON records(step, id);
CREATE TABLE IF NOT EXISTS observed (
  device TEXT NOT NULL, what TEXT NOT NULL, content TEXT NOT NULL, step TEXT NOT NULL,
  PRIMARY KEY (device, what)
);
"""


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Steps finish on worker threads: one connection shared under a lock keeps records in order.
            self._db = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a record written is a record kept, power cut or not
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise TargetError(f"{path}: the journal cannot be opened: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------------------------
    def begin(self, design: str, target: str, pid: int, host: str) -> int:
        cursor = self._db.execute(
            "INSERT INTO runs (started, design, target, pid, host) VALUES (?, ?, ?, ?, ?)",
            (time.time(), design, target, pid, host),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def end(self, run: int, outcome: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE runs SET ended = ?, outcome = ? WHERE id = ?", (time.time(), outcome, run)
            )

    def record(
        self,
        run: int,
        step: str,
        input_hash: str,
        state: StepState,
        *,
        seconds: float | None = None,
        detail: str = "",
        observed: dict[tuple[str, str], str] | None = None,
    ) -> None:
        """One record, and with a "done" the live state the step read back, in one transaction."""
        with self._lock, self._db:  # the record and what it observed land together or not at all
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO records (run, step, input, state, at, seconds, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run, step, input_hash, state, time.time(), seconds, detail),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO observed (device, what, content, step) VALUES (?, ?, ?, ?)",
                [
                    (device, what, content, step)
                    for (device, what), content in sorted((observed or {}).items())
                ],
            )

    # -- reading ------------------------------------------------------------------------------------------------
    def latest(self) -> dict[str, Record]:
        """The last record of every step ever journaled."""
        rows = self._db.execute(
            "SELECT step, input, state, at, seconds, detail FROM records "
            "WHERE id IN (SELECT MAX(id) FROM records GROUP BY step)"
        ).fetchall()
        return {row[0]: Record(*row) for row in rows}

    def observed(self) -> dict[tuple[str, str], str]:
        """(device, what) -> live state as the last step that read it back recorded it."""
        rows = self._db.execute("SELECT device, what, content FROM observed")
        return {(device, what): content for device, what, content in rows}

    def history(self, step: str) -> list[Record]:
        rows = self._db.execute(
            "SELECT step, input, state, at, seconds, detail FROM records WHERE step = ? ORDER BY id", (step,)
        ).fetchall()
        return [Record(*row) for row in rows]

    def check(self) -> str:
        """SQLite's own integrity check: 'ok' for a sound journal."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])
