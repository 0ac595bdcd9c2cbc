"""The worker process: one execution environment running one function's Python handler.

Started by the pool as ``python -P -m tidal.runtime.worker <in-fd> <out-fd>`` with Lambda's
environment, cwd = the code directory and stdout/stderr on the pool's capture file. It imports
the handler module once (the cold start), reports ``ready``, then serves invocations one at
a time until its input pipe closes. The parent protocol runs on two private pipe fds, so
whatever the handler prints cannot corrupt it.

Behaviour follows the AWS Python runtime (awslambdaric ``bootstrap.py``): the same fault types
and messages, error objects, stack-trace format, log line format and JSON encoding.

Only the standard library is imported here before the handler: the code directory comes
first on ``sys.path`` and may vendor its own copies of third-party packages.
"""

from __future__ import annotations

import decimal
import importlib
import io
import json
import logging
import os
import sys
import time
import traceback
from typing import Any

from tidal.runtime import frames
from tidal.runtime.context import LambdaContext

try:
    import resource
except ImportError:  # pragma: no cover - not on Unix
    resource = None  # type: ignore[assignment]

# The Python runtime indents the traceback lines of its [ERROR] log entries with NO-BREAK SPACE.
_LOG_INDENT = "\u00a0"
_THIS_FILE = __file__

_request_id = ""  # for the log formatter's %(aws_request_id)s


class Fault(Exception):
    """A runtime fault (not the handler's own exception), with AWS's errorType."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


# -- the parent channel -------------------------------------------------------------------


class Channel:
    def __init__(self, in_fd: int, out_fd: int) -> None:
        self._in = io.open(in_fd, "rb", buffering=1 << 16)  # noqa: UP020 - io.open takes an fd
        self._out = out_fd

    def read(self) -> tuple[dict[str, Any], bytes] | None:
        """The next frame, or None when the parent closed the pipe (time to exit)."""
        prefix = self._in.read(frames.PREFIX_SIZE)
        if len(prefix) < frames.PREFIX_SIZE:
            return None
        header_len, body_len = frames.PREFIX.unpack(prefix)
        frames.check_lengths(header_len, body_len)
        header_bytes = self._in.read(header_len)
        body = self._in.read(body_len) if body_len else b""
        if len(header_bytes) < header_len or len(body) < body_len:
            return None
        return json.loads(header_bytes), body

    def write(self, header: dict[str, Any], body: bytes = b"") -> None:
        data = frames.encode(json.dumps(header, separators=(",", ":")).encode(), body)
        view = memoryview(data)
        while view:
            view = view[os.write(self._out, view) :]


# -- process setup -----------------------------------------------------------------------


def _tie_to_parent() -> None:
    """Die with tidal (Linux), and be the first choice of the kernel's OOM killer.

    A handler stuck in a loop must not outlive a killed tidal, and a handler eating the
    machine's memory must cost its own worker, never the server.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    try:
        import ctypes
        import signal

        parent = os.getppid()
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _unbuffered(fd: int) -> io.TextIOWrapper:
    # Like the AWS runtime's Unbuffered streams: every write reaches the log at once, so the
    # output is complete when the result is sent and stdout/stderr interleave in time order.
    return io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors="backslashreplace", write_through=True
    )


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _request_id
        return True


class _LambdaLogHandler(logging.Handler):
    """The handler the Python runtime puts on the root logger: AWS's text format, to stdout."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never fail the invocation
            self.handleError(record)


def _setup_output() -> None:
    sys.stdout = sys.__stdout__ = _unbuffered(1)
    sys.stderr = sys.__stderr__ = _unbuffered(2)
    logging.Formatter.converter = time.gmtime
    handler = _LambdaLogHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


# -- loading the handler -----------------------------------------------------------------


def load_handler(handler: str) -> Any:
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {e}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict", f"Cannot use built-in module {module_name} as a handler module"
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}") from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise Fault(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}", trace
        ) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        ) from None


# -- errors ------------------------------------------------------------------------------


def make_error(
    message: str, error_type: str, stack_trace: list[str] | None, request_id: str = ""
) -> dict[str, Any]:
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id,
        "stackTrace": stack_trace or [],
    }


def error_from_exception(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    frames_ = traceback.extract_tb(exc.__traceback__)
    # Drop the runtime's own frames, as awslambdaric drops bootstrap.py's.
    start = 0
    while start < len(frames_) and frames_[start].filename == _THIS_FILE:
        start += 1
    trace = traceback.format_list(frames_[start:])
    return make_error(str(exc), type(exc).__name__, trace, request_id)


def log_error(error: dict[str, Any]) -> None:
    """The runtime's ``[ERROR] <type>: <message>`` entry with the traceback, as CloudWatch shows it."""
    description = "[ERROR]"
    if error["errorType"]:
        description += " " + error["errorType"]
    if error["errorMessage"]:
        description += (":" if error["errorType"] else "") + " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for element in error["stackTrace"]:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(_LOG_INDENT * (len(line) - len(stripped)) + stripped)
    _write_log("\n".join(lines) + "\n")


def _write_log(text: str) -> None:
    _flush_stdio()
    data = text.encode("utf-8", "backslashreplace")
    try:
        while data:
            data = data[os.write(1, data) :]
    except OSError:  # the handler closed or broke fd 1: the log entry is lost, not the result
        pass


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a handler may have replaced or closed them
            pass


def _exit_now(code: object) -> None:
    """Leave at once, as the process would; non-daemon threads must not keep it alive."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code & 0xFF
    else:
        print(code, file=sys.stderr)
        status = 1
    _flush_stdio()
    os._exit(status)


# -- marshalling -------------------------------------------------------------------------


class _Encoder(json.JSONEncoder):
    # awslambdaric encodes Decimal as a number (simplejson's use_decimal). Here it goes through
    # int/float: exact for integers and for up to 17 significant digits.
    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            if o.is_finite() and o == o.to_integral_value():
                return int(o)
            return float(o)
        return super().default(o)


def _make_encoder() -> json.JSONEncoder:
    # The python3.12+ runtimes emit non-ASCII characters as they are; older ones escape them.
    execution_env = os.environ.get("AWS_EXECUTION_ENV", "")
    version = execution_env.rpartition("python")[2]
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
        ensure_ascii = (major, minor) < (3, 12)
    except ValueError:
        ensure_ascii = False
    return _Encoder(ensure_ascii=ensure_ascii)


def _unmarshal(body: bytes) -> Any:
    # An Invoke without a payload reaches the handler as an empty JSON object.
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except Exception as e:  # noqa: BLE001
        raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}") from None


def _parse_header_json(value: str | None, name: str) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except Exception as e:  # noqa: BLE001
        raise Fault("Runtime.LambdaContextUnmarshalError", f"Unable to parse {name} JSON: {e}") from None


def _max_rss_mb() -> int:
    if resource is None:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    per_mb = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return -(-peak // per_mb)


# -- the loop ----------------------------------------------------------------------------


def invoke(
    handler: Any, encoder: json.JSONEncoder, header: dict[str, Any], body: bytes
) -> tuple[bool, bytes]:
    """Runs one invocation: (succeeded, result JSON or error JSON)."""
    request_id = header["id"]
    try:
        context = LambdaContext(
            request_id,
            header["deadline_ms"],
            header["arn"],
            _parse_header_json(header.get("cc"), "Client Context"),
            header.get("ci"),
        )
        response = handler(_unmarshal(body), context)
        if isinstance(response, bytes):
            return True, response
        try:
            return True, encoder.encode(response).encode("utf-8", "surrogatepass")
        except Exception as e:  # noqa: BLE001
            raise Fault("Runtime.MarshalError", f"Unable to marshal response: {e}") from None
    except Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, request_id)
    except SystemExit as e:
        _exit_now(e.code)
        raise  # not reached
    except Exception as e:  # noqa: BLE001 - the handler's exception is the invocation's result
        error = error_from_exception(e, request_id)
    log_error(error)
    return False, encoder.encode(error).encode("utf-8", "surrogatepass")


def serve(channel: Channel) -> None:
    global _request_id
    started = time.perf_counter()
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    sys.path.insert(0, task_root)
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except SystemExit as e:
        _exit_now(e.code)
    except Exception as e:  # noqa: BLE001 - any init failure is reported, then the worker exits
        if isinstance(e, Fault):
            error = make_error(e.message, e.error_type, e.trace)
        else:
            error = error_from_exception(e)
        log_error(error)
        channel.write({"t": "init_error", "error": error})
        _exit_now(1)
    encoder = _make_encoder()
    channel.write({"t": "ready", "init_ms": (time.perf_counter() - started) * 1000, "rss": _max_rss_mb()})

    environ = os.environ
    while True:
        frame = channel.read()
        if frame is None:
            _exit_now(0)
        header, body = frame
        _request_id = header["id"]
        trace = header.get("trace")
        if trace:
            environ["_X_AMZN_TRACE_ID"] = trace
        else:
            environ.pop("_X_AMZN_TRACE_ID", None)
        t0 = time.perf_counter()
        ok, result = invoke(handler, encoder, header, body)
        elapsed_ms = (time.perf_counter() - t0) * 1000
        _flush_stdio()
        channel.write({"t": "ok" if ok else "error", "ms": elapsed_ms, "rss": _max_rss_mb()}, result)


def main(argv: list[str]) -> None:
    in_fd, out_fd = int(argv[1]), int(argv[2])
    # Handlers' own child processes must not hold our protocol pipes.
    os.set_inheritable(in_fd, False)
    os.set_inheritable(out_fd, False)
    _tie_to_parent()
    _setup_output()
    try:
        serve(Channel(in_fd, out_fd))
    except BaseException:  # noqa: BLE001 - KeyboardInterrupt and the like end the environment
        traceback.print_exc()
        _exit_now(1)


if __name__ == "__main__":
    main(sys.argv)
