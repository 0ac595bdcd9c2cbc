"""Admission and placement: which invocation gets which worker, within ``max_workers`` processes.

The rules:
- At most ``max_workers`` worker processes exist (running, idle or starting), all functions
  together; a burst of invocations queues here, it never starts a process per invocation.
- An idle worker of the same function revision is reused (warm start), most recently used
  first, so the coldest workers are the ones that idle out.
- When every slot is taken and a different revision needs a worker, the least recently used
  idle worker is stopped to make room.
- Waiting invocations are served first-come first-served, except that a worker finishing an
  invocation keeps serving its own revision's queue (a warm start instead of a stop and a
  cold start) as long as that is fair: a revision holding two or more workers more than a
  waiting one gives one up, and one holding every worker gives one up after ``quantum``
  seconds to a revision that has waited that long. Two busy functions so share the pool
  instead of thrashing it with cold starts.

Everything here runs on the event loop thread; nothing blocks.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from typing import Protocol


class PoolClosed(Exception):
    """The pool was closed while this invocation waited or ran."""


class Placeable(Protocol):
    key: str  # the function revision a worker runs
    started_at: float  # monotonic
    idle_since: float


class _Waiter:
    __slots__ = ("key", "future", "since")

    def __init__(self, key: str, future: asyncio.Future, since: float) -> None:
        self.key = key
        self.future = future
        self.since = since


class Slots:
    def __init__(self, max_workers: int, stop: Callable[[Placeable], None], quantum: float = 1.0) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.quantum = quantum
        self._stop = stop  # ends a worker the slots no longer hold (idle eviction, conversion)
        self.live = 0  # worker processes alive or being started
        self.busy = 0  # of those, running an invocation or starting for one
        self._busy_by_key: dict[str, int] = {}
        self.idle: list[Placeable] = []  # least recently used first
        self._waiting: dict[str, collections.deque[_Waiter]] = {}
        self.queued = 0
        self._free_watchers: list[asyncio.Future] = []
        self.closed = False

    @property
    def free(self) -> int:
        """Invocations that would start now without queueing."""
        return self.max_workers - self.busy if not self.queued else 0

    # -- taking ------------------------------------------------------------------------

    async def acquire(self, key: str) -> Placeable | None:
        """A warm worker for ``key``, or None: permission to start one (its slot is reserved)."""
        if self.closed:
            raise PoolClosed()
        if not self.queued:
            idle = self.idle
            for i in range(len(idle) - 1, -1, -1):
                worker = idle[i]
                if worker.key == key:
                    del idle[i]
                    self._reserve(key)
                    return worker
            if self.live < self.max_workers:
                self.live += 1
                self._reserve(key)
                return None
            if idle:
                self._stop(idle.pop(0))  # its slot passes straight to this invocation
                self._reserve(key)
                return None
        waiter = _Waiter(key, asyncio.get_running_loop().create_future(), time.monotonic())
        self._waiting.setdefault(key, collections.deque()).append(waiter)
        self.queued += 1
        try:
            return await waiter.future
        except asyncio.CancelledError:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                granted = future.result()  # granted, but the invocation is gone: hand it on
                if granted is None:
                    self.return_permit(key)
                else:
                    self.release(granted)
            else:
                self._forget_waiter(waiter)
            raise

    async def wait_for_free(self) -> None:
        """Returns once an invocation could start without queueing."""
        while self.free <= 0:
            if self.closed:
                raise PoolClosed()
            future = asyncio.get_running_loop().create_future()
            self._free_watchers.append(future)
            await future

    # -- giving back -------------------------------------------------------------------

    def release(self, worker: Placeable, reusable: bool = True) -> None:
        """A busy worker finished its invocation: to a waiter, to the idle list, or stopped."""
        self._unreserve(worker.key)
        if not reusable or self.closed:
            self.live -= 1
            self._stop(worker)
            self._capacity_freed()
            return
        while self.queued:
            waiter = self._waiter_for(worker)
            if waiter.future.done():
                continue  # cancelled while it queued (its task has not run yet): skip it
            if waiter.key == worker.key:
                self._reserve(worker.key)
                waiter.future.set_result(worker)
                return
            self._stop(worker)  # its slot is converted to the other revision
            self._reserve(waiter.key)
            waiter.future.set_result(None)
            return
        worker.idle_since = time.monotonic()
        self.idle.append(worker)
        self._notify_free()

    def worker_gone(self, worker: Placeable) -> None:
        """A busy worker died or was killed (it is already on its way out)."""
        self._unreserve(worker.key)
        self.live -= 1
        self._capacity_freed()

    def return_permit(self, key: str) -> None:
        """A permit from acquire() was not used (the worker could not start)."""
        self._unreserve(key)
        self.live -= 1
        self._capacity_freed()

    def take_idle(self, doomed: Callable[[Placeable], bool]) -> list[Placeable]:
        """Removes the idle workers ``doomed`` picks; their slots are free again. Caller stops them."""
        taken = [w for w in self.idle if doomed(w)]
        if taken:
            self.idle = [w for w in self.idle if not doomed(w)]
            self.live -= len(taken)
            for _ in taken:
                self._capacity_freed()
        return taken

    def close(self) -> list[Placeable]:
        """Fails every waiter with PoolClosed and returns the idle workers (caller stops them)."""
        self.closed = True
        for queue in self._waiting.values():
            for waiter in queue:
                if not waiter.future.done():
                    waiter.future.set_exception(PoolClosed())
        self._waiting.clear()
        self.queued = 0
        idle, self.idle = self.idle, []
        self.live -= len(idle)
        self._notify_free()
        return idle

    # -- bookkeeping -------------------------------------------------------------------

    def _reserve(self, key: str) -> None:
        self.busy += 1
        self._busy_by_key[key] = self._busy_by_key.get(key, 0) + 1

    def _unreserve(self, key: str) -> None:
        self.busy -= 1
        left = self._busy_by_key[key] - 1
        if left:
            self._busy_by_key[key] = left
        else:
            del self._busy_by_key[key]

    def _capacity_freed(self) -> None:
        while self.queued and self.live < self.max_workers and not self.closed:
            waiter = self._pop_waiter(self._neediest_key())
            if waiter.future.done():
                continue  # cancelled while it queued (its task has not run yet): skip it
            self.live += 1
            self._reserve(waiter.key)
            waiter.future.set_result(None)
            return
        self._notify_free()

    def _notify_free(self) -> None:
        if self._free_watchers and (self.free > 0 or self.closed):
            watchers, self._free_watchers = self._free_watchers, []
            for future in watchers:
                if not future.done():
                    future.set_result(None)

    def _waiter_for(self, worker: Placeable) -> _Waiter:
        """Whom a worker that just finished serves next (see the module docstring)."""
        key = worker.key
        if key not in self._waiting:
            return self._pop_waiter(self._neediest_key())
        other = self._neediest_key(exclude=key)
        if other is not None:
            mine = self._busy_by_key.get(key, 0)
            theirs = self._busy_by_key.get(other, 0)
            now = time.monotonic()
            starving = (
                theirs == 0
                and now - self._waiting[other][0].since >= self.quantum
                and now - worker.started_at >= self.quantum
            )
            if theirs < mine or starving:
                return self._pop_waiter(other)
        return self._pop_waiter(key)

    def _neediest_key(self, exclude: str | None = None) -> str | None:
        """The waiting revision holding the fewest workers; the longest waiting among equals."""
        best: str | None = None
        best_rank: tuple[int, float] | None = None
        for key, queue in self._waiting.items():
            if key == exclude:
                continue
            rank = (self._busy_by_key.get(key, 0), queue[0].since)
            if best_rank is None or rank < best_rank:
                best, best_rank = key, rank
        return best

    def _pop_waiter(self, key: str | None) -> _Waiter:
        assert key is not None
        queue = self._waiting[key]
        waiter = queue.popleft()
        if not queue:
            del self._waiting[key]
        self.queued -= 1
        return waiter

    def _forget_waiter(self, waiter: _Waiter) -> None:
        queue = self._waiting.get(waiter.key)
        if queue is None:
            return
        try:
            queue.remove(waiter)
        except ValueError:
            return
        self.queued -= 1
        if not queue:
            del self._waiting[waiter.key]

