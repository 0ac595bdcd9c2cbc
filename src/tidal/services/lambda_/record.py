"""A function as tidal stores it, and as Lambda's FunctionConfiguration shows it."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from tidal.services.lambda_.configuration import (
    DEFAULT_EPHEMERAL_STORAGE,
    DEFAULT_MEMORY_SIZE,
    DEFAULT_TIMEOUT,
    default_logging_config,
)
from tidal.services.lambda_.names import LATEST, function_arn

# Fields a ListFunctions item leaves out (recorded AWS responses).
_NOT_IN_LISTS = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
    "RuntimeVersionConfig",
)


def lambda_timestamp(epoch_seconds: float) -> str:
    """Lambda's LastModified: ``2025-03-04T10:11:12.345+0000`` (UTC, milliseconds)."""
    millis = int(epoch_seconds * 1000)
    seconds, ms = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ms:03d}+0000"


@dataclass(slots=True)
class FunctionRecord:
    """Everything tidal knows about one function ($LATEST: tidal publishes no versions)."""

    region: str
    account: str
    name: str
    runtime: str
    role: str
    handler: str
    code_sha256_hex: str
    code_sha256: str  # base64, as CodeSha256
    code_size: int
    last_modified: str
    revision_id: str  # RevisionId: changes on every change to the function or its policy
    # Changes only with code or configuration: what a worker was started from. A policy
    # change must not throw away warm workers.
    runtime_revision: str
    description: str = ""
    timeout: int = DEFAULT_TIMEOUT
    memory_size: int = DEFAULT_MEMORY_SIZE
    environment: dict[str, str] | None = None
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    ephemeral_storage: int = DEFAULT_EPHEMERAL_STORAGE
    tracing_mode: str = "PassThrough"
    logging_config: dict[str, str] = field(default_factory=dict)
    dead_letter_target_arn: str | None = None
    kms_key_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account, self.name)

    def to_json(self) -> bytes:
        return orjson.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> FunctionRecord:
        values = orjson.loads(data)
        known = {f.name for f in dataclasses.fields(cls)}
        # Fields added by later tidal versions are dropped, missing ones take their defaults.
        return cls(**{k: v for k, v in values.items() if k in known})

    def updated(self, **changes: Any) -> FunctionRecord:
        return dataclasses.replace(self, **changes)

    # -- what the API shows --------------------------------------------------------------

    def configuration(self, *, qualified: bool = False) -> dict[str, Any]:
        """FunctionConfiguration as GetFunctionConfiguration / CreateFunction return it."""
        config: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": function_arn(self.region, self.account, self.name, LATEST if qualified else None),
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": self.last_modified,
            "CodeSha256": self.code_sha256,
            "Version": LATEST,
        }
        if self.environment is not None:
            config["Environment"] = {"Variables": dict(self.environment)}
        if self.dead_letter_target_arn:
            config["DeadLetterConfig"] = {"TargetArn": self.dead_letter_target_arn}
        if self.kms_key_arn:
            config["KMSKeyArn"] = self.kms_key_arn
        config.update(
            {
                "TracingConfig": {"Mode": self.tracing_mode},
                "RevisionId": self.revision_id,
                # tidal unpacks the code before it answers, so a function is ready at once:
                # Active rather than AWS's brief Pending, and every update already Successful.
                # Waiters (function_active_v2, function_updated_v2) pass on the first poll.
                "State": "Active",
                "LastUpdateStatus": "Successful",
                "PackageType": "Zip",
                "Architectures": list(self.architectures),
                "EphemeralStorage": {"Size": self.ephemeral_storage},
                "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
                "RuntimeVersionConfig": {"RuntimeVersionArn": runtime_version_arn(self.region, self.runtime)},
                "LoggingConfig": self.logging_config or default_logging_config(self.name),
            }
        )
        return config

    def list_item(self) -> dict[str, Any]:
        item = self.configuration()
        for key in _NOT_IN_LISTS:
            item.pop(key, None)
        return item


def runtime_version_arn(region: str, runtime: str) -> str:
    # AWS names the runtime build by a sha256; tidal's "build" of a runtime is stable per name.
    digest = hashlib.sha256(f"tidal:{runtime}".encode()).hexdigest()
    return f"arn:aws:lambda:{region}::runtime:{digest}"
