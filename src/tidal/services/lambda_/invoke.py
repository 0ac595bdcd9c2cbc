"""Invoke's request checks and response shape (the running itself is tidal.runtime's).

Limits are the current ones in the Invoke API reference: 6 MB for a synchronous payload,
1 MB for an asynchronous one (256 KB until 2025). The error codes and wording are what live
Lambda sends (RequestEntityTooLargeException, InvalidRequestContentException).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from tidal.errors import AWSError
from tidal.runtime.spec import InvokeResult
from tidal.services.lambda_.errors import (
    ValidationErrors,
    invalid_request_content,
    request_entity_too_large,
)

REQUEST_RESPONSE = "RequestResponse"
EVENT = "Event"
DRY_RUN = "DryRun"
INVOCATION_TYPES = (EVENT, REQUEST_RESPONSE, DRY_RUN)
LOG_TYPES = ("None", "Tail")

MAX_SYNC_PAYLOAD_BYTES = 6_291_456
MAX_ASYNC_PAYLOAD_BYTES = 1_048_576
# A function's response beyond this is replaced by an error, as AWS does (its message
# names 6291556 bytes: 6 MB plus a little framing allowance).
MAX_RESPONSE_PAYLOAD_BYTES = 6_291_556

# An invocation without a payload gets an empty JSON object as its event.
EMPTY_EVENT = b"{}"


def check_invoke_options(params: dict[str, Any]) -> tuple[str, str]:
    """(InvocationType, LogType), defaulting to RequestResponse and None."""
    invocation_type = params.get("InvocationType") or REQUEST_RESPONSE
    log_type = params.get("LogType") or "None"
    errors = ValidationErrors()
    if invocation_type not in INVOCATION_TYPES:
        errors.add(
            invocation_type,
            "invocationType",
            "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
        )
    if log_type not in LOG_TYPES:
        errors.add(log_type, "logType", "Member must satisfy enum value set: [None, Tail]")
    errors.raise_if_any()
    return invocation_type, log_type


def check_payload(payload: object, invocation_type: str) -> bytes:
    """The event to hand the function: size-checked, and JSON as Lambda requires."""
    if payload is None:
        data = b""
    elif isinstance(payload, bytes):
        data = payload
    elif isinstance(payload, (bytearray, memoryview)):
        data = bytes(payload)
    elif isinstance(payload, str):
        data = payload.encode("utf-8")
    elif hasattr(payload, "read"):
        data = payload.read()
    else:
        raise invalid_request_content("Could not parse request body into json: payload is not JSON bytes")
    if invocation_type == EVENT and len(data) > MAX_ASYNC_PAYLOAD_BYTES:
        raise request_entity_too_large(
            f"{len(data)} byte payload is too large for the Event invocation type (limit {MAX_ASYNC_PAYLOAD_BYTES} bytes)"
        )
    if len(data) > MAX_SYNC_PAYLOAD_BYTES:
        raise request_entity_too_large(
            f"Request must be smaller than {MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation"
        )
    if not data.strip():
        return EMPTY_EVENT
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise invalid_request_content(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return data


def sync_response(result: InvokeResult, log_type: str) -> dict[str, Any]:
    """The RequestResponse answer: status 200 even when the function failed, as AWS does."""
    payload = result.payload
    function_error = result.function_error
    if len(payload) > MAX_RESPONSE_PAYLOAD_BYTES:
        payload = orjson.dumps(
            {
                "errorMessage": "Response payload size exceeded maximum allowed payload size"
                f" ({MAX_RESPONSE_PAYLOAD_BYTES} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
        )
        function_error = "Unhandled"
    response: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": payload,
        "ExecutedVersion": result.executed_version,
    }
    if function_error:
        response["FunctionError"] = function_error
    if log_type == "Tail":
        response["LogResult"] = result.log_tail()
    return response


def decode_client_context(value: object) -> str | None:
    """``ClientContext``: base64 of a JSON object, handed to the function as that JSON."""
    if value is None or value == "":
        return None
    try:
        text = base64.b64decode(str(value), validate=True).decode("utf-8")
        if not isinstance(orjson.loads(text), dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError, orjson.JSONDecodeError, binascii.Error):
        # Sent with "Type": null rather than "User" (recorded AWS error bodies).
        raise AWSError(
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
            400,
        ) from None
    return text
