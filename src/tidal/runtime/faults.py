"""Errors Lambda's platform (not the Python runtime) reports: timeouts, exits, crashes, memory.

Their payloads are ``{"errorType", "errorMessage"}`` in that order, compact, as Lambda's
service writes them; the messages follow Lambda's own, which quotes Go's process-exit text
("exit status 1", "signal: segmentation fault").
"""

from __future__ import annotations

import signal

import orjson

TIMED_OUT = "Sandbox.Timedout"
EXIT_ERROR = "Runtime.ExitError"
OUT_OF_MEMORY = "Runtime.OutOfMemory"
UNKNOWN = "Runtime.Unknown"

# Go's names for the signals (syscall.Signal.String on Linux), as Lambda's messages show them.
_SIGNAL_NAMES = {
    signal.SIGHUP: "hangup",
    signal.SIGINT: "interrupt",
    signal.SIGQUIT: "quit",
    signal.SIGILL: "illegal instruction",
    signal.SIGTRAP: "trace/breakpoint trap",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGKILL: "killed",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGUSR2: "user defined signal 2",
    signal.SIGPIPE: "broken pipe",
    signal.SIGALRM: "alarm clock",
    signal.SIGTERM: "terminated",
}


def platform_error(error_type: str, message: str) -> bytes:
    return orjson.dumps({"errorType": error_type, "errorMessage": message})


def timeout_seconds_text(timeout: float) -> str:
    return f"Task timed out after {timeout:.2f} seconds"


def timed_out(request_id: str, timeout: float) -> bytes:
    return platform_error(TIMED_OUT, f"RequestId: {request_id} Error: {timeout_seconds_text(timeout)}")


def exit_reason(returncode: int | None) -> str:
    """Lambda's text for how the runtime process ended (asyncio's returncode: -N for signal N)."""
    if returncode is None or returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        number = -returncode
        try:
            name = _SIGNAL_NAMES.get(signal.Signals(number), f"signal {number}")
        except ValueError:
            name = f"signal {number}"
        return f"Runtime exited with error: signal: {name}"
    return f"Runtime exited with error: exit status {returncode}"


def exit_message(request_id: str, returncode: int | None) -> str:
    return f"RequestId: {request_id} Error: {exit_reason(returncode)}"


def exited(request_id: str, returncode: int | None) -> bytes:
    return platform_error(EXIT_ERROR, exit_message(request_id, returncode))


def out_of_memory(request_id: str) -> bytes:
    # Lambda stops the sandbox with SIGKILL when it reaches its memory size.
    return platform_error(OUT_OF_MEMORY, exit_message(request_id, -signal.SIGKILL))


def start_failed(request_id: str, reason: str) -> bytes:
    return platform_error(UNKNOWN, f"RequestId: {request_id} Error: could not start the runtime: {reason}")
