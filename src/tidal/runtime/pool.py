"""The worker pool: runs invocations on worker processes, warm when it can, never more than max_workers.

``invoke()`` always returns an InvokeResult for anything a handler does (return, raise, hang,
exit, crash, eat memory): a handler can cost its own worker, never the pool. A dead worker
is simply replaced by the next invocation's cold start.

Time limits, as on AWS:
- the init phase (importing the handler module) may take ``init_time_limit`` (10 s); an init
  running longer continues against the function's timeout, like Lambda's "suppressed init";
- the handler gets ``fn.timeout`` seconds, then its worker is killed (``Sandbox.Timedout``).

Memory: while invocations run, each busy worker's resident memory is read from /proc every
``memory_poll_interval`` seconds; a worker above its ``memory_mb`` is killed and the invocation
fails with ``Runtime.OutOfMemory``. A burst faster than the poll can overshoot briefly; the
kernel's OOM killer is pointed at workers first (worker.py), never at tidal.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from tidal.runtime import faults
from tidal.runtime.environment import log_stream_name, worker_environment
from tidal.runtime.logs import FunctionLogs, exit_trailer, invocation_log, timeout_trailer
from tidal.runtime.process import CAN_WATCH_MEMORY, TimeLimit, WorkerExited, WorkerProcess
from tidal.runtime.slots import PoolClosed, Slots
from tidal.runtime.spec import FunctionSpec, InvokeResult
from tidal.storage.ids import IdSource

__all__ = ["PoolClosed", "WorkerPool"]

INIT_TIME_LIMIT = 10.0  # Lambda's init phase limit for on-demand functions
IDLE_TIMEOUT = 300.0
MEMORY_POLL_INTERVAL = 0.1


class WorkerPool:
    def __init__(
        self,
        max_workers: int,
        base_env: Mapping[str, str],
        log_dir: Path | str,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        init_time_limit: float = INIT_TIME_LIMIT,
        memory_poll_interval: float | None = MEMORY_POLL_INTERVAL,
        ids: IdSource | None = None,
        python: str = sys.executable,
    ) -> None:
        self._slots = Slots(max_workers, self._stop)
        self._base_env = dict(base_env)
        self._logs = FunctionLogs(Path(log_dir))
        self._idle_timeout = idle_timeout
        self._init_time_limit = init_time_limit
        self._memory_poll = memory_poll_interval if CAN_WATCH_MEMORY else None
        self._ids = ids or IdSource()
        self._python = python
        self._generation: dict[str, int] = {}  # retire() count per function name
        self._running: set[WorkerProcess] = set()  # started workers with an invocation in hand
        self._exits: set[asyncio.Task] = set()  # stopped workers being reaped
        self._reaper: asyncio.TimerHandle | None = None
        self._memory_timer: asyncio.TimerHandle | None = None
        self.stats = {"invocations": 0, "cold_starts": 0, "errors": 0, "timeouts": 0, "crashes": 0, "oom": 0}

    # -- what a dispatcher looks at ----------------------------------------------------

    @property
    def max_workers(self) -> int:
        return self._slots.max_workers

    @property
    def free_slots(self) -> int:
        """How many invocations would start right now without queueing."""
        return self._slots.free

    @property
    def queued(self) -> int:
        return self._slots.queued

    @property
    def live_workers(self) -> int:
        return self._slots.live

    async def wait_for_slot(self) -> None:
        """Returns once ``free_slots`` > 0 (raises PoolClosed if the pool closes first)."""
        await self._slots.wait_for_free()

    def log_path(self, function_name: str) -> Path:
        """The file that keeps every invocation log of a function."""
        return self._logs.path(function_name)

    # -- invoking ----------------------------------------------------------------------

    async def invoke(
        self,
        fn: FunctionSpec,
        payload: bytes,
        request_id: str,
        *,
        invoked_arn: str | None = None,
        client_context: str | None = None,
        cognito_identity: dict[str, Any] | None = None,
        trace_id: str | None = None,
    ) -> InvokeResult:
        """Runs one invocation. Raises only PoolClosed (and CancelledError if cancelled)."""
        generation = self._generation.get(fn.name, 0)
        self.stats["invocations"] += 1
        worker = await self._slots.acquire(fn.revision_key)
        init_output = ""
        init_ms: float | None = None
        budget = fn.timeout
        cold = worker is None
        if worker is None:
            started = await self._cold_start(fn, generation, request_id)
            if isinstance(started, InvokeResult):
                return started
            worker, init_output, init_ms, budget = started
        else:
            self._running.add(worker)  # type: ignore[arg-type]
        assert isinstance(worker, WorkerProcess)
        header = orjson.dumps(
            {
                "t": "invoke",
                "id": request_id,
                "deadline_ms": int((time.time() + budget) * 1000),
                "arn": invoked_arn or fn.arn,
                "cc": client_context,
                "ci": cognito_identity,
                "trace": trace_id,
            }
        )
        self._watch_memory()
        started_at = time.perf_counter()
        try:
            worker.send(header, payload)
            reply, body = await worker.receive(budget)
        except TimeLimit:
            worker.kill("timeout")
            return await self._after_death(worker, fn, request_id, started_at, init_output, init_ms, cold)
        except WorkerExited:
            return await self._after_death(worker, fn, request_id, started_at, init_output, init_ms, cold)
        except BaseException:
            # Cancelled mid-invocation: the worker is in an unknown state and cannot be reused.
            worker.kill("cancelled")
            self._running.discard(worker)
            self._slots.worker_gone(worker)
            self._reap_later(worker)
            raise
        succeeded = reply.get("t") == "ok"
        duration_ms = float(reply.get("ms", 0.0))
        worker.max_memory_mb = int(reply.get("rss", 0))
        log = self._record_log(fn, worker, request_id, duration_ms, init_output, init_ms)
        self._running.discard(worker)
        current = worker.generation == self._generation.get(fn.name, 0)
        self._slots.release(worker, reusable=current and not worker.exited)
        if self._slots.idle:
            self._arm_reaper()
        error_type = None
        if not succeeded:
            self.stats["errors"] += 1
            error_type = _error_type(body)
        return InvokeResult(
            payload=body,
            function_error=None if succeeded else "Unhandled",
            log=log,
            duration_ms=duration_ms,
            executed_version=fn.version,
            error_type=error_type,
            cold_start=cold,
            init_duration_ms=init_ms,
            max_memory_used_mb=worker.max_memory_mb,
            log_stream_name=worker.stream_name,
        )

    async def _cold_start(
        self, fn: FunctionSpec, generation: int, request_id: str
    ) -> tuple[WorkerProcess, str, float, float] | InvokeResult:
        """Starts a worker on a reserved slot and waits for its init: (worker, init output,
        init ms, time left for the handler), or the failed invocation's result."""
        stream = log_stream_name(fn.version, self._ids.hex(32))
        worker = WorkerProcess(fn, generation, stream)
        worker.on_unexpected_exit = self._idle_worker_exited
        self.stats["cold_starts"] += 1
        started_at = time.perf_counter()
        try:
            await worker.spawn(self._python, worker_environment(fn, self._base_env, stream))
        except Exception as e:  # noqa: BLE001 - a missing code dir and the like fail this invocation only
            self._slots.return_permit(fn.revision_key)
            self._reap_later(worker)
            payload = faults.start_failed(request_id, str(e))
            return self._failed(fn, worker, request_id, payload, faults.UNKNOWN, started_at, cold=True)
        except BaseException:
            self._slots.return_permit(fn.revision_key)
            self._reap_later(worker)
            raise
        self._running.add(worker)
        if self._slots.closed:
            worker.kill("closed")  # close() ran while it started; _after_death raises PoolClosed
        self._watch_memory()
        budget = fn.timeout
        try:
            try:
                reply, _ = await worker.receive(self._init_time_limit)
            except TimeLimit:
                # Lambda's suppressed init: the init goes on, counted against the function timeout.
                suppressed_at = time.perf_counter()
                reply, _ = await worker.receive(fn.timeout)
                budget = max(0.0, fn.timeout - (time.perf_counter() - suppressed_at))
        except TimeLimit:
            worker.kill("timeout")
            return await self._after_death(worker, fn, request_id, started_at, "", None, True)
        except WorkerExited:
            return await self._after_death(worker, fn, request_id, started_at, "", None, True)
        except BaseException:
            worker.kill("cancelled")
            self._running.discard(worker)
            self._slots.worker_gone(worker)
            self._reap_later(worker)
            raise
        init_output = worker.take_output()
        if reply.get("t") == "init_error":
            # The runtime reported the init failure and exits; the invocation returns the error.
            error = dict(reply.get("error") or {})
            error["requestId"] = request_id
            self._running.discard(worker)
            self._slots.worker_gone(worker)
            await self._wait_exit(worker)
            payload = json.dumps(error, ensure_ascii=False).encode("utf-8", "surrogatepass")
            self.stats["errors"] += 1
            result = self._failed(
                fn, worker, request_id, payload, str(error.get("errorType", "")), started_at,
                init_output=init_output + worker.take_output(), cold=True,
            )  # fmt: skip
            worker.close()
            return result
        worker.max_memory_mb = int(reply.get("rss", 0))
        return worker, init_output, float(reply.get("init_ms", 0.0)), budget

    async def _after_death(
        self,
        worker: WorkerProcess,
        fn: FunctionSpec,
        request_id: str,
        started_at: float,
        init_output: str,
        init_ms: float | None,
        cold: bool,
    ) -> InvokeResult:
        """The result of an invocation whose worker timed out, crashed, exited or was killed."""
        # The slot is free at once; the process is already dying (killed, or its pipe closed).
        self._running.discard(worker)
        self._slots.worker_gone(worker)
        returncode = await self._wait_exit(worker)
        reason = worker.kill_reason
        if reason == "closed":
            worker.close()
            raise PoolClosed()
        trailer = ""
        if reason == "timeout":
            self.stats["timeouts"] += 1
            payload = faults.timed_out(request_id, fn.timeout)
            error_type = faults.TIMED_OUT
            trailer = timeout_trailer(request_id, faults.timeout_seconds_text(fn.timeout))
        elif reason == "oom":
            self.stats["oom"] += 1
            payload = faults.out_of_memory(request_id)
            error_type = faults.OUT_OF_MEMORY
            worker.max_memory_mb = fn.memory_mb
            trailer = exit_trailer(faults.exit_message(request_id, -9), error_type)
        else:
            self.stats["crashes"] += 1
            payload = faults.exited(request_id, returncode)
            error_type = faults.EXIT_ERROR
            trailer = exit_trailer(faults.exit_message(request_id, returncode), error_type)
        result = self._failed(
            fn, worker, request_id, payload, error_type, started_at,
            init_output=init_output, init_ms=init_ms, trailer=trailer, cold=cold,
        )  # fmt: skip
        worker.close()
        return result

    def _record_log(
        self,
        fn: FunctionSpec,
        worker: WorkerProcess,
        request_id: str,
        duration_ms: float,
        init_output: str,
        init_ms: float | None,
        trailer: str = "",
    ) -> str:
        """The invocation's log (START … REPORT), appended to the function's log file."""
        log = invocation_log(
            request_id, fn.version, worker.take_output(), duration_ms, fn.memory_mb, worker.max_memory_mb,
            init_output=init_output, init_duration_ms=init_ms, trailer=trailer,
        )
        self._logs.append(fn.name, log)
        return log

    def _failed(
        self,
        fn: FunctionSpec,
        worker: WorkerProcess,
        request_id: str,
        payload: bytes,
        error_type: str,
        started_at: float,
        *,
        init_output: str = "",
        init_ms: float | None = None,
        trailer: str = "",
        cold: bool = False,
    ) -> InvokeResult:
        duration_ms = (time.perf_counter() - started_at) * 1000
        log = self._record_log(fn, worker, request_id, duration_ms, init_output, init_ms, trailer)
        return InvokeResult(
            payload=payload,
            function_error="Unhandled",
            log=log,
            duration_ms=duration_ms,
            executed_version=fn.version,
            error_type=error_type,
            cold_start=cold,
            init_duration_ms=init_ms,
            max_memory_used_mb=worker.max_memory_mb,
            log_stream_name=worker.stream_name,
        )

    # -- retiring and stopping ---------------------------------------------------------

    async def retire(self, function_name: str) -> None:
        """Stops the function's idle workers now and its busy ones after their invocation.

        For UpdateFunctionCode/UpdateFunctionConfiguration and DeleteFunction: no invocation
        that starts after this returns runs on a worker started before it.
        """
        self._generation[function_name] = self._generation.get(function_name, 0) + 1
        for worker in self._slots.take_idle(lambda w: w.fn.name == function_name):  # type: ignore[attr-defined]
            self._stop(worker)
        await self._drain_exits()

    async def close(self) -> None:
        """Stops every worker. Waiting and running invocations raise PoolClosed."""
        for timer in (self._reaper, self._memory_timer):
            if timer is not None:
                timer.cancel()
        self._reaper = self._memory_timer = None
        for worker in self._slots.close():
            self._stop(worker)
        for worker in list(self._running):
            worker.kill("closed")
        await asyncio.gather(*(w.wait_exit() for w in list(self._running)), return_exceptions=True)
        await self._drain_exits()
        self._logs.close()

    def _stop(self, worker: Any) -> None:
        worker.kill("stopped")
        self._reap_later(worker)

    def _reap_later(self, worker: WorkerProcess) -> None:
        task = asyncio.get_running_loop().create_task(self._reap(worker))
        self._exits.add(task)
        task.add_done_callback(self._exits.discard)

    async def _wait_exit(self, worker: WorkerProcess) -> int | None:
        try:
            return await worker.wait_exit()
        except BaseException:
            self._reap_later(worker)  # cancelled: someone still has to collect it
            raise

    @staticmethod
    async def _reap(worker: WorkerProcess) -> None:
        try:
            await worker.wait_exit()
        finally:
            worker.close()

    async def _drain_exits(self) -> None:
        if self._exits:
            await asyncio.gather(*list(self._exits), return_exceptions=True)

    def _idle_worker_exited(self, worker: WorkerProcess) -> None:
        # It died between invocations (a background thread called os._exit, a stray signal):
        # take it out of the idle list so no invocation is sent to a dead worker.
        for gone in self._slots.take_idle(lambda w: w is worker):
            self._reap_later(gone)  # type: ignore[arg-type]

    # -- timers ------------------------------------------------------------------------

    def _arm_reaper(self) -> None:
        if self._reaper is None and not self._slots.closed:
            interval = max(0.05, min(self._idle_timeout / 4, 30.0))
            self._reaper = asyncio.get_running_loop().call_later(interval, self._reap_idle)

    def _reap_idle(self) -> None:
        self._reaper = None
        deadline = time.monotonic() - self._idle_timeout
        for worker in self._slots.take_idle(lambda w: w.idle_since <= deadline):
            self._stop(worker)
        if self._slots.idle:
            self._arm_reaper()

    def _watch_memory(self) -> None:
        if self._memory_poll and self._memory_timer is None and not self._slots.closed:
            self._memory_timer = asyncio.get_running_loop().call_later(self._memory_poll, self._check_memory)

    def _check_memory(self) -> None:
        self._memory_timer = None
        for worker in self._running:
            if worker.kill_reason is None and worker.rss_mb() > worker.fn.memory_mb:
                worker.kill("oom")
        if self._running:
            self._watch_memory()


def _error_type(error_payload: bytes) -> str | None:
    try:
        value = orjson.loads(error_payload)
    except orjson.JSONDecodeError:
        return None
    return value.get("errorType") if isinstance(value, dict) else None
