"""Invocation log text in Lambda's format, and the per-function log files that keep it.

One invocation's log reads as in CloudWatch::

    <init output, on a cold start>
    START RequestId: <id> Version: $LATEST
    <the handler's output>
    END RequestId: <id>
    REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB
    <a platform line: "Task timed out ..." or "RequestId: <id> Error: Runtime exited ...">

The timeout line comes last, after REPORT, as in the classic CloudWatch streams.
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def timestamp(now: float | None = None) -> str:
    """``2025-03-04T10:20:31.402Z``"""
    now = time.time() if now is None else now
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def _line_block(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def invocation_log(
    request_id: str,
    version: str,
    output: str,
    duration_ms: float,
    memory_mb: int,
    max_memory_mb: int,
    *,
    init_output: str = "",
    init_duration_ms: float | None = None,
    trailer: str = "",
) -> str:
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms"
        f"\tBilled Duration: {max(1, math.ceil(duration_ms))} ms"
        f"\tMemory Size: {memory_mb} MB\tMax Memory Used: {max_memory_mb} MB"
    )
    if init_duration_ms is not None:
        report += f"\tInit Duration: {init_duration_ms:.2f} ms"
    return (
        f"{_line_block(init_output)}START RequestId: {request_id} Version: {version}\n"
        f"{_line_block(output)}END RequestId: {request_id}\n{report}\n{_line_block(trailer)}"
    )


def timeout_trailer(request_id: str, message: str) -> str:
    return f"{timestamp()} {request_id} {message}\n"


def exit_trailer(error_message: str, error_type: str) -> str:
    return f"{error_message}\n{error_type}\n"


class FunctionLogs:
    """Appends each invocation's log to ``<log_dir>/<function>.log`` (one file per function).

    Each invocation is one ``write`` on an O_APPEND descriptor, so concurrent workers of a
    function never interleave inside an invocation's block.
    """

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._fds: dict[str, int] = {}

    def path(self, function_name: str) -> Path:
        # Function names are [A-Za-z0-9_-]; anything else is replaced so no name leaves the dir.
        return self.log_dir / f"{_UNSAFE.sub('_', function_name) or '_'}.log"

    def append(self, function_name: str, text: str) -> None:
        try:
            fd = self._fds.get(function_name)
            if fd is None:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                fd = self._fds[function_name] = os.open(self.path(function_name), flags, 0o644)
            os.write(fd, text.encode("utf-8", "backslashreplace"))
        except OSError:
            # A full disk or a removed log directory must not fail invocations.
            self._forget(function_name)

    def _forget(self, function_name: str) -> None:
        fd = self._fds.pop(function_name, None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self) -> None:
        for name in list(self._fds):
            self._forget(name)
