"""The pool with real worker processes: warm reuse, the concurrency bound, retiring, evicting."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import orjson

from tidal.runtime.spec import LOG_TAIL_BYTES

COUNTER = """
    import os
    count = 0
    print("module imported")

    def handler(event, context):
        global count
        count += 1
        print("invocation", count)
        return {"count": count, "pid": os.getpid(), "event": event}
"""


def test_warm_worker_keeps_module_globals(make_fn, run_pool):
    fn = make_fn(COUNTER)

    async def body(pool):
        return [await pool.invoke(fn, b'{"n": %d}' % i, f"req-{i}") for i in range(3)]

    results = run_pool(body)
    payloads = [json.loads(r.payload) for r in results]
    assert [p["count"] for p in payloads] == [1, 2, 3]
    assert len({p["pid"] for p in payloads}) == 1
    assert payloads[2]["event"] == {"n": 2}
    assert [r.cold_start for r in results] == [True, False, False]
    assert all(r.function_error is None for r in results)
    # Import-time output and Init Duration belong to the cold start's log only.
    assert results[0].log.startswith("module imported\nSTART RequestId: req-0 Version: $LATEST\n")
    assert "\tInit Duration: " in results[0].log and results[0].init_duration_ms is not None
    assert "module imported" not in results[1].log and "Init Duration" not in results[1].log
    assert results[1].log.startswith(
        "START RequestId: req-1 Version: $LATEST\ninvocation 2\nEND RequestId: req-1\n"
    )
    report = results[1].log.splitlines()[-1]
    assert report.startswith("REPORT RequestId: req-1\tDuration: ")
    assert "\tMemory Size: 128 MB\tMax Memory Used: " in report


def test_result_payload_is_the_json_aws_returns(make_fn, run_pool):
    fn = make_fn(
        """
        from decimal import Decimal
        def handler(event, context):
            return {"price": Decimal("12"), "ratio": Decimal("0.5"), "name": "café"}
        """
    )
    result = run_pool(lambda pool: pool.invoke(fn, b"", "r"))
    # simplejson's separators and, on python3.12, unescaped non-ASCII; an empty payload is {}.
    assert result.payload == '{"price": 12, "ratio": 0.5, "name": "café"}'.encode()


def test_concurrency_never_exceeds_max_workers(make_fn, run_pool, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    fn = make_fn(
        f"""
        import os, time, uuid
        def handler(event, context):
            start = time.time()
            time.sleep(0.05)
            with open(os.path.join({str(marks)!r}, uuid.uuid4().hex), "w") as f:
                f.write(f"{{os.getpid()}} {{start}} {{time.time()}}")
            return {{}}
        """
    )
    seen_live: list[int] = []

    async def body(pool):
        async def one(i):
            result = await pool.invoke(fn, b"{}", f"r{i}")
            seen_live.append(pool.live_workers)
            return result

        return await asyncio.gather(*(one(i) for i in range(20)))

    results = run_pool(body, max_workers=2)
    assert all(r.function_error is None for r in results)
    spans = [tuple(map(float, p.read_text().split())) for p in marks.iterdir()]
    assert len(spans) == 20
    assert len({int(pid) for pid, _, _ in spans}) == 2
    events = sorted([(start, 1) for _, start, _ in spans] + [(end, -1) for _, _, end in spans])
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    assert peak == 2
    assert max(seen_live) <= 2
    assert sum(r.cold_start for r in results) == 2


def test_free_slots_and_wait_for_slot(make_fn, run_pool):
    fn = make_fn("import time\ndef handler(event, context):\n    time.sleep(0.1)\n")

    async def body(pool):
        assert pool.free_slots == 1
        task = asyncio.ensure_future(pool.invoke(fn, b"{}", "a"))
        await asyncio.sleep(0)
        assert pool.free_slots == 0
        queued = asyncio.ensure_future(pool.invoke(fn, b"{}", "b"))
        await asyncio.sleep(0)
        assert pool.queued == 1
        await pool.wait_for_slot()
        assert pool.free_slots == 1
        assert task.done() and queued.done()
        return task.result(), queued.result()

    first, second = run_pool(body, max_workers=1)
    assert first.function_error is None and second.function_error is None and not second.cold_start


def test_retire_makes_the_next_invoke_cold(make_fn, run_pool):
    fn = make_fn(COUNTER)

    async def body(pool):
        a = await pool.invoke(fn, b"{}", "a")
        b = await pool.invoke(fn, b"{}", "b")
        await pool.retire(fn.name)
        c = await pool.invoke(fn, b"{}", "c")
        return a, b, c

    a, b, c = run_pool(body)
    counts = [json.loads(r.payload)["count"] for r in (a, b, c)]
    assert counts == [1, 2, 1]
    assert c.cold_start and json.loads(c.payload)["pid"] != json.loads(b.payload)["pid"]


def test_new_revision_never_reuses_old_worker(make_fn, run_pool):
    old = make_fn(COUNTER)
    new = make_fn(COUNTER.replace("module imported", "module v2 imported"))

    async def body(pool):
        return [await pool.invoke(spec, b"{}", "r") for spec in (old, new, old)]

    results = run_pool(body)
    assert old.revision_key != new.revision_key
    assert [json.loads(r.payload)["count"] for r in results] == [1, 1, 2]


def test_full_pool_stops_an_idle_worker_of_another_function(make_fn, run_pool):
    one = make_fn(COUNTER, name="one")
    two = make_fn(COUNTER, name="two")

    async def body(pool):
        results = []
        for spec in (one, two, one, two):
            results.append(await pool.invoke(spec, b"{}", "r"))
            assert pool.live_workers == 1
        return results

    results = run_pool(body, max_workers=1)
    assert [r.cold_start for r in results] == [True, True, True, True]
    assert all(json.loads(r.payload)["count"] == 1 for r in results)


def test_two_busy_functions_share_the_pool_without_thrashing(make_fn, run_pool):
    one = make_fn(
        COUNTER.replace("count += 1", "count += 1\n        import time; time.sleep(0.01)"), name="one"
    )
    two = make_fn(
        COUNTER.replace("count += 1", "count += 1\n        import time; time.sleep(0.01)"), name="two"
    )

    async def body(pool):
        jobs = [pool.invoke(one if i % 2 else two, b"{}", f"r{i}") for i in range(40)]
        return await asyncio.gather(*jobs)

    results = run_pool(body, max_workers=2)
    assert all(r.function_error is None for r in results)
    # One worker per function, kept warm, instead of a cold start per invocation.
    assert sum(r.cold_start for r in results) <= 4


def test_idle_workers_are_stopped_after_idle_timeout(make_fn, run_pool):
    fn = make_fn(COUNTER)

    async def body(pool):
        await pool.invoke(fn, b"{}", "a")
        assert pool.live_workers == 1
        for _ in range(50):
            await asyncio.sleep(0.05)
            if pool.live_workers == 0:
                break
        return pool.live_workers, await pool.invoke(fn, b"{}", "b")

    live, after = run_pool(body, idle_timeout=0.2)
    assert live == 0
    assert after.cold_start and json.loads(after.payload)["count"] == 1


def test_cancelled_invoke_frees_its_worker(make_fn, run_pool):
    fn = make_fn(
        "import time\ndef handler(event, context):\n    time.sleep(event.get('sleep', 0))\n    return 1\n"
    )

    async def body(pool):
        task = asyncio.ensure_future(pool.invoke(fn, b'{"sleep": 30}', "slow"))
        await asyncio.sleep(0.3)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        assert pool.free_slots == 1
        return await pool.invoke(fn, b"{}", "next")

    result = run_pool(body, max_workers=1)
    assert result.payload == b"1"


def test_log_file_keeps_every_invocation_and_tail_is_last_4kb(make_fn, run_pool):
    fn = make_fn("def handler(event, context):\n    print('x' * 6000)\n    return None\n")

    async def body(pool):
        results = [await pool.invoke(fn, b"{}", f"req-{i}") for i in range(2)]
        return results, pool.log_path(fn.name)

    (first, second), path = run_pool(body)
    text = Path(path).read_text()
    assert text == first.log + second.log
    assert second.payload == b"null"
    tail = base64.b64decode(second.log_tail())
    assert len(tail) == LOG_TAIL_BYTES and second.log.encode().endswith(tail)


def test_big_payloads_cross_the_pipe_intact(make_fn, run_pool):
    fn = make_fn(
        "def handler(event, context):\n    return {'echo': event['data'], 'n': len(event['data'])}\n"
    )
    data = "é" * 2_000_000
    result = run_pool(lambda pool: pool.invoke(fn, orjson.dumps({"data": data}), "big"))
    assert json.loads(result.payload) == {"echo": data, "n": len(data)}
