"""Lambda through boto3 and the AWS CLI against a real tidal server (fixtures in conftest.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import uuid
import zipfile
from datetime import datetime
from pathlib import Path
from urllib.request import url2pathname

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
ACCOUNT = "000000000000"

HANDLER = """
import json, os, pathlib

def handler(event, context):
    return {"echo": event, "request_id": context.aws_request_id,
            "greeting": os.environ.get("GREETING"), "memory": context.memory_limit_in_mb}

def fail(event, context):
    print("about to fail")
    raise ValueError("cannot decode image")

def record(event, context):
    # Async invocations leave a trace the test can see: the server runs on this machine.
    pathlib.Path(event["marker"]).write_text(json.dumps({"request_id": context.aws_request_id}))
"""


def unique(prefix: str = "fn") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_zip(files: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in (files or {"app.py": HANDLER}).items():
            archive.writestr(name, source)
    return buffer.getvalue()


def error_of(fn, *args, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        fn(*args, **kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


@pytest.fixture
def function(lambda_):
    name = unique()
    lambda_.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": make_zip()},
        Environment={"Variables": {"GREETING": "hi"}},
    )  # fmt: skip
    yield name
    try:
        lambda_.delete_function(FunctionName=name)
    except ClientError:
        pass


def arn_of(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


# -- functions ---------------------------------------------------------------------------------


def test_function_lifecycle(lambda_):
    name = unique()
    code = make_zip()
    created = lambda_.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": code},
        Description="wire test", Timeout=10, MemorySize=256, Tags={"team": "data"},
    )  # fmt: skip
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FunctionArn"] == arn_of(name)
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert (created["State"], created["LastUpdateStatus"], created["Version"]) == (
        "Active",
        "Successful",
        "$LATEST",
    )
    lambda_.get_waiter("function_active_v2").wait(FunctionName=name)

    got = lambda_.get_function(FunctionName=arn_of(name))
    assert got["Configuration"]["Description"] == "wire test"
    assert got["Tags"] == {"team": "data"}
    assert got["Code"]["RepositoryType"] == "S3"
    location = got["Code"]["Location"]
    assert Path(url2pathname(location.removeprefix("file://"))).read_bytes() == code

    config = lambda_.get_function_configuration(FunctionName=name, Qualifier="$LATEST")
    assert config["FunctionArn"] == f"{arn_of(name)}:$LATEST"
    assert (config["Timeout"], config["MemorySize"]) == (10, 256)

    names = [f["FunctionName"] for page in lambda_.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 1})
             for f in page["Functions"]]  # fmt: skip
    assert name in names

    v2 = make_zip({"app.py": "def handler(event, context):\n    return 'v2'\n"})
    updated = lambda_.update_function_code(FunctionName=name, ZipFile=v2)
    assert updated["CodeSize"] == len(v2)
    assert updated["RevisionId"] != created["RevisionId"]
    lambda_.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert json.loads(lambda_.invoke(FunctionName=name)["Payload"].read()) == "v2"

    reconfigured = lambda_.update_function_configuration(
        FunctionName=name,
        Timeout=20,
        Environment={"Variables": {"STAGE": "dev"}},
        RevisionId=updated["RevisionId"],
    )
    assert reconfigured["Timeout"] == 20
    assert reconfigured["Environment"] == {"Variables": {"STAGE": "dev"}}

    assert lambda_.delete_function(FunctionName=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    code_, message, status = error_of(lambda_.get_function, FunctionName=name)
    assert (code_, status) == ("ResourceNotFoundException", 404)
    assert message == f"Function not found: {arn_of(name)}"


def test_function_errors(lambda_, function):
    params = dict(Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": make_zip()})
    assert error_of(lambda_.create_function, FunctionName=function, **params) == (
        "ResourceConflictException", f"Function already exist: {function}", 409,
    )  # fmt: skip
    code, message, status = error_of(
        lambda_.create_function, FunctionName=unique(), **{**params, "Runtime": "python3.7"}
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message.startswith("The runtime parameter of python3.7 is no longer supported")
    code, message, _ = error_of(
        lambda_.create_function, FunctionName=unique(), **{**params, "Runtime": "nodejs22.x"}
    )
    assert code == "InvalidParameterValueException" and "at 'runtime' failed to satisfy constraint" in message
    assert error_of(
        lambda_.create_function, FunctionName=unique(), **{**params, "Code": {"ZipFile": b"nope"}}
    ) == (
        "InvalidParameterValueException",
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
        400,
    )
    code, message, _ = error_of(lambda_.create_function, FunctionName=unique(), **{**params, "Role": "role"})
    assert code == "ValidationException" and "at 'role' failed to satisfy constraint" in message
    code, message, _ = error_of(lambda_.create_function, FunctionName=unique(), **{**params, "Timeout": 901})
    assert code == "ValidationException" and "less than or equal to 900" in message
    code, _, status = error_of(
        lambda_.update_function_configuration, FunctionName=function, RevisionId="stale"
    )
    assert (code, status) == ("PreconditionFailedException", 412)
    code, message, _ = error_of(lambda_.delete_function, FunctionName=function, Qualifier="$LATEST")
    assert message == "$LATEST version cannot be deleted without deleting the function."
    code, message, status = error_of(lambda_.delete_function, FunctionName=unique("missing"))
    assert (code, status) == ("ResourceNotFoundException", 404)


# -- permissions -------------------------------------------------------------------------------


def test_permissions(lambda_, function):
    bucket_arn = "arn:aws:s3:::wire-bucket"
    added = lambda_.add_permission(
        FunctionName=function, StatementId="s3", Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com", SourceArn=bucket_arn, SourceAccount=ACCOUNT,
    )  # fmt: skip
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(added["Statement"])
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"AWS:SourceArn": bucket_arn}
    assert error_of(
        lambda_.add_permission, FunctionName=function, StatementId="s3", Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
    ) == (
        "ResourceConflictException",
        "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.",
        409,
    )  # fmt: skip
    policy = json.loads(lambda_.get_policy(FunctionName=function)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["s3"]
    removed = lambda_.remove_permission(FunctionName=function, StatementId="s3")
    assert removed["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(lambda_.get_policy, FunctionName=function)[0] == "ResourceNotFoundException"
    assert error_of(lambda_.remove_permission, FunctionName=function, StatementId="s3")[0] == (
        "ResourceNotFoundException"
    )


# -- invoking ----------------------------------------------------------------------------------


def test_invoke_request_response(lambda_, function):
    result = lambda_.invoke(FunctionName=function, Payload=b'{"n": 1}', LogType="Tail")
    assert result["StatusCode"] == 200
    assert result["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in result
    payload = json.loads(result["Payload"].read())
    assert payload["echo"] == {"n": 1}
    assert payload["greeting"] == "hi"
    assert payload["memory"] == "128"
    assert payload["request_id"] == result["ResponseMetadata"]["RequestId"]
    assert "REPORT RequestId:" in base64.b64decode(result["LogResult"]).decode()


def test_invoke_function_error(lambda_, function):
    lambda_.update_function_configuration(FunctionName=function, Handler="app.fail")
    result = lambda_.invoke(FunctionName=function, LogType="Tail")
    assert result["StatusCode"] == 200
    assert result["FunctionError"] == "Unhandled"
    error = json.loads(result["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "cannot decode image")
    assert "about to fail" in base64.b64decode(result["LogResult"]).decode()


def test_invoke_event_is_delivered(lambda_, function, tmp_path):
    lambda_.update_function_configuration(FunctionName=function, Handler="app.record")
    marker = tmp_path / "delivered.json"
    result = lambda_.invoke(
        FunctionName=arn_of(function),
        InvocationType="Event",
        Payload=json.dumps({"marker": str(marker)}).encode(),
    )
    assert result["StatusCode"] == 202
    assert result["Payload"].read() == b""
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the event was never delivered"
        time.sleep(0.05)
    assert json.loads(marker.read_text())["request_id"]


def test_invoke_dry_run_and_errors(lambda_, function):
    assert lambda_.invoke(FunctionName=function, InvocationType="DryRun")["StatusCode"] == 204
    code, message, status = error_of(lambda_.invoke, FunctionName=function, Payload=b"not json")
    assert (code, status) == ("InvalidRequestContentException", 400)
    assert message.startswith("Could not parse request body into json")
    code, message, status = error_of(
        lambda_.invoke, FunctionName=function, InvocationType="Event", Payload=b'"' + b"x" * 1_048_576 + b'"'
    )
    assert (code, status) == ("RequestEntityTooLargeException", 413)
    assert message == "1048578 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    missing = unique("missing")
    assert error_of(lambda_.invoke, FunctionName=missing) == (
        "ResourceNotFoundException", f"Function not found: {arn_of(missing)}", 404,
    )  # fmt: skip


# -- asynchronous invocation settings ----------------------------------------------------------


def test_event_invoke_config(lambda_, function):
    put = lambda_.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=0)
    assert put["FunctionArn"] == f"{arn_of(function)}:$LATEST"
    assert isinstance(put["LastModified"], datetime)
    updated = lambda_.update_function_event_invoke_config(FunctionName=function, MaximumEventAgeInSeconds=60)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (0, 60)
    got = lambda_.get_function_event_invoke_config(FunctionName=function)
    assert got["MaximumEventAgeInSeconds"] == 60
    listed = lambda_.list_function_event_invoke_configs(FunctionName=function)["FunctionEventInvokeConfigs"]
    assert len(listed) == 1
    lambda_.delete_function_event_invoke_config(FunctionName=function)
    code, message, status = error_of(lambda_.get_function_event_invoke_config, FunctionName=function)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == f"The function {arn_of(function)}:$LATEST doesn't have an EventInvokeConfig"


# -- the AWS CLI -------------------------------------------------------------------------------


def test_aws_lambda_create_invoke_and_delete(aws_cli, tmp_path):
    name = unique("cli")
    package = tmp_path / "function.zip"
    package.write_bytes(make_zip())
    created = aws_cli(
        "lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
        "--role", ROLE, "--handler", "app.handler", "--zip-file", f"fileb://{package}",
    )  # fmt: skip
    assert json.loads(created.stdout)["FunctionName"] == name
    out = tmp_path / "out.json"
    invoked = aws_cli(
        "lambda", "invoke", "--function-name", name, "--payload", '{"from": "cli"}', str(out)
    )
    assert json.loads(invoked.stdout) == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    assert json.loads(out.read_text())["echo"] == {"from": "cli"}
    missing = aws_cli("lambda", "get-function", "--function-name", unique("missing"), check=False)
    assert missing.returncode != 0
    assert b"ResourceNotFoundException" in missing.stderr
    aws_cli("lambda", "delete-function", "--function-name", name)
