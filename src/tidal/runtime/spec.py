"""What the runtime is told about a function, and what one invocation gives back."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# LogType=Tail returns the last 4 KB of the invocation's log.
LOG_TAIL_BYTES = 4096


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One function revision as the Lambda service resolved it for an invocation.

    Workers are keyed by ``revision_key``: a worker started for one revision (code, handler,
    runtime, memory, timeout, environment, ...) is never reused for another, as on AWS where a
    configuration or code update gets fresh execution environments.
    """

    name: str
    arn: str  # unqualified: arn:aws:lambda:<region>:<account>:function:<name>
    code_dir: Path  # the unpacked deployment package, already on disk
    code_sha256: str
    handler: str  # "pkg.module.func"
    runtime: str = "python3.12"  # every python3.x runs on tidal's own interpreter
    timeout: float = 3.0  # seconds
    memory_mb: int = 128
    environment: Mapping[str, str] = field(default_factory=dict, hash=False)
    version: str = "$LATEST"
    # The configuration's RevisionId, if the service tracks one; any change retires workers.
    revision_id: str = ""
    revision_key: str = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Computed once per spec so choosing a warm worker is one string comparison.
        parts = (
            self.name,
            self.arn,
            str(self.code_dir),
            self.code_sha256,
            self.handler,
            self.runtime,
            repr(float(self.timeout)),
            str(self.memory_mb),
            self.version,
            self.revision_id,
            *(f"{k}={v}" for k, v in sorted(self.environment.items())),
        )
        digest = hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=12)
        object.__setattr__(self, "revision_key", f"{self.name}:{digest.hexdigest()}")

    @property
    def region(self) -> str:
        """The region named in the ARN ("us-east-1" if the ARN is not a full one)."""
        parts = self.arn.split(":")
        return parts[3] if len(parts) > 3 and parts[3] else "us-east-1"

    @property
    def qualified_arn(self) -> str:
        return f"{self.arn}:{self.version}"


@dataclass(frozen=True, slots=True)
class InvokeResult:
    """The outcome of one invocation, in the shapes Lambda's Invoke returns.

    ``payload`` is the function's JSON result, or on failure the error object AWS returns
    (``{"errorMessage", "errorType", "requestId", "stackTrace"}`` from the Python runtime,
    ``{"errorType", "errorMessage"}`` for platform errors such as ``Sandbox.Timedout``).
    """

    payload: bytes
    function_error: str | None  # None or "Unhandled"
    log: str  # this invocation's log text: START ... END, REPORT
    duration_ms: float
    executed_version: str = "$LATEST"
    # Not on the wire, but what delivery and reports need without parsing the payload.
    error_type: str | None = None
    cold_start: bool = False
    init_duration_ms: float | None = None
    max_memory_used_mb: int = 0
    log_stream_name: str = ""

    def log_tail(self) -> str:
        """``X-Amz-Log-Result`` for LogType=Tail: the last 4 KB of the log, base64-encoded."""
        return base64.b64encode(self.log.encode("utf-8")[-LOG_TAIL_BYTES:]).decode("ascii")
