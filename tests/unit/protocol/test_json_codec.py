"""Readers built by JsonCodec: maps and strings read as they came, nulls dropped, wrong types refused."""

from __future__ import annotations

import orjson
import pytest

from tidal.errors import AWSError
from tidal.protocol import protocol_for
from tidal.types import HttpRequest


def _parse(operation: str, document: dict) -> dict:
    proto = protocol_for("dynamodb")
    request = HttpRequest(
        "POST", "/", "", {"x-amz-target": f"DynamoDB_20120810.{operation}"}, orjson.dumps(document), "127.0.0.1"
    )
    return proto.parse(proto.resolve(request), request)


def _update(**extra: object) -> dict:
    return {"TableName": "tbl", "Key": {"k": {"S": "a"}}, "UpdateExpression": "SET #n = :v", **extra}


def test_maps_of_strings_and_attribute_values_come_through_unchanged():
    params = _parse("UpdateItem", _update(
        ExpressionAttributeNames={"#n": "name"}, ExpressionAttributeValues={":v": {"M": {"x": {"N": "1"}}}},
    ))
    assert params["ExpressionAttributeNames"] == {"#n": "name"}
    assert params["ExpressionAttributeValues"] == {":v": {"M": {"x": {"N": "1"}}}}
    assert params["Key"] == {"k": {"S": "a"}}


def test_a_null_in_a_map_is_dropped_as_coral_drops_it():
    params = _parse("UpdateItem", _update(
        ExpressionAttributeNames={"#n": "name", "#gone": None}, ExpressionAttributeValues={":v": {"S": "x"}, ":gone": None},
    ))
    assert params["ExpressionAttributeNames"] == {"#n": "name"}
    assert params["ExpressionAttributeValues"] == {":v": {"S": "x"}}


@pytest.mark.parametrize(("document", "message"), [
    (_update(ExpressionAttributeNames={"#n": 5}), "NUMBER_VALUE cannot be converted to String"),
    (_update(ExpressionAttributeNames={"#n": ["name"]}), "Unrecognized collection type class java.lang.String"),
    (_update(ExpressionAttributeValues={":v": {"S": 7}}), "NUMBER_VALUE cannot be converted to String"),
    ({**_update(), "TableName": 12}, "NUMBER_VALUE cannot be converted to String"),
])
def test_a_wrong_type_in_a_map_or_a_string_member_is_a_serialization_error(document, message):
    with pytest.raises(AWSError) as caught:
        _parse("UpdateItem", document)
    assert caught.value.code == "SerializationException"
    assert caught.value.message == message


@pytest.mark.parametrize(("limit", "message"), [
    (2**31, "Numeric value (2147483648) out of range of int (-2147483648 - 2147483647)"),
    (-(2**31) - 1, "Numeric value (-2147483649) out of range of int (-2147483648 - 2147483647)"),
    (1e30, None),  # a float (as orjson reads any integer past 64 bits): truncated, then out of range
])
def test_an_integer_past_its_java_type_is_a_serialization_error(limit, message):
    with pytest.raises(AWSError) as caught:
        _parse("Scan", {"TableName": "tbl", "Limit": limit})
    assert caught.value.code == "SerializationException"
    if message is not None:
        assert caught.value.message == message


def test_an_integer_within_its_java_type_is_taken():
    assert _parse("Scan", {"TableName": "tbl", "Limit": 2**31 - 1})["Limit"] == 2**31 - 1
