"""The SQLite database: one writer committing in groups, a reader connection per thread.

The writer is the event loop's thread. Write jobs submitted during one turn of the loop
are run together in one transaction at the end of that turn (group commit); each job runs
inside its own SAVEPOINT so a failing job rolls back only itself. A job's caller learns
its outcome only after the group's COMMIT, so a reply sent on that outcome never
acknowledges something a crash could lose.

Why not a writer thread of its own: measured on this 2-core machine, handing every write
to another thread and back cost ~40 µs of server CPU per request (futex wake-ups, the
loop's self-pipe, GIL hand-offs) — a quarter of the 150 µs budget for a whole PutObject —
and bought no parallelism, since both threads share the GIL. The one thing a thread would
keep off the loop, the bulk of the WAL checkpoint with its fsync, runs on a checkpointer
thread with its own connection; the writer finishes each checkpoint between two commits
(see ``_finish_checkpoint``), waiting for the checkpointer only when a finish is overdue.

WAL with synchronous=NORMAL: a commit survives the death of the process (kill -9), which
is tidal's durability promise; ``durable_fsync=True`` (synchronous=FULL) also survives
power loss, at the cost of an fsync per group.

One process owns the database. Its connections open it through SQLite's ``unix-excl`` VFS:
the process takes an exclusive lock on the file once, at open, and keeps the WAL index in
its own memory, so connections in the process coordinate without a system call, where the
default VFS spends six fcntl() calls on the -shm file per write transaction and two per
read (measured: a read-modify-write transaction 8.6 → 5.1 µs, a reader's SELECT 3.9 →
2.0 µs). Readers keep their own connections and snapshots as before. Another process
(a second ``tidal up`` on the same data dir) is refused at once with
:class:`DatabaseInUseError` instead of sharing the files.

Threads other than the loop's use :meth:`Database.write_sync`: with the loop running it
posts the job to the loop and waits; before there is a loop (tests, tools) it runs the
job at once on the caller's thread, under the writer lock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import apsw

T = TypeVar("T")

Done = Callable[[Any, "BaseException | None"], None]

# What every module that touches the database names a connection (apsw's).
Connection = apsw.Connection

# Every this many commits (a commit adds a few pages) the writer finishes a checkpoint,
# after waking the checkpointer half-way through to copy the bulk off the loop; the
# checkpointer also looks once a second. A WAL that was reset is cut back to
# _WAL_SIZE_LIMIT bytes, so a burst does not leave a huge file behind.
_COMMITS_PER_CHECKPOINT = 500
# A finish still not done this many commits after it was due waits for the checkpointer.
_FINISH_PATIENCE = 50
_CHECKPOINT_INTERVAL = 1.0
_WAL_SIZE_LIMIT = 16 * 1024 * 1024


class ClosedError(Exception):
    """A write arrived after :meth:`Database.close`."""


class DatabaseInUseError(Exception):
    """Another process has the database open (another tidal on the same data dir)."""


# Where the platform's SQLite has no unix-excl VFS (Windows), the default one.
_EXCLUSIVE_VFS = "unix-excl"
_BUSY_TIMEOUT_MS = 30_000


class WriteTx:
    """What a job sees: the writer connection, inside the job's savepoint."""

    __slots__ = ("conn", "_after_commit")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._after_commit: list[Callable[[], None]] = []

    def execute(self, sql: str, args: Iterable[Any] = ()) -> apsw.Cursor:
        return self.conn.execute(sql, args)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this job's changes are committed.

        In-memory caches mirror the database only through these, so a rolled-back job
        never leaves a cache ahead of the data.
        """
        self._after_commit.append(callback)


def _future_done(fut: asyncio.Future) -> Done:
    def done(result: Any, error: BaseException | None) -> None:
        if fut.cancelled():
            return
        if error is None:
            fut.set_result(result)
        else:
            fut.set_exception(error)

    return done


def _sync_done(fut: Future) -> Done:
    def done(result: Any, error: BaseException | None) -> None:
        if error is None:
            fut.set_result(result)
        else:
            fut.set_exception(error)

    return done


class Database:
    def __init__(self, path: Path, schema: Iterable[str] = (), *, durable_fsync: bool = False) -> None:
        self.path = Path(path)
        self._sync = "FULL" if durable_fsync else "NORMAL"
        self._local = threading.local()
        self._commit_listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()  # the writer lock: held while a group runs
        self._pending: list[tuple[Callable[[WriteTx], Any], Done]] = []
        self._flush_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._vfs = _EXCLUSIVE_VFS if _EXCLUSIVE_VFS in apsw.vfs_names() else None
        try:
            conn = self._connect(busy_timeout_ms=0)
            conn.execute("PRAGMA journal_mode=WAL")
        except apsw.BusyError:
            raise DatabaseInUseError(
                f"{self.path} is in use by another process (another tidal on this data dir?)"
            ) from None
        conn.set_busy_timeout(_BUSY_TIMEOUT_MS)
        # Checkpoints happen on the checkpointer thread, not inside a commit on the loop.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute(f"PRAGMA journal_size_limit={_WAL_SIZE_LIMIT}")
        for statement in schema:
            conn.execute(statement)
        self._writer_conn = conn
        self._open = True  # read on every write, and by the checkpointer thread
        self._checkpoint_wanted = threading.Event()
        self._commits = 0
        self._finish_due_at: int | None = None  # the commit count a finish became due at
        self._checkpointing = threading.Lock()  # held by whoever runs a checkpoint
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="tidal-checkpointer", daemon=True)
        self._checkpointer.start()

    def _connect(self, busy_timeout_ms: int = _BUSY_TIMEOUT_MS) -> Connection:
        # apsw, not the sqlite3 module: per statement it costs about a third less (measured:
        # a read-modify-write transaction 5.1 → 3.6 µs), and it never opens transactions
        # behind our back. A connection may move between threads but is used by one at a
        # time: the writer under its lock, each reader by its own thread.
        conn = Connection(str(self.path), vfs=self._vfs)
        conn.set_busy_timeout(busy_timeout_ms)
        conn.execute(f"PRAGMA synchronous={self._sync}")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA cache_size=-65536")
        return conn

    # -- reading ---------------------------------------------------------------------------

    def reader(self) -> Connection:
        """This thread's read connection: it sees every committed change."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
        return conn

    # -- writing ---------------------------------------------------------------------------

    def write(self, fn: Callable[[WriteTx], T]) -> asyncio.Future[T]:
        """Run ``fn`` as a write job (on the loop); the future resolves after COMMIT."""
        fut: asyncio.Future[T] = self._bind().create_future()
        self._enqueue(fn, _future_done(fut))
        return fut

    def submit(self, fn: Callable[[WriteTx], T], done: Done) -> None:
        """Like :meth:`write`, but calls ``done(result, error)`` after COMMIT, with no future."""
        if self._loop is None:
            self._bind()
        self._enqueue(fn, done)

    def write_sync(self, fn: Callable[[WriteTx], T]) -> T:
        """Blocking form of :meth:`write` for threads that are not the event loop's."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and loop.is_running():
            if threading.get_ident() == self._loop_thread:
                raise RuntimeError("write_sync on the event loop would deadlock; use write()")
            fut: Future[T] = Future()
            loop.call_soon_threadsafe(self._enqueue, fn, _sync_done(fut))
            return fut.result()
        fut = Future()
        self._run_group([(fn, _sync_done(fut))])
        return fut.result()

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every group commit."""
        self._commit_listeners.append(listener)

    def close(self) -> None:
        """Commit what is queued, then close. Writes submitted afterwards fail with ClosedError."""
        if self._pending:
            self._flush()
        self._open = False
        self._checkpoint_wanted.set()
        self._checkpointer.join(timeout=10)
        with self._lock:
            self._writer_conn.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()

    def _bind(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        return self._loop

    def _enqueue(self, fn: Callable[[WriteTx], Any], done: Done) -> None:
        if not self._open:
            done(None, ClosedError("the database is closed: tidal is stopping"))
            return
        self._pending.append((fn, done))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            # At the end of this turn of the loop: every write that arrived in the same
            # turn (many connections, many deliveries) shares one COMMIT.
            self._loop.call_soon(self._flush)  # type: ignore[union-attr]

    def _flush(self) -> None:
        self._flush_scheduled = False
        jobs, self._pending = self._pending, []
        if not jobs:
            return
        if not self._open:
            for _, done in jobs:
                done(None, ClosedError("the database is closed: tidal is stopping"))
            return
        self._run_group(jobs)

    def _run_group(self, jobs: list[tuple[Callable[[WriteTx], Any], Done]]) -> None:
        outcomes: list[tuple[Done, Any, BaseException | None]] = []
        callbacks: list[Callable[[], None]] = []
        # A lone job needs no savepoint: if it fails, the whole transaction is its own.
        alone = len(jobs) == 1
        with self._lock:
            conn = self._writer_conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                for fn, done in jobs:
                    tx = WriteTx(conn)
                    if not alone:
                        conn.execute("SAVEPOINT job")
                    try:
                        result = fn(tx)
                    except BaseException as exc:  # noqa: BLE001 - the job's caller gets it
                        conn.execute("ROLLBACK" if alone else "ROLLBACK TO job")
                        if not alone:
                            conn.execute("RELEASE job")
                        outcomes.append((done, None, exc))
                    else:
                        if not alone:
                            conn.execute("RELEASE job")
                        outcomes.append((done, result, None))
                        callbacks.extend(tx._after_commit)
                if conn.in_transaction:
                    conn.execute("COMMIT")
                    self._commits += 1
                    phase = self._commits % _COMMITS_PER_CHECKPOINT
                    if phase == _COMMITS_PER_CHECKPOINT // 2:
                        self._checkpoint_wanted.set()
                    elif phase == 0 and self._finish_due_at is None:
                        self._finish_due_at = self._commits
                    if self._finish_due_at is not None:
                        overdue = self._commits - self._finish_due_at >= _FINISH_PATIENCE
                        if self._finish_checkpoint(conn, overdue):
                            self._finish_due_at = None
            except BaseException as exc:  # noqa: BLE001 - a failed commit fails every job in it
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                outcomes = [(done, None, exc) for _, done in jobs]
                callbacks = []
        for callback in callbacks:
            callback()
        for listener in self._commit_listeners:
            listener()
        for done, result, error in outcomes:
            done(result, error)

    # -- checkpointing ---------------------------------------------------------------------

    def _finish_checkpoint(self, conn: Connection, wait: bool) -> bool:
        # Under a steady stream of writes a checkpoint on another connection never catches
        # up with the last frame, so the WAL is never restarted and grows without bound
        # (SQLite's "checkpoint starvation"). The checkpointer thread does the bulk of the
        # copying; here, between two commits, the writer finishes it: few frames are left,
        # and nothing can append meanwhile, so the next transaction restarts the WAL.
        # It fails while the checkpointer is mid-copy (busy) or a reader's snapshot still
        # needs old frames; then it is tried again after the next commit. While fsync is
        # slow (a loaded disk: seen in CI) the checkpointer can stay mid-copy for hundreds
        # of commits, so once overdue the writer waits for its copy to end: a stall of the
        # loop of at most one fsync, against a WAL that would grow without bound.
        if not self._checkpointing.acquire(blocking=wait):
            return False
        try:
            return self._passive_checkpoint(conn)
        finally:
            self._checkpointing.release()

    @staticmethod
    def _passive_checkpoint(conn: Connection) -> bool:
        """Copy what the WAL's readers allow into the database; True if that was everything."""
        try:
            busy, log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except apsw.Error:
            return False
        return busy == 0 and log == copied

    def _checkpoint_loop(self) -> None:
        conn = self._connect()
        try:
            while self._open:
                self._checkpoint_wanted.wait(_CHECKPOINT_INTERVAL)
                self._checkpoint_wanted.clear()
                with self._checkpointing:
                    self._passive_checkpoint(conn)  # all or not, the next round tries again
        finally:
            conn.close()
