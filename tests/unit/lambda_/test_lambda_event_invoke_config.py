"""Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s) and the policy delivery reads."""

from __future__ import annotations

from datetime import datetime

import pytest
from lambda_harness import ACCOUNT, create_params

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:failures"


@pytest.fixture
def fn(lam):
    lam("create_function", create_params())
    return lam


def test_defaults_are_aws_defaults(fn):
    assert fn.service.async_invoke_policy("fn") == (2, 21_600)
    assert fn.service.async_invoke_policy("nope") == (2, 21_600)


def test_put_sets_the_policy_and_get_returns_it(fn):
    result = fn("put_function_event_invoke_config", {"FunctionName": "fn", "MaximumRetryAttempts": 0})
    assert result["FunctionArn"] == f"{ARN}:$LATEST"
    assert result["MaximumRetryAttempts"] == 0
    assert "MaximumEventAgeInSeconds" not in result
    assert result["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    assert isinstance(result["LastModified"], datetime)
    assert fn("get_function_event_invoke_config", {"FunctionName": ARN}) == result
    assert fn.service.async_invoke_policy(ARN) == (0, 21_600)


def test_put_replaces_and_update_merges(fn):
    fn(
        "put_function_event_invoke_config",
        {
            "FunctionName": "fn",
            "MaximumRetryAttempts": 1,
            "DestinationConfig": {"OnFailure": {"Destination": QUEUE}},
        },
    )
    updated = fn(
        "update_function_event_invoke_config", {"FunctionName": "fn", "MaximumEventAgeInSeconds": 60}
    )
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (1, 60)
    assert updated["DestinationConfig"]["OnFailure"] == {"Destination": QUEUE}
    assert fn.service.async_invoke_policy("fn") == (1, 60)
    replaced = fn("put_function_event_invoke_config", {"FunctionName": "fn", "MaximumEventAgeInSeconds": 120})
    assert "MaximumRetryAttempts" not in replaced
    assert fn.service.async_invoke_policy("fn") == (2, 120)


def test_delete_restores_the_defaults(fn):
    fn("put_function_event_invoke_config", {"FunctionName": "fn", "MaximumRetryAttempts": 0})
    assert (
        len(fn("list_function_event_invoke_configs", {"FunctionName": "fn"})["FunctionEventInvokeConfigs"])
        == 1
    )
    fn("delete_function_event_invoke_config", {"FunctionName": "fn"})
    assert fn.service.async_invoke_policy("fn") == (2, 21_600)
    err = fn.error("get_function_event_invoke_config", {"FunctionName": "fn"})
    assert (err.code, err.message) == (
        "ResourceNotFoundException",
        f"The function {ARN}:$LATEST doesn't have an EventInvokeConfig",
    )


def test_errors(fn):
    err = fn.error("put_function_event_invoke_config", {"FunctionName": "fn"})
    assert err.message == "You must specify at least one of error handling or destination setting."
    err = fn.error("put_function_event_invoke_config", {"FunctionName": "fn", "MaximumRetryAttempts": 3})
    assert err.code == "ValidationException" and "maximumRetryAttempts" in err.message
    err = fn.error("put_function_event_invoke_config", {"FunctionName": "fn", "MaximumEventAgeInSeconds": 59})
    assert err.code == "ValidationException" and "maximumEventAgeInSeconds" in err.message
    err = fn.error("put_function_event_invoke_config", {"FunctionName": "nope", "MaximumRetryAttempts": 1})
    assert (err.code, err.message) == ("ResourceNotFoundException", "The function doesn't exist.")
    err = fn.error("update_function_event_invoke_config", {"FunctionName": "fn", "MaximumRetryAttempts": 1})
    assert err.message == f"The function {ARN}:$LATEST doesn't have an EventInvokeConfig"
    err = fn.error(
        "put_function_event_invoke_config",
        {"FunctionName": "fn", "DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:s3:::bucket"}}},
    )
    assert err.message.startswith("The provided destination config DestinationConfig(onSuccess=")
    err = fn.error(
        "put_function_event_invoke_config",
        {"FunctionName": "fn", "DestinationConfig": {"OnFailure": {"Destination": ARN}}},
    )
    assert err.message == "You can't specify the function as a destination for itself."


def test_deleting_the_function_deletes_its_config(fn):
    fn("put_function_event_invoke_config", {"FunctionName": "fn", "MaximumRetryAttempts": 0})
    fn("delete_function", {"FunctionName": "fn"})
    fn("create_function", create_params())
    assert fn.service.async_invoke_policy("fn") == (2, 21_600)
