"""The parent's handle on one worker process: starting it, talking to it, capturing its output, killing it.

A worker gets two private pipes (invocations in, results out) and a capture file as its
stdout and stderr. The capture is an anonymous in-memory file opened O_APPEND: after each
result the parent reads what the invocation printed and truncates it. Because the parent
owns it, the output of a worker that timed out or crashed is still there to read.
"""

from __future__ import annotations

import asyncio
import collections
import fcntl
import json
import os
import signal
import subprocess
import tempfile
import time
from typing import Any

import orjson

from tidal.runtime import frames
from tidal.runtime.spec import FunctionSpec

# An invocation that prints more than this keeps its first part in the log.
MAX_OUTPUT_BYTES = 8 << 20
_READ_CHUNK = 1 << 16
# How long a worker whose pipe closed may take to actually exit before it is killed.
_EXIT_GRACE = 2.0

try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    _PAGE_SIZE = 4096
CAN_WATCH_MEMORY = os.path.exists("/proc/self/statm")


class WorkerExited(Exception):
    """The worker's result pipe closed: the process exited, crashed or was killed."""


class TimeLimit(Exception):
    """No frame arrived within the time limit (the worker is still running)."""


def _open_capture() -> int:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("tidal-worker-output", os.MFD_CLOEXEC)
    else:  # pragma: no cover - non-Linux
        fd, path = tempfile.mkstemp(prefix="tidal-worker-", suffix=".out")
        os.unlink(path)
    # O_APPEND: after the parent truncates, the worker's next write lands at offset 0.
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    return fd


def _load_header(data: bytes) -> dict[str, Any]:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # The worker's json escapes lone surrogates (from an odd error message) as \udXXX,
        # which orjson rejects and the standard library accepts.
        return json.loads(data)


class _ResultReader(asyncio.Protocol):
    """Cuts the worker's result pipe into frames."""

    def __init__(self, worker: WorkerProcess) -> None:
        self._worker = worker
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        try:
            if not buffer:
                # The common case: exactly one whole frame in one read, parsed without copying.
                if len(data) >= frames.PREFIX_SIZE:
                    header_len, body_len = frames.PREFIX.unpack_from(data)
                    end = frames.PREFIX_SIZE + header_len + body_len
                    if len(data) == end:
                        frames.check_lengths(header_len, body_len)
                        split = frames.PREFIX_SIZE + header_len
                        self._worker._on_frame(_load_header(data[frames.PREFIX_SIZE : split]), data[split:])
                        return
            buffer += data
            while len(buffer) >= frames.PREFIX_SIZE:
                header_len, body_len = frames.PREFIX.unpack_from(buffer)
                frames.check_lengths(header_len, body_len)
                split = frames.PREFIX_SIZE + header_len
                end = split + body_len
                if len(buffer) < end:
                    return
                header = _load_header(bytes(buffer[frames.PREFIX_SIZE : split]))
                body = bytes(buffer[split:end])
                del buffer[:end]
                self._worker._on_frame(header, body)
        except (frames.FrameError, orjson.JSONDecodeError, ValueError):
            # Something other than our worker wrote into the pipe: the stream cannot be trusted.
            buffer.clear()
            self._worker.kill("protocol")
            self._worker._on_eof()

    def eof_received(self) -> bool:
        self._worker._on_eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._worker._on_eof()


class WorkerProcess:
    """One execution environment of one function revision."""

    def __init__(self, fn: FunctionSpec, generation: int, stream_name: str) -> None:
        self.fn = fn
        self.key = fn.revision_key
        self.generation = generation  # the function's retire() count when it was started
        self.stream_name = stream_name
        self.pid = 0
        self.started_at = time.monotonic()
        self.idle_since = 0.0
        self.max_memory_mb = 0
        self.kill_reason: str | None = None
        # Called when the worker exits while nobody waits on it (it died while idle).
        self.on_unexpected_exit: Any = None
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.ReadTransport | None = None
        self._writer: asyncio.WriteTransport | None = None
        self._capture = -1
        self._inbox: asyncio.Future[tuple[dict[str, Any], bytes]] | None = None
        self._early: collections.deque[tuple[dict[str, Any], bytes]] = collections.deque()
        self._eof = False

    @property
    def exited(self) -> bool:
        return self._eof

    # -- lifecycle ---------------------------------------------------------------------

    async def spawn(self, python: str, env: dict[str, str]) -> None:
        loop = asyncio.get_running_loop()
        self._capture = _open_capture()
        invoke_r, invoke_w = os.pipe()
        result_r, result_w = os.pipe()
        # The parent's ends, owned by file objects from here on (the transports take them over).
        result_file = os.fdopen(result_r, "rb", buffering=0)
        invoke_file = os.fdopen(invoke_w, "wb", buffering=0)
        child_ends = (invoke_r, result_w)
        try:
            try:
                self._proc = await asyncio.create_subprocess_exec(
                    python,
                    "-P",  # no cwd (the code directory) ahead of tidal's own imports
                    "-m",
                    "tidal.runtime.worker",
                    str(invoke_r),
                    str(result_w),
                    stdin=subprocess.DEVNULL,
                    stdout=self._capture,
                    stderr=self._capture,
                    cwd=str(self.fn.code_dir),
                    env=env,
                    pass_fds=child_ends,
                    # Its own process group: a terminal's Ctrl-C does not reach handlers, and
                    # a kill takes the handler's own child processes too.
                    start_new_session=True,
                )
            finally:
                for fd in child_ends:
                    os.close(fd)
            self.pid = self._proc.pid
            self._reader, _ = await loop.connect_read_pipe(lambda: _ResultReader(self), result_file)
            self._writer, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, invoke_file)
        except BaseException:
            if self._reader is None:
                result_file.close()
            if self._writer is None:
                invoke_file.close()
            if self._proc is not None:
                self.kill("start failed")
                self._eof = True
            else:
                self.close()
            raise

    def kill(self, reason: str) -> None:
        """SIGKILL the worker's process group; the first reason given is the one reported."""
        if self.kill_reason is None:
            self.kill_reason = reason
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                proc.kill()
            except ProcessLookupError:
                pass

    async def wait_exit(self) -> int | None:
        """The exit status (asyncio's: -N for signal N), killing a worker slow to go."""
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), _EXIT_GRACE)
            except TimeoutError:
                # Its pipe closed but it lives on (it closed our fd, or a thread holds it up).
                self.kill("hung")
                await proc.wait()
        return proc.returncode

    def close(self) -> None:
        """Releases the parent's ends of the pipes and the capture file."""
        for transport in (self._reader, self._writer):
            if transport is not None:
                transport.close()
        self._reader = self._writer = None
        if self._capture >= 0:
            os.close(self._capture)
            self._capture = -1

    # -- talking -----------------------------------------------------------------------

    def send(self, header: bytes, body: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            return  # it is gone; receive() reports that
        self._writer.write(frames.encode(header, body))

    async def receive(self, limit: float) -> tuple[dict[str, Any], bytes]:
        """The next frame; TimeLimit after ``limit`` seconds; WorkerExited if it is gone."""
        if self._early:
            return self._early.popleft()
        if self._eof:
            raise WorkerExited()
        loop = asyncio.get_running_loop()
        inbox = self._inbox = loop.create_future()
        timer = loop.call_later(limit, _expire, inbox)
        try:
            return await inbox
        finally:
            timer.cancel()
            self._inbox = None

    def _on_frame(self, header: dict[str, Any], body: bytes) -> None:
        inbox = self._inbox
        if inbox is not None and not inbox.done():
            inbox.set_result((header, body))
        else:
            self._early.append((header, body))

    def _on_eof(self) -> None:
        if self._eof:
            return
        self._eof = True
        inbox = self._inbox
        if inbox is not None:
            if not inbox.done():
                inbox.set_exception(WorkerExited())
        elif self.on_unexpected_exit is not None:
            self.on_unexpected_exit(self)

    # -- observing ---------------------------------------------------------------------

    def take_output(self) -> str:
        """What the worker wrote to stdout/stderr since the last call."""
        fd = self._capture
        if fd < 0:
            return ""
        try:
            data = os.pread(fd, _READ_CHUNK, 0)
            if not data:
                return ""
            if len(data) == _READ_CHUNK:
                size = os.fstat(fd).st_size
                data = os.pread(fd, min(size, MAX_OUTPUT_BYTES), 0)
                if size > MAX_OUTPUT_BYTES:
                    data += f"\n[tidal: {size - MAX_OUTPUT_BYTES} more bytes of output dropped]\n".encode()
            os.ftruncate(fd, 0)
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    def rss_mb(self) -> int:
        """Resident memory now, from /proc (0 where that is not available)."""
        try:
            with open(f"/proc/{self.pid}/statm", "rb") as f:
                resident_pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            return 0
        return resident_pages * _PAGE_SIZE // (1024 * 1024)


def _expire(inbox: asyncio.Future[Any]) -> None:
    if not inbox.done():
        inbox.set_exception(TimeLimit())
