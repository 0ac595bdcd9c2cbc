"""Checking a function's settings (CreateFunction, UpdateFunctionConfiguration) as Lambda does.

Constraint failures the API front door catches (lengths, ranges, patterns) are collected into
one ``ValidationException`` naming them all; the semantic ones (runtime, environment) are
``InvalidParameterValueException`` with AWS's wording.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from tidal.runtime.environment import RESERVED
from tidal.services.lambda_.errors import ValidationErrors, invalid_parameter

# Every python3.x runs on tidal's own interpreter (see tidal.runtime), so tidal accepts the
# Python runtimes AWS still accepts plus the newest. python3.8 is past AWS's end of support
# but still accepted here: old templates keep working locally.
SUPPORTED_RUNTIMES = (
    "python3.14",
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
    "python3.9",
    "python3.8",
)
# Runtimes AWS itself no longer lets a function be created or updated with.
BLOCKED_RUNTIMES = frozenset(
    {
        "python2.7",
        "python3.6",
        "python3.7",
        "nodejs",
        "nodejs4.3",
        "nodejs4.3-edge",
        "nodejs6.10",
        "nodejs8.10",
        "nodejs10.x",
        "nodejs12.x",
        "nodejs14.x",
        "dotnetcore1.0",
        "dotnetcore2.0",
        "dotnetcore2.1",
        "dotnetcore3.1",
        "java8",
        "go1.x",
        "ruby2.5",
        "ruby2.7",
        "provided",
    }
)

DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY_SIZE = 128
DEFAULT_EPHEMERAL_STORAGE = 512
MAX_TIMEOUT = 900
MIN_MEMORY_SIZE, MAX_MEMORY_SIZE = 128, 10_240
MIN_EPHEMERAL_STORAGE, MAX_EPHEMERAL_STORAGE = 512, 10_240
MAX_ENVIRONMENT_BYTES = 4096

ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
HANDLER_PATTERN = r"[^\s]+"
ENVIRONMENT_KEY_PATTERN = r"[a-zA-Z]([a-zA-Z0-9_])+"
ARCHITECTURES = ("x86_64", "arm64")

_ROLE = re.compile(ROLE_PATTERN)
_HANDLER = re.compile(HANDLER_PATTERN)
_ENVIRONMENT_KEY = re.compile(ENVIRONMENT_KEY_PATTERN)

# Set by Lambda itself; AWS refuses functions that try to set them (Lambda developer guide,
# "Defined runtime environment variables"). The runtime keeps the list: it sets them.
RESERVED_ENVIRONMENT_KEYS = RESERVED

_LOG_FORMATS = ("Text", "JSON")
_APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
_TRACING_MODES = ("Active", "PassThrough")


def check_runtime(runtime: object) -> str:
    if isinstance(runtime, str) and runtime in SUPPORTED_RUNTIMES:
        return runtime
    if isinstance(runtime, str) and runtime in BLOCKED_RUNTIMES:
        raise invalid_parameter(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS"
            " Lambda functions. We recommend you use a supported runtime while creating or updating"
            " functions."
        )
    # AWS lists the runtimes it accepts; tidal lists the ones it can run, so a nodejs or java
    # function gets AWS's error shape naming what would work here.
    accepted = ", ".join(SUPPORTED_RUNTIMES)
    raise invalid_parameter(
        f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value"
        f" set: [{accepted}] or be a valid ARN"
    )


def check_settings(params: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The settings ``params`` sets, checked and normalized, keyed by FunctionRecord field."""
    errors = ValidationErrors()
    settings: dict[str, Any] = {}

    if "Role" in params or creating:
        role = params.get("Role")
        if not isinstance(role, str) or not _ROLE.fullmatch(role):
            errors.add(role, "role", f"Member must satisfy regular expression pattern: {ROLE_PATTERN}")
        settings["role"] = role
    if params.get("Handler") is not None:
        handler = params["Handler"]
        if not isinstance(handler, str) or not _HANDLER.fullmatch(handler):
            errors.add(
                handler, "handler", f"Member must satisfy regular expression pattern: {HANDLER_PATTERN}"
            )
        elif len(handler) > 128:
            errors.add(handler, "handler", "Member must have length less than or equal to 128")
        settings["handler"] = handler
    if params.get("Description") is not None:
        description = params["Description"]
        if not isinstance(description, str) or len(description) > 256:
            errors.add(description, "description", "Member must have length less than or equal to 256")
        settings["description"] = description
    if params.get("Timeout") is not None:
        settings["timeout"] = _int_in_range(errors, params["Timeout"], "timeout", 1, MAX_TIMEOUT)
    if params.get("MemorySize") is not None:
        settings["memory_size"] = _int_in_range(
            errors, params["MemorySize"], "memorySize", MIN_MEMORY_SIZE, MAX_MEMORY_SIZE
        )
    if params.get("EphemeralStorage") is not None:
        size = (params["EphemeralStorage"] or {}).get("Size")
        settings["ephemeral_storage"] = _int_in_range(
            errors, size, "ephemeralStorage.size", MIN_EPHEMERAL_STORAGE, MAX_EPHEMERAL_STORAGE
        )
    if params.get("TracingConfig") is not None:
        mode = (params["TracingConfig"] or {}).get("Mode", "PassThrough")
        if mode not in _TRACING_MODES:
            errors.add(
                mode, "tracingConfig.mode", "Member must satisfy enum value set: [Active, PassThrough]"
            )
        settings["tracing_mode"] = mode
    if creating and params.get("Architectures") is not None:
        settings["architectures"] = check_architectures(errors, params["Architectures"])
    if params.get("KMSKeyArn") is not None:
        settings["kms_key_arn"] = params["KMSKeyArn"] or None
    if params.get("DeadLetterConfig") is not None:
        settings["dead_letter_target_arn"] = (params["DeadLetterConfig"] or {}).get("TargetArn") or None
    if params.get("LoggingConfig") is not None:
        settings["logging_config"] = _check_logging_config(errors, params["LoggingConfig"])
    errors.raise_if_any()

    # Semantic checks, after the front door's: AWS reports those first.
    if params.get("Runtime") is not None or (creating and params.get("PackageType", "Zip") == "Zip"):
        if creating and (not params.get("Runtime") or not params.get("Handler")):
            raise invalid_parameter(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages."
            )
        settings["runtime"] = check_runtime(params.get("Runtime"))
    if params.get("Environment") is not None:
        settings["environment"] = check_environment((params["Environment"] or {}).get("Variables"))
    if params.get("Layers"):
        raise invalid_parameter(
            "tidal does not support Lambda layers yet: put the layer's packages into the function's zip."
        )
    return settings


def check_architectures(errors: ValidationErrors, architectures: object) -> list[str]:
    values = list(architectures) if isinstance(architectures, (list, tuple)) else [architectures]
    shown = "[" + ", ".join(str(v) for v in values) + "]"
    if len(values) != 1:
        errors.add(shown, "architectures", "Member must have length less than or equal to 1")
    elif values[0] not in ARCHITECTURES:
        errors.add(
            shown,
            "architectures",
            "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64],"
            " Member must not be null]",
        )
    # tidal runs every function on the host's own architecture; the setting is reported back.
    return [str(v) for v in values]


def check_environment(variables: object) -> dict[str, str]:
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise invalid_parameter("Environment.Variables must be a map of strings.")
    bad_keys = [k for k in variables if not isinstance(k, str) or not _ENVIRONMENT_KEY.fullmatch(k)]
    if bad_keys:
        # The values are sensitive, so AWS does not echo them in this message.
        errors = ValidationErrors()
        errors.messages.append(
            "Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy"
            f" constraint: [Member must satisfy regular expression pattern: {ENVIRONMENT_KEY_PATTERN}]"
        )
        errors.raise_if_any()
    reserved = sorted(k for k in variables if k in RESERVED_ENVIRONMENT_KEYS)
    if reserved:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment variables"
            " you have provided contains reserved keys that are currently not supported for modification."
            f" Reserved keys used in this request: {', '.join(reserved)}"
        )
    normalized = {k: v if isinstance(v, str) else str(v) for k, v in variables.items()}
    measured = orjson.dumps(normalized).decode()
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment variables"
            f" you have provided exceeded the 4KB limit. String measured: {measured}"
        )
    return normalized


def default_logging_config(name: str) -> dict[str, str]:
    return {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}


def _check_logging_config(errors: ValidationErrors, config: object) -> dict[str, str]:
    config = dict(config) if isinstance(config, dict) else {}
    log_format = config.get("LogFormat", "Text")
    if log_format not in _LOG_FORMATS:
        errors.add(log_format, "loggingConfig.logFormat", "Member must satisfy enum value set: [JSON, Text]")
    for key, member, allowed in (
        ("ApplicationLogLevel", "loggingConfig.applicationLogLevel", _APPLICATION_LOG_LEVELS),
        ("SystemLogLevel", "loggingConfig.systemLogLevel", _SYSTEM_LOG_LEVELS),
    ):
        if key in config and config[key] not in allowed:
            errors.add(config[key], member, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    normalized = {"LogFormat": log_format}
    if log_format == "JSON":
        # Switching to JSON sets both levels to INFO unless given (recorded AWS behaviour).
        normalized["ApplicationLogLevel"] = config.get("ApplicationLogLevel", "INFO")
        normalized["SystemLogLevel"] = config.get("SystemLogLevel", "INFO")
    if config.get("LogGroup"):
        normalized["LogGroup"] = config["LogGroup"]
    return normalized


def _int_in_range(errors: ValidationErrors, value: object, member: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors.add(value, member, f"Member must have value greater than or equal to {low}")
            return low
    if value < low:
        errors.add(value, member, f"Member must have value greater than or equal to {low}")
    elif value > high:
        errors.add(value, member, f"Member must have value less than or equal to {high}")
    return value
