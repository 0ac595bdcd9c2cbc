"""Invoke: Event into the outbox, DryRun, and RequestResponse on real worker processes."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from lambda_harness import ACCOUNT, create_params, make_zip

from tidal.errors import AWSError
from tidal.services.lambda_.invoke import check_payload

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"


def invoke_error(lam, params: dict) -> AWSError:
    async def body() -> None:
        await lam.acall("invoke", params)

    with pytest.raises(AWSError) as caught:
        asyncio.run(body())
    return caught.value


# -- without running anything ---------------------------------------------------------------


def test_event_invocation_writes_exactly_one_outbox_row(lam):
    lam("create_function", create_params())
    result = asyncio.run(
        lam.acall("invoke", {"FunctionName": "fn", "InvocationType": "Event", "Payload": b'{"n": 1}'})
    )
    assert result == {"StatusCode": 202, "Payload": b""}
    assert lam.outbox_rows() == [("lambda.async", ARN, b'{"n": 1}', "pending")]


def test_event_invocation_by_arn_targets_the_unqualified_arn(lam):
    lam("create_function", create_params())
    asyncio.run(lam.acall("invoke", {"FunctionName": f"{ARN}:$LATEST", "InvocationType": "Event"}))
    assert lam.outbox_rows() == [("lambda.async", ARN, b"{}", "pending")]


def test_dry_run_only_checks_the_function(lam):
    lam("create_function", create_params())
    assert asyncio.run(lam.acall("invoke", {"FunctionName": "fn", "InvocationType": "DryRun"})) == {
        "StatusCode": 204
    }
    assert lam.outbox_rows() == []
    err = invoke_error(lam, {"FunctionName": "nope", "InvocationType": "DryRun"})
    assert (err.code, err.status) == ("ResourceNotFoundException", 404)


def test_invoking_a_missing_function_is_not_found(lam):
    err = invoke_error(lam, {"FunctionName": "nope", "InvocationType": "Event"})
    assert err.message == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"
    lam("create_function", create_params())
    err = invoke_error(lam, {"FunctionName": "fn", "Qualifier": "3"})
    assert err.message == f"Function not found: {ARN}:3"
    assert lam.outbox_rows() == []


def test_the_payload_must_be_json(lam):
    lam("create_function", create_params())
    err = invoke_error(lam, {"FunctionName": "fn", "Payload": b"not json"})
    assert (err.code, err.status) == ("InvalidRequestContentException", 400)
    assert err.message.startswith(
        "Could not parse request body into json: Could not parse payload into json:"
    )


def test_payload_limits():
    event = b'"' + b"x" * (1_048_576 - 2) + b'"'
    assert check_payload(event, "Event") == event  # exactly 1 MB is allowed
    with pytest.raises(AWSError) as caught:
        check_payload(event + b" ", "Event")
    assert (caught.value.code, caught.value.status) == ("RequestEntityTooLargeException", 413)
    assert caught.value.message == (
        "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    )
    assert check_payload(event + b" ", "RequestResponse")
    with pytest.raises(AWSError) as caught:
        check_payload(b" " * 6_291_457, "RequestResponse")
    assert (
        caught.value.message == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )
    assert check_payload(None, "RequestResponse") == b"{}"


def test_invocation_type_and_client_context_are_checked(lam):
    lam("create_function", create_params())
    assert invoke_error(lam, {"FunctionName": "fn", "InvocationType": "Later"}).code == "ValidationException"
    err = invoke_error(lam, {"FunctionName": "fn", "ClientContext": "%%%"})
    assert err.message == "Client context must be a valid Base64-encoded JSON object."


# -- running handlers -----------------------------------------------------------------------


def test_request_response_runs_the_handler(with_pool):
    async def body(lam):
        await lam.acall("create_function", create_params(Environment={"Variables": {"GREETING": "hi"}}))
        result = await lam.acall("invoke", {"FunctionName": "fn", "Payload": b'{"n": 1}'})
        return result

    result = with_pool(body)
    assert result["StatusCode"] == 200
    assert result["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in result and "LogResult" not in result
    payload = json.loads(result["Payload"])
    assert payload["echo"] == {"n": 1}
    assert payload["greeting"] == "hi"
    assert payload["request_id"].startswith("req-")  # the Invoke's own request id


def test_a_raising_handler_returns_unhandled_with_the_error_payload(with_pool):
    async def body(lam):
        await lam.acall("create_function", create_params(Handler="app.fail"))
        return await lam.acall("invoke", {"FunctionName": "fn", "LogType": "Tail"})

    result = with_pool(body)
    assert result["StatusCode"] == 200
    assert result["FunctionError"] == "Unhandled"
    error = json.loads(result["Payload"])
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "cannot decode image"
    log = base64.b64decode(result["LogResult"]).decode()
    assert "about to fail" in log and "REPORT RequestId:" in log


def test_updated_code_is_what_the_next_invocation_runs(with_pool):
    async def body(lam):
        await lam.acall("create_function", create_params())
        first = await lam.acall("invoke", {"FunctionName": "fn", "Payload": b"1"})
        v2 = make_zip({"app.py": "def handler(event, context):\n    return 'v2'\n"})
        await lam.acall("update_function_code", {"FunctionName": "fn", "ZipFile": v2})
        second = await lam.acall("invoke", {"FunctionName": "fn", "Payload": b"2"})
        await lam.acall("update_function_configuration", {"FunctionName": "fn", "Handler": "app.missing"})
        third = await lam.acall("invoke", {"FunctionName": "fn"})
        await asyncio.sleep(0.1)  # let the retire and code clean-up scheduled on the loop finish
        return first, second, third, lam.service.pool.live_workers

    first, second, third, live_workers = with_pool(body)
    assert json.loads(first["Payload"])["echo"] == 1
    assert json.loads(second["Payload"]) == "v2"
    assert third["FunctionError"] == "Unhandled"
    assert json.loads(third["Payload"])["errorType"] == "Runtime.HandlerNotFound"
    assert live_workers <= 1  # the workers of earlier revisions were retired


def test_deleted_functions_cannot_be_invoked(with_pool):
    async def body(lam):
        await lam.acall("create_function", create_params())
        await lam.acall("invoke", {"FunctionName": "fn"})
        await lam.acall("delete_function", {"FunctionName": "fn"})
        with pytest.raises(AWSError) as caught:
            await lam.acall("invoke", {"FunctionName": "fn"})
        await asyncio.sleep(0.1)
        return caught.value, lam.service.pool.live_workers

    err, live_workers = with_pool(body)
    assert err.code == "ResourceNotFoundException"
    assert live_workers == 0
