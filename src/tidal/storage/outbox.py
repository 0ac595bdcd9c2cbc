"""The transactional outbox: events written in the same transaction as the change that caused them.

A row is an event waiting for delivery (``kind`` says which deliverer owns it, ``target``
where it goes). Rows move from ``pending`` to ``done``, ``failed`` or ``expired``; they are
kept afterwards as the delivery record. Nothing in flight is persisted: after a crash every
``pending`` row is delivered again, which is the at-least-once promise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tidal.latency_sketch import LatencySketch
from tidal.storage.database import Connection, Database, WriteTx

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL,
    due_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    finished_at REAL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(due_at) WHERE state = 'pending';
"""

PENDING = "pending"
DONE = "done"
FAILED = "failed"
EXPIRED = "expired"


@dataclass(slots=True)
class OutboxRow:
    id: int
    kind: str
    target: str
    payload: bytes
    created_at: float
    due_at: float
    attempts: int


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._emitted = False
        self._listeners: list[Callable[[], None]] = []
        db.on_commit(self._after_group_commit)

    def on_new_events(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the writer thread) after a commit that added events."""
        self._listeners.append(listener)

    def emit(self, tx: WriteTx, kind: str, target: str, payload: bytes, now: float) -> int:
        tx.conn.execute(
            "INSERT INTO outbox (kind, target, payload, created_at, due_at) VALUES (?, ?, ?, ?, ?)",
            (kind, target, payload, now, now),
        )
        self._emitted = True
        return tx.conn.last_insert_rowid()

    def _after_group_commit(self) -> None:
        if self._emitted:
            self._emitted = False
            for listener in self._listeners:
                listener()

    def due(self, kind: str, now: float, limit: int, conn: Connection | None = None) -> list[OutboxRow]:
        conn = conn or self._db.reader()
        rows = conn.execute(
            "SELECT id, kind, target, payload, created_at, due_at, attempts FROM outbox"
            " WHERE state = 'pending' AND due_at <= ? AND kind = ? ORDER BY due_at, id LIMIT ?",
            (now, kind, limit),
        ).fetchall()
        return [OutboxRow(*row) for row in rows]

    def next_due_at_after(self, kind: str, now: float, conn: Connection | None = None) -> float | None:
        """When the earliest pending event that is not yet due becomes due (retries wait)."""
        conn = conn or self._db.reader()
        row = conn.execute(
            "SELECT MIN(due_at) FROM outbox WHERE state = 'pending' AND due_at > ? AND kind = ?", (now, kind)
        ).fetchone()
        return row[0]

    @staticmethod
    def finish(tx: WriteTx, row_id: int, state: str, attempts: int, now: float, error: str | None = None) -> None:
        tx.conn.execute(
            "UPDATE outbox SET state = ?, attempts = ?, finished_at = ?, last_error = ? WHERE id = ?",
            (state, attempts, now, error, row_id),
        )

    @staticmethod
    def retry_at(tx: WriteTx, row_id: int, due_at: float, attempts: int, error: str | None) -> None:
        tx.conn.execute(
            "UPDATE outbox SET due_at = ?, attempts = ?, last_error = ? WHERE id = ?",
            (due_at, attempts, error, row_id),
        )

    def delivery_summary(self, since: float, conn: Connection | None = None) -> dict[str, float | int | None]:
        """Events created since ``since``: how many finished how, and created→finished latency
        (percentiles from a sketch streamed over the rows: bounded memory at any count)."""
        conn = conn or self._db.reader()
        states = dict(conn.execute(
            "SELECT state, COUNT(*) FROM outbox WHERE created_at >= ? GROUP BY state", (since,)
        ).fetchall())
        sketch = LatencySketch()
        last = None
        for latency, finished_at in conn.execute(
            "SELECT finished_at - created_at, finished_at FROM outbox WHERE created_at >= ? AND state = 'done'",
            (since,),
        ):
            sketch.add(latency)
            if last is None or finished_at > last:
                last = finished_at
        p50, p99 = sketch.quantile(0.50), sketch.quantile(0.99)
        return {
            "done": states.get(DONE, 0), "pending": states.get(PENDING, 0),
            "failed": states.get(FAILED, 0), "expired": states.get(EXPIRED, 0),
            "p50_ms": None if p50 is None else p50 * 1000, "p99_ms": None if p99 is None else p99 * 1000,
            "last_finished_at": last,
        }
