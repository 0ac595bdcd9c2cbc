"""DynamoDB (json 1.0) through a real boto3 client: requests in, responses and errors out."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import orjson
import pytest
from botocore.exceptions import ClientError
from protocol_harness import Wire, raw_request, without_metadata

from tidal.errors import AWSError
from tidal.protocol import protocol_for


@pytest.fixture
def wire() -> Wire:
    return Wire("dynamodb", parameter_validation=False)


def fail_with(err: AWSError):
    def handler(op, params):
        raise err

    return handler


def test_put_item_keeps_attribute_values_in_wire_form(wire: Wire) -> None:
    item = {
        "pk": {"S": "user#1"},
        "n": {"N": "42"},
        "bin": {"B": b"\x00\x01\xff"},
        "bins": {"BS": [b"a", b"b"]},
        "nested": {"M": {"l": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}}},
    }
    wire.client.put_item(
        TableName="users",
        Item=item,
        ConditionExpression="attribute_not_exists(pk)",
        ReturnValues="NONE",
    )
    assert wire.operations[-1].name == "PutItem"
    params = wire.last_params
    assert params["TableName"] == "users"
    assert params["ConditionExpression"] == "attribute_not_exists(pk)"
    # Blobs inside AttributeValues stay base64 strings: tidal stores items in wire form.
    assert params["Item"]["bin"] == {"B": "AAH/"}
    assert params["Item"]["bins"] == {"BS": ["YQ==", "Yg=="]}
    assert params["Item"]["nested"] == item["nested"]


def test_update_item_round_trip(wire: Wire) -> None:
    wire.handler = lambda op, params: {
        "Attributes": {"pk": {"S": "k"}, "count": {"N": "2"}, "b": {"B": "AAE="}},
        "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0},
    }
    response = wire.client.update_item(
        TableName="t",
        Key={"pk": {"S": "k"}},
        UpdateExpression="ADD #c :one",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
        ReturnConsumedCapacity="TOTAL",
    )
    assert wire.last_params == {
        "TableName": "t",
        "Key": {"pk": {"S": "k"}},
        "UpdateExpression": "ADD #c :one",
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": {":one": {"N": "1"}},
        "ReturnValues": "ALL_NEW",
        "ReturnConsumedCapacity": "TOTAL",
    }
    assert without_metadata(response) == {
        "Attributes": {"pk": {"S": "k"}, "count": {"N": "2"}, "b": {"B": b"\x00\x01"}},
        "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0},
    }


def test_response_headers_include_request_id_and_crc32(wire: Wire) -> None:
    wire.client.delete_item(TableName="t", Key={"pk": {"S": "k"}})
    response = wire.responses[-1]
    headers = dict(response.headers)
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert headers["x-amzn-RequestId"] == wire.request_id
    assert headers["x-amz-crc32"] == str(zlib.crc32(response.body))


def test_scan_round_trip(wire: Wire) -> None:
    result = {
        "Items": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}, "v": {"NS": ["1", "2"]}}],
        "Count": 2,
        "ScannedCount": 5,
        "LastEvaluatedKey": {"pk": {"S": "b"}},
    }
    wire.handler = lambda op, params: result
    response = wire.client.scan(
        TableName="t",
        FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": "a"}},
        Limit=10,
        ExclusiveStartKey={"pk": {"S": "0"}},
        Segment=0,
        TotalSegments=2,
    )
    assert wire.last_params["Limit"] == 10
    assert wire.last_params["ExclusiveStartKey"] == {"pk": {"S": "0"}}
    assert without_metadata(response) == result


def test_create_table_round_trip_with_timestamps(wire: Wire) -> None:
    created = datetime(2025, 3, 4, 10, 11, 12, 500000, tzinfo=UTC)
    description = {
        "TableName": "t",
        "TableStatus": "ACTIVE",
        "CreationDateTime": created,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "LatestStreamArn": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2025",
        "ItemCount": 0,
    }
    wire.handler = lambda op, params: {"TableDescription": description}
    request = {
        "TableName": "t",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "Tags": [{"Key": "team", "Value": "x"}],
    }
    response = wire.client.create_table(**request)
    assert wire.last_params == request
    assert without_metadata(response) == {"TableDescription": description}
    assert orjson.loads(wire.responses[-1].body)["TableDescription"]["CreationDateTime"] == 1741083072.5


def test_resource_not_found_error(wire: Wire) -> None:
    wire.handler = fail_with(AWSError("ResourceNotFoundException", "Requested resource not found", 400))
    with pytest.raises(ClientError) as caught:
        wire.client.get_item(TableName="missing", Key={"pk": {"S": "k"}})
    error = caught.value.response
    assert error["Error"] == {"Code": "ResourceNotFoundException", "Message": "Requested resource not found"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    body = orjson.loads(wire.responses[-1].body)
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"


def test_conditional_check_failed_carries_the_old_item(wire: Wire) -> None:
    old = {"pk": {"S": "k"}, "v": {"N": "1"}}
    wire.handler = fail_with(
        AWSError(
            "ConditionalCheckFailedException", "The conditional request failed", 400, fields={"Item": old}
        )
    )
    with pytest.raises(wire.client.exceptions.ConditionalCheckFailedException) as caught:
        wire.client.put_item(
            TableName="t",
            Item={"pk": {"S": "k"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert caught.value.response["Item"] == old
    assert caught.value.response["Error"]["Message"] == "The conditional request failed"


def test_missing_table_name_is_coral_validation_error(wire: Wire) -> None:
    with pytest.raises(ClientError) as caught:
        wire.client.get_item(Key={"pk": {"S": "k"}})
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
        "Member must not be null"
    )
    assert orjson.loads(wire.responses[-1].body)["__type"] == "com.amazon.coral.validate#ValidationException"


def test_several_validation_errors_are_counted_and_joined(wire: Wire) -> None:
    with pytest.raises(ClientError) as caught:
        wire.client.query(TableName="", ReturnConsumedCapacity="SOME", Limit=0)
    message = caught.value.response["Error"]["Message"]
    assert message.startswith("3 validation errors detected: ")
    parts = message[len("3 validation errors detected: ") :].split("; ")
    assert parts == [
        "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        "Value 'SOME' at 'returnConsumedCapacity' failed to satisfy constraint: "
        "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
    ]


def test_nested_validation_paths(wire: Wire) -> None:
    with pytest.raises(ClientError) as caught:
        wire.client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "SIDEWAYS"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert (
        "Value 'SIDEWAYS' at 'keySchema.1.member.keyType' failed to satisfy constraint"
        in caught.value.response["Error"]["Message"]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", ""),
        (b"\x00\xff\xfe garbage \x80", ""),
        (b"[1, 2]", "Start of list found where not expected"),
        (b'{"TableName": 5}', "NUMBER_VALUE cannot be converted to String"),
        (b'{"TableName": "t", "Key": "k"}', "Unexpected field type"),
        (
            b'{"TableName": "t", "Key": {"pk": {"S": 1}}}',
            "NUMBER_VALUE cannot be converted to String",
        ),
        (b'{"TableName": "t", "ConsistentRead": "maybe"}', "Unexpected token received from parser"),
        (b'{"TableName": "t", "ConsistentRead": 3.5}', "DECIMAL_VALUE cannot be converted to Boolean"),
        (b'{"TableName": "t", "ConsistentRead": 1e30}', "DECIMAL_VALUE cannot be converted to Boolean"),
        (b'{"TableName": "t", "ConsistentRead": 1}', "NUMBER_VALUE cannot be converted to Boolean"),
        (b'{"TableName": "t", "ConsistentRead": []}', "Unrecognized collection type class java.lang.Boolean"),
        (b'{"TableName": "t", "Key": {"pk": {"B": "not base64!"}}}', None),
    ],
)
def test_malformed_bodies_are_serialization_exceptions(body: bytes, message: str | None) -> None:
    protocol = protocol_for("dynamodb")
    request = raw_request(headers={"x-amz-target": "DynamoDB_20120810.GetItem"}, body=body)
    op = protocol.resolve(request)
    with pytest.raises(AWSError) as caught:
        protocol.parse(op, request)
    assert caught.value.code == "SerializationException"
    assert caught.value.status == 400
    if message is not None:
        assert caught.value.message == message
    response = protocol.serialize_error(caught.value, "rid", op)
    assert orjson.loads(response.body)["__type"] == "com.amazon.coral.service#SerializationException"


def test_serialization_error_reaches_boto3(wire: Wire) -> None:
    with pytest.raises(ClientError) as caught:
        wire.client.scan(TableName="t", Limit="ten")
    assert caught.value.response["Error"]["Code"] == "SerializationException"
    assert (
        caught.value.response["Error"]["Message"]
        == "STRING_VALUE cannot be converted to Integer"
    )


def test_empty_body_is_an_empty_object() -> None:
    protocol = protocol_for("dynamodb")
    request = raw_request(headers={"x-amz-target": "DynamoDB_20120810.ListTables"}, body=b"")
    assert protocol.parse(protocol.resolve(request), request) == {}


@pytest.mark.parametrize("target", [None, "DynamoDB_20120810.Nope", "Other_1.ListTables", ""])
def test_unknown_or_missing_target(target: str | None) -> None:
    protocol = protocol_for("dynamodb")
    headers = {"x-amz-target": target} if target is not None else {}
    with pytest.raises(AWSError) as caught:
        protocol.resolve(raw_request(headers=headers, body=b"{}"))
    assert caught.value.code == "UnknownOperationException"
    assert caught.value.status == 400
    response = protocol.serialize_error(caught.value, "rid")
    assert orjson.loads(response.body) == {"__type": "com.amazon.coral.service#UnknownOperationException"}


def test_unmodelled_error_without_namespace_rules() -> None:
    protocol = protocol_for("dynamodb")
    response = protocol.serialize_error(AWSError("ThrottlingException", "slow down", 400), "rid")
    assert orjson.loads(response.body) == {
        "__type": "com.amazon.coral.service#ThrottlingException",
        "message": "slow down",
    }
