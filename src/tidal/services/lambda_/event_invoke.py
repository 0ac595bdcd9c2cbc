"""Asynchronous invocation settings: Put/Get/Update/DeleteFunctionEventInvokeConfig.

``MaximumRetryAttempts`` (0-2, default 2) and ``MaximumEventAgeInSeconds`` (60-21600,
default 21600) steer tidal's async-invoke delivery; ``DestinationConfig`` is stored and
returned (delivery to destinations is delivery's business). ``Put`` replaces the whole
configuration, ``Update`` changes only what it names (spec §2.2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tidal.services.lambda_.errors import ValidationErrors, invalid_parameter

DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 21_600

_SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
# Services a destination may be (an S3 bucket only for failures).
_SUCCESS_SERVICES = frozenset({"sqs", "sns", "lambda", "events"})
_FAILURE_SERVICES = _SUCCESS_SERVICES | {"s3"}


def check_event_invoke_settings(params: dict[str, Any], function_name: str) -> dict[str, Any]:
    """The settings ``params`` gives, checked; at least one must be given."""
    if all(params.get(key) is None for key in _SETTINGS):
        raise invalid_parameter("You must specify at least one of error handling or destination setting.")
    errors = ValidationErrors()
    settings: dict[str, Any] = {}
    retries = params.get("MaximumRetryAttempts")
    if retries is not None:
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            errors.add(retries, "maximumRetryAttempts", "Member must have value greater than or equal to 0")
        elif retries > 2:
            errors.add(retries, "maximumRetryAttempts", "Member must have value less than or equal to 2")
        settings["MaximumRetryAttempts"] = retries
    age = params.get("MaximumEventAgeInSeconds")
    if age is not None:
        if not isinstance(age, int) or isinstance(age, bool) or age < 60:
            errors.add(age, "maximumEventAgeInSeconds", "Member must have value greater than or equal to 60")
        elif age > 21_600:
            errors.add(age, "maximumEventAgeInSeconds", "Member must have value less than or equal to 21600")
        settings["MaximumEventAgeInSeconds"] = age
    errors.raise_if_any()
    destinations = params.get("DestinationConfig")
    if destinations is not None:
        settings["DestinationConfig"] = _check_destinations(destinations, function_name)
    return settings


def _check_destinations(config: object, function_name: str) -> dict[str, Any]:
    config = config if isinstance(config, dict) else {}
    on_success = ((config.get("OnSuccess") or {}).get("Destination")) or None
    on_failure = ((config.get("OnFailure") or {}).get("Destination")) or None
    valid = _destination_ok(on_success, _SUCCESS_SERVICES, function_name) and _destination_ok(
        on_failure, _FAILURE_SERVICES, function_name
    )
    if not valid:
        success = f"OnSuccess(destination={on_success})" if on_success else "null"
        failure = f"OnFailure(destination={on_failure})" if on_failure else "null"
        raise invalid_parameter(
            f"The provided destination config DestinationConfig(onSuccess={success}, onFailure={failure}) is invalid."
        )
    normalized: dict[str, Any] = {"OnSuccess": {}, "OnFailure": {}}
    if on_success:
        normalized["OnSuccess"] = {"Destination": on_success}
    if on_failure:
        normalized["OnFailure"] = {"Destination": on_failure}
    return normalized


def _destination_ok(arn: str | None, services: frozenset[str], function_name: str) -> bool:
    if arn is None:
        return True
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in services:
        return False
    if parts[2] == "lambda" and len(parts) >= 7 and parts[6] == function_name:
        raise invalid_parameter("You can't specify the function as a destination for itself.")
    return True


def stored_config(settings: dict[str, Any], now: float) -> dict[str, Any]:
    config = {key: settings[key] for key in _SETTINGS if key in settings}
    config.setdefault("DestinationConfig", {"OnSuccess": {}, "OnFailure": {}})
    config["LastModified"] = now
    return config


def render(config: dict[str, Any], qualified_arn: str) -> dict[str, Any]:
    """FunctionEventInvokeConfig as the API returns it (LastModified a timestamp)."""
    out: dict[str, Any] = {
        "LastModified": datetime.fromtimestamp(config["LastModified"], UTC),
        "FunctionArn": qualified_arn,
    }
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if config.get(key) is not None:
            out[key] = config[key]
    out["DestinationConfig"] = config.get("DestinationConfig") or {"OnSuccess": {}, "OnFailure": {}}
    return out


def policy_of(config: dict[str, Any] | None) -> tuple[int, int]:
    """(maximum retry attempts, maximum event age in seconds), AWS's defaults where unset."""
    if not config:
        return DEFAULT_MAXIMUM_RETRY_ATTEMPTS, DEFAULT_MAXIMUM_EVENT_AGE_SECONDS
    retries = config.get("MaximumRetryAttempts")
    age = config.get("MaximumEventAgeInSeconds")
    return (
        DEFAULT_MAXIMUM_RETRY_ATTEMPTS if retries is None else retries,
        DEFAULT_MAXIMUM_EVENT_AGE_SECONDS if age is None else age,
    )
