"""Lambda's asynchronous invocation path: outbox rows of kind ``lambda.async`` to functions.

Used by S3 notifications and ``Invoke(InvocationType=Event)``. The rules are AWS's (spec §2):
at-least-once; a function error is retried ``MaximumRetryAttempts`` times (default 2), ~1 min
before the 2nd attempt and ~2 min before the 3rd (times the configured time scale); an
event waiting for capacity is never dropped before ``MaximumEventAgeInSeconds`` (default 6 h),
and such waits do not count as attempts. Throttling here is simply the pool being busy:
rows stay pending in the outbox until a worker is free.

A row is claimed in memory only; it is marked finished in the database after the function
returned. A crash in between redelivers it, which is the duplicate AWS also allows.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
from typing import Protocol

from tidal.runtime.pool import PoolClosed, WorkerPool
from tidal.runtime.spec import FunctionSpec
from tidal.storage.clock import Clock
from tidal.storage.database import Database
from tidal.storage.ids import IdSource
from tidal.storage.outbox import DONE, EXPIRED, FAILED, Outbox, OutboxRow

log = logging.getLogger("tidal.delivery")

KIND = "lambda.async"

# AWS waits ~1 minute before the second attempt and ~2 minutes before the third.
RETRY_DELAYS = (60.0, 120.0)
# Failures before the code ran (no such function, system error): back off from 1 s to 5 min.
SYSTEM_BACKOFF = (1.0, 300.0)
# Due rows read per query. A retry that falls due waits at most one batch behind a backlog.
_READ_BATCH = 256


class FunctionDirectory(Protocol):
    def function_spec(self, function_ref: str) -> FunctionSpec | None: ...

    def async_invoke_policy(self, function_ref: str) -> tuple[int, int]: ...


class AsyncInvokeDelivery:
    def __init__(
        self, db: Database, outbox: Outbox, clock: Clock, ids: IdSource,
        functions: FunctionDirectory, pool: WorkerPool,
    ) -> None:
        self._db = db
        self._clock = clock
        self._ids = ids
        self._outbox = outbox
        self._functions = functions
        self._pool = pool
        # Claim a little more than the pool runs so a worker never waits on our bookkeeping.
        self._limit = max(2, pool.max_workers * 2)
        self._inflight: set[int] = set()
        self._ready: collections.deque[OutboxRow] = collections.deque()  # due, not yet started
        self._system_failures: dict[int, int] = {}
        self._task: asyncio.Task | None = None
        self._deliveries: set[asyncio.Future] = set()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._wake_requested = False
        self._stats = {"delivered": 0, "retried": 0, "failed": 0, "expired": 0, "system_errors": 0}
        self._outbox.on_new_events(self._on_new_events)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop claiming events and abandon those in flight: still pending, they are
        delivered again after a restart (at-least-once, as after a crash)."""
        tasks = [t for t in (self._task, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stats(self) -> dict[str, int]:
        return {**self._stats, "in_flight": len(self._inflight)}

    # -- waking ------------------------------------------------------------------------

    def _on_new_events(self) -> None:
        # Called after each commit that added events: on the loop (the writer) as a rule,
        # from another thread only for write_sync callers, which need the thread-safe hop.
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._wake_now()
        elif not self._wake_requested:
            self._wake_requested = True
            try:
                loop.call_soon_threadsafe(self._wake_now)
            except RuntimeError:
                pass

    def _wake_now(self) -> None:
        self._wake_requested = False
        if self._wake is not None:
            self._wake.set()

    # -- the loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                timeout = self._dispatch()
            except Exception:  # noqa: BLE001 - the dispatcher must outlive any one bad row
                log.exception("async invoke dispatcher")
                timeout = 1.0
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
            self._wake.clear()

    def _dispatch(self) -> float | None:
        """Starts deliveries while fewer than the limit are in flight; returns how long to sleep
        at most (None: until woken). Due rows are read a batch at a time and kept in memory, so
        a backlog costs one query per batch, not two per delivery; a row leaves the in-flight
        set only once its outcome is committed, so a refill never reads one twice."""
        clock = self._clock
        while len(self._inflight) < self._limit:
            if not self._ready:
                now = clock.now()
                rows = self._outbox.due(KIND, now, _READ_BATCH + len(self._inflight))
                self._ready.extend(row for row in rows if row.id not in self._inflight)
                if not self._ready:
                    next_due = self._outbox.next_due_at_after(KIND, now)
                    return None if next_due is None else max(0.0, next_due - now)
            row = self._ready.popleft()
            self._inflight.add(row.id)
            task = asyncio.ensure_future(self._deliver(row))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        return None

    async def _deliver(self, row: OutboxRow) -> None:
        try:
            await self._attempt(row)
        except PoolClosed:
            pass  # tidal is stopping: the row stays pending and is delivered after a restart
        except Exception:  # noqa: BLE001
            log.exception("delivering outbox row %s", row.id)
            await self._system_retry(row, "internal error")
        finally:
            self._inflight.discard(row.id)
            if self._wake is not None:
                self._wake.set()

    async def _attempt(self, row: OutboxRow) -> None:
        clock = self._clock
        max_retries, max_age = self._functions.async_invoke_policy(row.target)
        if clock.now() - row.created_at > clock.scaled(max_age):
            await self._finish(row, EXPIRED, row.attempts, "EventAgeExceeded")
            self._stats["expired"] += 1
            return
        spec = self._functions.function_spec(row.target)
        if spec is None:
            # Lambda cannot run what does not exist: a failure before the code ran, retried
            # with back-off until the event's age runs out.
            await self._system_retry(row, f"Function not found: {row.target}")
            return
        result = await self._pool.invoke(spec, row.payload, self._ids.uuid4())
        attempts = row.attempts + 1
        self._system_failures.pop(row.id, None)
        if result.function_error is None:
            await self._finish(row, DONE, attempts, None)
            self._stats["delivered"] += 1
        elif attempts > max_retries:
            await self._finish(row, FAILED, attempts, result.payload.decode("utf-8", "replace")[:1000])
            self._stats["failed"] += 1
        else:
            delay = clock.scaled(RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1])
            error = result.payload.decode("utf-8", "replace")[:1000]
            await self._db.write(lambda tx: Outbox.retry_at(tx, row.id, clock.now() + delay, attempts, error))
            self._stats["retried"] += 1

    async def _finish(self, row: OutboxRow, state: str, attempts: int, error: str | None) -> None:
        now = self._clock.now()
        await self._db.write(lambda tx: Outbox.finish(tx, row.id, state, attempts, now, error))
        self._system_failures.pop(row.id, None)

    async def _system_retry(self, row: OutboxRow, error: str) -> None:
        clock = self._clock
        failures = self._system_failures.get(row.id, 0) + 1
        self._system_failures[row.id] = failures
        self._stats["system_errors"] += 1
        delay = clock.scaled(min(SYSTEM_BACKOFF[1], SYSTEM_BACKOFF[0] * 2 ** (failures - 1)))
        due = clock.now() + delay
        await self._db.write(lambda tx: Outbox.retry_at(tx, row.id, due, row.attempts, error))
