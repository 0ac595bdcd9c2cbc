"""Lambda (rest-json) through a real boto3 client: routes, headers, payloads, errors."""

from __future__ import annotations

import orjson
import pytest
from botocore.exceptions import ClientError
from protocol_harness import Wire, raw_request, without_metadata

from tidal.errors import AWSError
from tidal.protocol import protocol_for

ARN = "arn:aws:lambda:us-east-1:000000000000:function:count"


@pytest.fixture
def wire() -> Wire:
    return Wire("lambda", parameter_validation=False)


def configuration(**extra):
    return {
        "FunctionName": "count",
        "FunctionArn": ARN,
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::000000000000:role/r",
        "Handler": "app.handler",
        "CodeSize": 2,
        "Timeout": 30,
        "MemorySize": 256,
        "LastModified": "2025-03-04T10:11:12.000+0000",
        "Environment": {"Variables": {"TABLE": "counts"}},
        "State": "Active",
        "Architectures": ["x86_64"],
        **extra,
    }


def test_create_function_round_trip(wire: Wire) -> None:
    wire.handler = lambda op, params: configuration()
    request = {
        "FunctionName": "count",
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::000000000000:role/r",
        "Handler": "app.handler",
        "Code": {"ZipFile": b"PK\x03\x04zip"},
        "Timeout": 30,
        "MemorySize": 256,
        "Environment": {"Variables": {"TABLE": "counts"}},
        "Tags": {"team": "x"},
        "Architectures": ["x86_64"],
        "Publish": True,
    }
    response = wire.client.create_function(**request)
    assert wire.operations[-1].name == "CreateFunction"
    assert wire.last_params == request  # ZipFile decoded from base64 back to bytes
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert without_metadata(response) == configuration()


@pytest.mark.parametrize(
    ("invocation_type", "status", "payload"),
    [("RequestResponse", 200, b'{"ok": true}'), ("Event", 202, b""), ("DryRun", 204, b"")],
)
def test_invoke_invocation_types(wire: Wire, invocation_type: str, status: int, payload: bytes) -> None:
    wire.handler = lambda op, params: {"StatusCode": status, "Payload": payload, "ExecutedVersion": "$LATEST"}
    response = wire.client.invoke(
        FunctionName=ARN, InvocationType=invocation_type, Payload=b'{"n": 1}', Qualifier="$LATEST"
    )
    assert wire.last_params == {
        "FunctionName": ARN,
        "InvocationType": invocation_type,
        "Payload": b'{"n": 1}',
        "Qualifier": "$LATEST",
    }
    assert response["StatusCode"] == status
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["Payload"].read() == payload
    assert response["ExecutedVersion"] == "$LATEST"


def test_invoke_function_error_headers(wire: Wire) -> None:
    error_payload = b'{"errorMessage": "boom", "errorType": "ValueError"}'
    wire.handler = lambda op, params: {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "LogResult": "U1RBUlQgUmVxdWVzdElk",
        "ExecutedVersion": "1",
        "Payload": error_payload,
    }
    response = wire.client.invoke(FunctionName="count", LogType="Tail", ClientContext="e30=")
    assert wire.last_params["LogType"] == "Tail"
    assert wire.last_params["ClientContext"] == "e30="
    assert response["FunctionError"] == "Unhandled"
    assert response["LogResult"] == "U1RBUlQgUmVxdWVzdElk"
    assert response["ExecutedVersion"] == "1"
    assert response["Payload"].read() == error_payload
    headers = dict(wire.responses[-1].headers)
    assert headers["X-Amz-Function-Error"] == "Unhandled"


def test_get_function_round_trip(wire: Wire) -> None:
    result = {
        "Configuration": configuration(),
        "Code": {"RepositoryType": "S3", "Location": "http://localhost:4566/code.zip"},
        "Tags": {"team": "x"},
        "Concurrency": {"ReservedConcurrentExecutions": 5},
    }
    wire.handler = lambda op, params: result
    response = wire.client.get_function(FunctionName="count", Qualifier="2")
    assert wire.operations[-1].name == "GetFunction"
    assert wire.last_params == {"FunctionName": "count", "Qualifier": "2"}
    assert without_metadata(response) == result


def test_add_permission_round_trip(wire: Wire) -> None:
    statement = '{"Sid":"s3","Effect":"Allow"}'
    wire.handler = lambda op, params: {"Statement": statement}
    request = {
        "FunctionName": "count",
        "StatementId": "s3",
        "Action": "lambda:InvokeFunction",
        "Principal": "s3.amazonaws.com",
        "SourceArn": "arn:aws:s3:::bucket",
        "SourceAccount": "000000000000",
    }
    response = wire.client.add_permission(**request)
    assert wire.operations[-1].name == "AddPermission"
    assert wire.last_params == request
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert response["Statement"] == statement


def test_routes_with_two_labels_and_escaped_arns(wire: Wire) -> None:
    wire.client.remove_permission(FunctionName=ARN, StatementId="sid.1", Qualifier="live")
    assert (
        wire.requests[-1].path
        == "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Acount/policy/sid.1"
    )
    assert wire.operations[-1].name == "RemovePermission"
    assert wire.last_params == {"FunctionName": ARN, "StatementId": "sid.1", "Qualifier": "live"}
    assert wire.responses[-1].status == 204


def test_list_functions_with_trailing_slash_and_query(wire: Wire) -> None:
    wire.handler = lambda op, params: {"Functions": [configuration()], "NextMarker": "m2"}
    response = wire.client.list_functions(Marker="m1", MaxItems=5)
    assert wire.last_params == {"Marker": "m1", "MaxItems": 5}
    assert without_metadata(response) == {"Functions": [configuration()], "NextMarker": "m2"}
    protocol = protocol_for("lambda")
    assert protocol.resolve(raw_request("GET", "/2015-03-31/functions/")).name == "ListFunctions"


def test_modelled_error(wire: Wire) -> None:
    def handler(op, params):
        raise AWSError("ResourceNotFoundException", f"Function not found: {ARN}", 404)

    wire.handler = handler
    with pytest.raises(wire.client.exceptions.ResourceNotFoundException) as caught:
        wire.client.get_function(FunctionName="count")
    response = caught.value.response
    assert response["Error"] == {"Code": "ResourceNotFoundException", "Message": f"Function not found: {ARN}"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["Type"] == "User"
    assert dict(wire.responses[-1].headers)["X-Amzn-ErrorType"] == "ResourceNotFoundException"


def test_service_fault_error_type(wire: Wire) -> None:
    def handler(op, params):
        raise AWSError("ServiceException", "internal", 500)

    wire.handler = handler
    with pytest.raises(ClientError) as caught:
        wire.client.get_function(FunctionName="count")
    assert caught.value.response["Error"]["Code"] == "ServiceException"
    assert caught.value.response["Type"] == "Service"


def test_validation_error(wire: Wire) -> None:
    with pytest.raises(ClientError) as caught:
        wire.client.create_function(
            FunctionName="count",
            Role="arn:aws:iam::000000000000:role/r",
            Code={"ZipFile": b"PK"},
            Timeout=0,
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_function_name_pattern_is_checked(wire: Wire) -> None:
    with pytest.raises(ClientError) as caught:
        wire.client.get_function(FunctionName="bad name!")
    message = caught.value.response["Error"]["Message"]
    assert "Value 'bad name!' at 'functionName' failed to satisfy constraint: " in message
    assert "Member must satisfy regular expression pattern" in message


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/2015-03-31/nothing"), ("PATCH", "/2015-03-31/functions/x"), ("GET", "/")],
)
def test_unknown_route_is_404(method: str, path: str) -> None:
    protocol = protocol_for("lambda")
    with pytest.raises(AWSError) as caught:
        protocol.resolve(raw_request(method, path))
    assert caught.value.code == "UnknownOperationException"
    assert caught.value.status == 404


@pytest.mark.parametrize("body", [b"{nope", b"[1]", b"\xff\xfe\x00binary"])
def test_unparsable_json_body(body: bytes) -> None:
    protocol = protocol_for("lambda")
    request = raw_request("POST", "/2015-03-31/functions", body=body)
    op = protocol.resolve(request)
    assert op.name == "CreateFunction"
    with pytest.raises(AWSError) as caught:
        protocol.parse(op, request)
    assert caught.value.code == "InvalidRequestContentException"
    assert caught.value.status == 400
    assert caught.value.message.startswith("Could not parse request body into json: ")
    response = protocol.serialize_error(caught.value, "rid", op)
    assert orjson.loads(response.body)["Type"] == "User"


def test_wrong_member_type_in_body() -> None:
    protocol = protocol_for("lambda")
    request = raw_request("POST", "/2015-03-31/functions", body=b'{"FunctionName": "f", "Timeout": "long"}')
    with pytest.raises(AWSError) as caught:
        protocol.parse(protocol.resolve(request), request)
    assert caught.value.code == "InvalidRequestContentException"


def test_invoke_payload_is_not_parsed_as_json() -> None:
    protocol = protocol_for("lambda")
    request = raw_request("POST", "/2015-03-31/functions/f/invocations", body=b"\x00 not json")
    op = protocol.resolve(request)
    assert protocol.parse(op, request) == {"FunctionName": "f", "Payload": b"\x00 not json"}
