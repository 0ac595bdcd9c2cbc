"""The SQLite database: one writer thread committing in groups, a reader connection per thread.

Every change runs as a job on the writer thread. Jobs that arrive together share one
transaction (group commit); each job runs inside its own SAVEPOINT so a failing job rolls
back only itself. A job's caller learns its outcome only after the group's COMMIT, so a
reply sent on that outcome never acknowledges something a crash could lose.

WAL with synchronous=NORMAL: a commit survives the death of the process (kill -9), which
is tidal's durability promise; ``durable_fsync=True`` (synchronous=FULL) also survives
power loss, at the cost of an fsync per group.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_STOP = object()
_GROUP_LIMIT = 512


class WriteTx:
    """What a job sees: the writer connection, inside the job's savepoint."""

    __slots__ = ("conn", "_after_commit")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._after_commit: list[Callable[[], None]] = []

    def execute(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the writer thread once this job's changes are committed.

        In-memory caches mirror the database only through these, so a rolled-back job
        never leaves a cache ahead of the data.
        """
        self._after_commit.append(callback)


class _Job:
    __slots__ = ("fn", "future", "loop")

    def __init__(self, fn: Callable[[WriteTx], Any], future: Any, loop: asyncio.AbstractEventLoop | None):
        self.fn = fn
        self.future = future
        self.loop = loop


def _resolve_async(outcomes: list[tuple[Any, Any, BaseException | None]]) -> None:
    for target, result, error in outcomes:
        if callable(target):  # submit(): a plain callback, no future, no extra loop turn
            target(result, error)
        elif target.cancelled():
            continue
        elif error is None:
            target.set_result(result)
        else:
            target.set_exception(error)


class Database:
    def __init__(self, path: Path, schema: Iterable[str] = (), *, durable_fsync: bool = False) -> None:
        self.path = Path(path)
        self._sync = "FULL" if durable_fsync else "NORMAL"
        self._local = threading.local()
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._commit_listeners: list[Callable[[], None]] = []
        conn = self._connect()
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in schema:
            conn.executescript(statement)
        self._writer_conn = conn
        self._thread = threading.Thread(target=self._run, name="tidal-writer", daemon=True)
        self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute(f"PRAGMA synchronous={self._sync}")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA cache_size=-65536")
        return conn

    # -- reading ---------------------------------------------------------------------------

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection: it sees every committed change."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
        return conn

    # -- writing ---------------------------------------------------------------------------

    def write(self, fn: Callable[[WriteTx], T]) -> asyncio.Future[T]:
        """Run ``fn`` on the writer thread; the returned future resolves after COMMIT."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, fut, loop))
        return fut

    def submit(self, fn: Callable[[WriteTx], T], done: Callable[[T | None, BaseException | None], None]) -> None:
        """Like :meth:`write`, but calls ``done(result, error)`` on this event loop after COMMIT.

        The gateway's hot path uses this: a future plus its done-callback would cost an
        extra turn of the loop on every write request.
        """
        self._queue.put(_Job(fn, done, asyncio.get_running_loop()))

    def write_sync(self, fn: Callable[[WriteTx], T]) -> T:
        """Blocking form of :meth:`write` for threads that are not the event loop."""
        fut: Future[T] = Future()
        self._queue.put(_Job(fn, fut, None))
        return fut.result()

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the writer thread) after every group commit."""
        self._commit_listeners.append(listener)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=10)
        self._writer_conn.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()

    def _run(self) -> None:
        conn = self._writer_conn
        get = self._queue.get
        get_nowait = self._queue.get_nowait
        while True:
            first = get()
            if first is _STOP:
                return
            jobs: list[_Job] = [first]  # type: ignore[list-item]
            stop = False
            while len(jobs) < _GROUP_LIMIT:
                try:
                    job = get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                jobs.append(job)  # type: ignore[arg-type]
            self._run_group(conn, jobs)
            if stop:
                return

    def _run_group(self, conn: sqlite3.Connection, jobs: list[_Job]) -> None:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        callbacks: list[Callable[[], None]] = []
        # A lone job needs no savepoint: if it fails, the whole transaction is its own. That
        # saves two statements on every write when the server is not busy.
        alone = len(jobs) == 1
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in jobs:
                tx = WriteTx(conn)
                if not alone:
                    conn.execute("SAVEPOINT job")
                try:
                    result = job.fn(tx)
                except BaseException as exc:  # noqa: BLE001 - the job's caller gets it
                    conn.execute("ROLLBACK" if alone else "ROLLBACK TO job")
                    if not alone:
                        conn.execute("RELEASE job")
                    outcomes.append((job, None, exc))
                else:
                    if not alone:
                        conn.execute("RELEASE job")
                    outcomes.append((job, result, None))
                    callbacks.extend(tx._after_commit)
            if conn.in_transaction:
                conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - a failed commit fails every job in it
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(job, None, exc) for job in jobs]
            callbacks = []
        for callback in callbacks:
            callback()
        for listener in self._commit_listeners:
            listener()
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for job, result, error in outcomes:
            if job.loop is None:
                if error is None:
                    job.future.set_result(result)
                else:
                    job.future.set_exception(error)
            else:
                by_loop.setdefault(job.loop, []).append((job.future, result, error))
        for loop, batch in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve_async, batch)
            except RuntimeError:  # the loop closed while we worked: nobody is waiting
                pass
