"""Admission and placement rules of the pool, without processes."""

from __future__ import annotations

import asyncio
import time

import pytest

from tidal.runtime import slots as slots_module
from tidal.runtime.slots import PoolClosed, Slots


class FakeWorker:
    def __init__(self, key: str, started_at: float | None = None) -> None:
        self.key = key
        self.started_at = time.monotonic() if started_at is None else started_at
        self.idle_since = 0.0

    def __repr__(self) -> str:
        return f"FakeWorker({self.key})"


def run(coro):
    return asyncio.run(coro)


def test_permits_up_to_max_then_warm_reuse_then_queue():
    stopped: list[FakeWorker] = []

    async def body():
        slots = Slots(2, stopped.append)
        assert await slots.acquire("a") is None and await slots.acquire("a") is None
        assert slots.live == 2 and slots.free == 0
        w1, w2 = FakeWorker("a"), FakeWorker("a")
        waiter = asyncio.ensure_future(slots.acquire("a"))
        await asyncio.sleep(0)
        assert slots.queued == 1
        slots.release(w1)
        assert await waiter is w1  # handed straight over, no idle hop
        slots.release(w1)
        slots.release(w2)
        assert slots.idle == [w1, w2] and slots.free == 2
        assert await slots.acquire("a") is w2  # most recently used first
        return slots

    slots = run(body())
    assert slots.busy == 1 and stopped == []


def test_full_pool_evicts_least_recently_used_idle_worker_of_another_key():
    stopped: list[FakeWorker] = []

    async def body():
        slots = Slots(2, stopped.append)
        await slots.acquire("a")
        await slots.acquire("b")
        a, b = FakeWorker("a"), FakeWorker("b")
        slots.release(a)
        slots.release(b)
        assert await slots.acquire("c") is None
        return slots

    slots = run(body())
    assert [w.key for w in stopped] == ["a"] and slots.live == 2 and [w.key for w in slots.idle] == ["b"]


def test_released_worker_serves_its_own_queue_while_fair():
    stopped: list[FakeWorker] = []

    async def body():
        slots = Slots(4, stopped.append, quantum=60.0)
        workers = []
        for _ in range(4):
            assert await slots.acquire("a") is None
            workers.append(FakeWorker("a"))
        waiting = [asyncio.ensure_future(slots.acquire(k)) for k in ("b", "a", "b", "a", "a")]
        await asyncio.sleep(0)
        # a holds 4 and b 0: a gives one up; 3 against 1: another; b has no one left waiting: a keeps it.
        for w in workers[:3]:
            slots.release(w)
        await asyncio.sleep(0)
        return [t.result() if t.done() else "waiting" for t in waiting]

    grants = run(body())
    assert grants[0] is None and grants[2] is None  # b's two waiters got slots (to start workers)
    assert isinstance(grants[1], FakeWorker) and grants[1].key == "a"  # a's waiter got a warm worker
    assert grants[3] == "waiting" and grants[4] == "waiting"
    assert [w.key for w in stopped] == ["a", "a"]


class FakeClock:
    """Stands in for the ``time`` module in tidal.runtime.slots: time moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_a_monopolised_pool_is_shared_after_the_quantum(monkeypatch):
    stopped: list[FakeWorker] = []
    clock = FakeClock()
    monkeypatch.setattr(slots_module, "time", clock)

    async def body():
        slots = Slots(1, stopped.append, quantum=0.05)
        await slots.acquire("a")
        worker = FakeWorker("a", started_at=clock.now - 1)
        b = asyncio.ensure_future(slots.acquire("b"))
        a = asyncio.ensure_future(slots.acquire("a"))
        await asyncio.sleep(0)
        clock.now += 0.04
        slots.release(worker)  # b has not waited a quantum yet: a keeps its warm worker
        await asyncio.sleep(0)
        assert a.done() and a.result() is worker and not b.done()
        clock.now += 0.02
        slots.release(worker)  # now b has waited long enough
        await asyncio.sleep(0)
        return b

    b = run(body())
    assert b.done() and b.result() is None and stopped and stopped[0].key == "a"


def test_a_cancelled_waiter_gives_back_what_it_was_granted():
    async def body():
        slots = Slots(1, lambda w: None)
        await slots.acquire("a")
        worker = FakeWorker("a")
        waiter = asyncio.ensure_future(slots.acquire("a"))
        await asyncio.sleep(0)
        slots.release(worker)  # granted...
        waiter.cancel()  # ...but cancelled before it ran
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert slots.busy == 0 and slots.idle == [worker] and slots.queued == 0
        never = asyncio.ensure_future(slots.acquire("b"))
        await asyncio.sleep(0)
        assert never.done()  # evicted the idle worker of "a"
        slots.return_permit("b")
        return slots

    slots = run(body())
    assert slots.live == 0 and slots.busy == 0


def test_a_waiter_cancelled_before_its_task_runs_is_skipped():
    # Shutdown cancels every queued invocation at once; a slot freed in between must pass
    # over those still queued with cancelled futures instead of granting them (which raised
    # InvalidStateError inside the pool).
    async def body():
        stopped: list[FakeWorker] = []
        slots = Slots(1, stopped.append)
        await slots.acquire("a")
        worker = FakeWorker("a")
        gone = asyncio.ensure_future(slots.acquire("a"))
        alive = asyncio.ensure_future(slots.acquire("a"))
        await asyncio.sleep(0)
        assert slots.queued == 2
        gone.cancel()  # cancelled, but its task has not run its except-branch yet
        slots.release(worker)
        assert await alive is worker
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert slots.queued == 0 and slots.busy == 1
        slots.release(worker, reusable=False)  # the worker died: capacity freed, nobody queued
        assert slots.live == 0 and stopped == [worker]

    run(body())


def test_close_fails_waiters():
    async def body():
        slots = Slots(1, lambda w: None)
        await slots.acquire("a")
        waiter = asyncio.ensure_future(slots.acquire("a"))
        await asyncio.sleep(0)
        slots.close()
        with pytest.raises(PoolClosed):
            await waiter
        with pytest.raises(PoolClosed):
            await slots.acquire("a")

    run(body())
