"""DynamoDB item operations in-process: PutItem, GetItem, UpdateItem, DeleteItem."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest

from tidal.errors import AWSError
from tidal.services.dynamodb import item_operations

from .helpers import HASHED, assert_validation, error_of, n, s

TABLE = HASHED


# -- PutItem / GetItem -----------------------------------------------------------------------------


def test_put_then_get(ddb):
    item = {"pk": s("a"), "n": n("1.50"), "l": {"L": [s("x"), {"BOOL": True}]}, "e": s("")}
    assert ddb.put_item(TableName=TABLE, Item=item) == {}
    got = ddb.get_item(TableName=TABLE, Key={"pk": s("a")})
    # Numbers come back as DynamoDB returns them.
    assert got == {"Item": {**item, "n": n("1.5")}}


def test_get_missing_item_has_no_item_member(ddb):
    assert ddb.get_item(TableName=TABLE, Key={"pk": s("nope")}) == {}


def test_get_with_projection(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "x": n(1), "m": {"M": {"y": n(2), "z": n(3)}}})
    got = ddb.get_item(
        TableName=TABLE,
        Key={"pk": s("a")},
        ProjectionExpression="#x, m.z",
        ExpressionAttributeNames={"#x": "x"},
    )
    assert got == {"Item": {"x": n(1), "m": {"M": {"z": n(3)}}}}


def test_put_replaces_whole_item(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "old": n(1)})
    assert ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "new": n(2)}, ReturnValues="ALL_OLD") == {
        "Attributes": {"pk": s("a"), "old": n(1)}
    }
    assert ddb.get_item(TableName=TABLE, Key={"pk": s("a")})["Item"] == {"pk": s("a"), "new": n(2)}


@pytest.mark.parametrize("operation", ["put_item", "get_item", "update_item", "delete_item", "scan"])
def test_missing_table(ddb, operation):
    params = {"TableName": "missing"}
    if operation == "put_item":
        params["Item"] = {"pk": s("a")}
    elif operation != "scan":
        params["Key"] = {"pk": s("a")}
    err = error_of(getattr(ddb, operation), **params)
    # AWS names the table for DescribeTable/DeleteTable but not for item operations.
    assert (err.code, err.message, err.status) == (
        "ResourceNotFoundException",
        "Requested resource not found",
        400,
    )


def test_item_operations_accept_a_table_arn(ddb):
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    ddb.put_item(TableName=arn, Item={"pk": s("a")})
    assert ddb.get_item(TableName=arn, Key={"pk": s("a")}) == {"Item": {"pk": s("a")}}


# -- key validation --------------------------------------------------------------------------------

KEY_MISMATCH = "The provided key element does not match the schema"


@pytest.mark.parametrize(
    "key",
    [
        {"other": s("a")},
        {"pk": s("a"), "extra": s("b")},
        {"pk": n(1)},
        {},
    ],
)
@pytest.mark.parametrize("operation", ["get_item", "update_item", "delete_item"])
def test_key_does_not_match_schema(ddb, operation, key):
    assert_validation(getattr(ddb, operation), KEY_MISMATCH, TableName=TABLE, Key=key)


def test_sorted_table_key_needs_both_parts(ddb):
    assert_validation(ddb.get_item, KEY_MISMATCH, TableName="sorted", Key={"pk": s("a")})
    assert_validation(ddb.get_item, KEY_MISMATCH, TableName="sorted", Key={"pk": s("a"), "sk": s("1")})


def test_put_item_missing_key(ddb):
    assert_validation(
        ddb.put_item,
        "One or more parameter values were invalid: Missing the key pk in the item",
        TableName=TABLE,
        Item={"x": s("a")},
    )
    assert_validation(
        ddb.put_item,
        "One or more parameter values were invalid: Missing the key sk in the item",
        TableName="sorted",
        Item={"pk": s("a")},
    )


def test_put_item_key_type_mismatch(ddb):
    assert_validation(
        ddb.put_item,
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
        TableName=TABLE,
        Item={"pk": n(1)},
    )


def test_empty_string_key(ddb):
    message = (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
        "an empty string value. Key: pk"
    )
    assert_validation(ddb.put_item, message, TableName=TABLE, Item={"pk": s("")})
    assert_validation(ddb.get_item, message, TableName=TABLE, Key={"pk": s("")})
    assert_validation(ddb.update_item, message, TableName=TABLE, Key={"pk": s("")})


def test_key_size_limits(ddb):
    assert_validation(
        ddb.put_item,
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        TableName=TABLE,
        Item={"pk": s("x" * 2049)},
    )
    ddb.put_item(TableName=TABLE, Item={"pk": s("x" * 2048)})
    # The range-key limit is checked with a binary key in test_binary_keys (numbers never reach it).


def test_invalid_number_in_key(ddb):
    assert_validation(
        ddb.get_item,
        "The parameter cannot be converted to a numeric value: one",
        TableName="sorted",
        Key={"pk": s("a"), "sk": n("one")},
    )


# -- conditions and ReturnValues -----------------------------------------------------------------


def test_conditional_put_attribute_not_exists(ddb):
    params = {
        "TableName": TABLE,
        "Item": {"pk": s("a"), "v": n(1)},
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    assert ddb.put_item(**params) == {}
    err = error_of(ddb.put_item, **{**params, "Item": {"pk": s("a"), "v": n(2)}})
    assert (err.code, err.message, err.status) == (
        "ConditionalCheckFailedException",
        "The conditional request failed",
        400,
    )
    assert err.fields == {}
    assert ddb.get_item(TableName=TABLE, Key={"pk": s("a")})["Item"]["v"] == n(1)


def test_condition_failure_returns_old_item_when_asked(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "v": n(1)})
    for operation, extra in [
        ("put_item", {"Item": {"pk": s("a"), "v": n(9)}}),
        ("update_item", {"Key": {"pk": s("a")}, "UpdateExpression": "SET v = :nine"}),
        ("delete_item", {"Key": {"pk": s("a")}}),
    ]:
        values = {":two": n(2)}
        if operation == "update_item":
            values[":nine"] = n(9)
        err = error_of(
            getattr(ddb, operation),
            TableName=TABLE,
            ConditionExpression="v = :two",
            ExpressionAttributeValues=values,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **extra,
        )
        assert err.code == "ConditionalCheckFailedException"
        assert err.fields == {"Item": {"pk": s("a"), "v": n(1)}}
    # Nothing to return when the item does not exist.
    err = error_of(
        ddb.put_item,
        TableName=TABLE,
        Item={"pk": s("b")},
        ConditionExpression="attribute_exists(pk)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    assert err.fields == {}


def test_conditional_put_race_has_one_winner(ddb):
    def attempt(i: int) -> str:
        try:
            ddb.put_item(
                TableName=TABLE,
                Item={"pk": s("contested"), "writer": n(i)},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return "won"
        except AWSError as err:
            return err.code

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(attempt, range(64)))
    assert outcomes.count("won") == 1
    assert outcomes.count("ConditionalCheckFailedException") == 63


@pytest.mark.parametrize("operation", ["put_item", "delete_item"])
def test_put_and_delete_return_values(ddb, operation):
    params = {"Item": {"pk": s("a")}} if operation == "put_item" else {"Key": {"pk": s("a")}}
    assert_validation(
        getattr(ddb, operation),
        "ReturnValues can only be ALL_OLD or NONE",
        TableName=TABLE,
        ReturnValues="ALL_NEW",
        **params,
    )
    assert_validation(
        getattr(ddb, operation),
        "1 validation error detected: Value 'EVERYTHING' at 'returnValues' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        TableName=TABLE,
        ReturnValues="EVERYTHING",
        **params,
    )


def test_update_return_values(ddb):
    key = {"pk": s("a")}
    update = {"UpdateExpression": "SET a = :a, b = :b", "ExpressionAttributeValues": {":a": n(1), ":b": n(2)}}
    # On a new item: UPDATED_OLD and ALL_OLD return nothing.
    assert ddb.update_item(TableName=TABLE, Key=key, ReturnValues="UPDATED_OLD", **update) == {}
    update = {"UpdateExpression": "SET a = :a REMOVE c", "ExpressionAttributeValues": {":a": n(5)}}
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "a": n(1), "b": n(2), "c": n(3)})
    assert ddb.update_item(TableName=TABLE, Key=key, ReturnValues="UPDATED_OLD", **update) == {
        "Attributes": {"a": n(1), "c": n(3)}
    }
    assert ddb.update_item(TableName=TABLE, Key=key, ReturnValues="UPDATED_NEW", **update) == {
        "Attributes": {"a": n(5)}
    }
    assert ddb.update_item(TableName=TABLE, Key=key, ReturnValues="ALL_NEW", **update) == {
        "Attributes": {"pk": s("a"), "a": n(5), "b": n(2)}
    }
    assert ddb.update_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD", **update) == {
        "Attributes": {"pk": s("a"), "a": n(5), "b": n(2)}
    }
    assert ddb.update_item(TableName=TABLE, Key=key, ReturnValues="NONE", **update) == {}
    assert_validation(
        ddb.update_item,
        "1 validation error detected: Value 'NEW' at 'returnValues' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        TableName=TABLE,
        Key=key,
        ReturnValues="NEW",
        **update,
    )


def test_return_values_on_condition_check_failure_enum(ddb):
    assert_validation(
        ddb.put_item,
        "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
        TableName=TABLE,
        Item={"pk": s("a")},
        ReturnValuesOnConditionCheckFailure="ALL_NEW",
    )


# -- UpdateItem ------------------------------------------------------------------------------------

SEED_UPDATE = {
    "UpdateExpression": "ADD #name :increment",
    "ExpressionAttributeNames": {"#name": "count"},
    "ExpressionAttributeValues": {":increment": n(1)},
    "ReturnValues": "UPDATED_NEW",
}


def test_seed_add_creates_then_counts(ddb):
    first = ddb.update_item(TableName=TABLE, Key={"pk": s("k")}, **SEED_UPDATE)
    assert first == {"Attributes": {"count": n(1)}}
    second = ddb.update_item(TableName=TABLE, Key={"pk": s("k")}, **SEED_UPDATE)
    assert second == {"Attributes": {"count": n(2)}}
    assert ddb.get_item(TableName=TABLE, Key={"pk": s("k")}) == {"Item": {"pk": s("k"), "count": n(2)}}


def test_seed_add_counting_is_exact_under_concurrency(ddb):
    keys = [f"key-{i:03d}" for i in range(100)]

    def bump(i: int) -> None:
        ddb.update_item(TableName=TABLE, Key={"pk": s(keys[i % 100])}, **SEED_UPDATE)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(bump, range(1000)))
    counts = {}
    page = ddb.scan(TableName=TABLE)
    for item in page["Items"]:
        counts[item["pk"]["S"]] = item["count"]["N"]
    assert counts == {key: "10" for key in keys}


def test_update_without_expression_creates_key_only_item(ddb):
    assert ddb.update_item(TableName=TABLE, Key={"pk": s("bare")}, ReturnValues="ALL_NEW") == {
        "Attributes": {"pk": s("bare")}
    }
    assert ddb.get_item(TableName=TABLE, Key={"pk": s("bare")}) == {"Item": {"pk": s("bare")}}


def test_update_cannot_touch_key(ddb):
    assert_validation(
        ddb.update_item,
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
        TableName=TABLE,
        Key={"pk": s("a")},
        UpdateExpression="SET pk = :v",
        ExpressionAttributeValues={":v": s("b")},
    )
    assert_validation(
        ddb.update_item,
        "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key",
        TableName="sorted",
        Key={"pk": s("a"), "sk": n(1)},
        UpdateExpression="REMOVE #s",
        ExpressionAttributeNames={"#s": "sk"},
    )


def test_update_with_condition(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "version": n(1)})
    update = {
        "TableName": TABLE,
        "Key": {"pk": s("a")},
        "UpdateExpression": "SET version = version + :one",
        "ConditionExpression": "version = :expected",
        "ExpressionAttributeValues": {":one": n(1), ":expected": n(1)},
        "ReturnValues": "UPDATED_NEW",
    }
    assert ddb.update_item(**update) == {"Attributes": {"version": n(2)}}
    assert error_of(ddb.update_item, **update).code == "ConditionalCheckFailedException"


def test_update_data_errors(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "text": s("x")})
    assert_validation(
        ddb.update_item,
        "An operand in the update expression has an incorrect data type",
        TableName=TABLE,
        Key={"pk": s("a")},
        UpdateExpression="ADD #t :one",
        ExpressionAttributeNames={"#t": "text"},
        ExpressionAttributeValues={":one": n(1)},
    )


# -- DeleteItem ------------------------------------------------------------------------------------


def test_delete_item(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "v": n(1)})
    assert ddb.delete_item(TableName=TABLE, Key={"pk": s("a")}, ReturnValues="ALL_OLD") == {
        "Attributes": {"pk": s("a"), "v": n(1)}
    }
    assert ddb.get_item(TableName=TABLE, Key={"pk": s("a")}) == {}
    # Deleting a missing item is not an error, and returns nothing.
    assert ddb.delete_item(TableName=TABLE, Key={"pk": s("a")}, ReturnValues="ALL_OLD") == {}


def test_conditional_delete(ddb):
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "v": n(1)})
    params = {"TableName": TABLE, "Key": {"pk": s("a")}, "ConditionExpression": "v > :x"}
    assert error_of(ddb.delete_item, **params, ExpressionAttributeValues={":x": n(1)}).code == (
        "ConditionalCheckFailedException"
    )
    ddb.delete_item(**params, ExpressionAttributeValues={":x": n(0)})
    assert ddb.get_item(TableName=TABLE, Key={"pk": s("a")}) == {}


# -- item size and capacity ------------------------------------------------------------------------


def test_item_size_limit(ddb):
    # 400 KB exactly is accepted: the name "pk" (2) + "a" (1) + "big" (3) + the value.
    ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "big": s("x" * (409_600 - 6))})
    assert_validation(
        ddb.put_item,
        "Item size has exceeded the maximum allowed size",
        TableName=TABLE,
        Item={"pk": s("a"), "big": s("x" * (409_600 - 5))},
    )
    assert_validation(
        ddb.update_item,
        "Item size to update has exceeded the maximum allowed size",
        TableName=TABLE,
        Key={"pk": s("a")},
        UpdateExpression="SET more = :v",
        ExpressionAttributeValues={":v": s("yy")},
    )


def test_consumed_capacity(ddb):
    def put(size: int, **extra):
        body = "x" * (size - len("pk") - len("a") - len("v"))
        return ddb.put_item(TableName=TABLE, Item={"pk": s("a"), "v": s(body)}, **extra)

    assert put(100) == {}
    assert put(100, ReturnConsumedCapacity="NONE") == {}
    assert put(1024, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"] == {
        "TableName": TABLE,
        "CapacityUnits": 1.0,
    }
    # A put is charged for the larger of the old and the new item.
    assert put(100, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert put(1025, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"] == 2.0
    assert put(5000, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"] == {
        "TableName": TABLE,
        "CapacityUnits": 5.0,
        "Table": {"CapacityUnits": 5.0},
    }

    def read(**extra):
        return ddb.get_item(TableName=TABLE, Key={"pk": s("a")}, ReturnConsumedCapacity="TOTAL", **extra)[
            "ConsumedCapacity"
        ]["CapacityUnits"]

    assert read() == 1.0  # 5000 bytes: two 4 KB blocks, eventually consistent
    assert read(ConsistentRead=True) == 2.0
    put(4096)
    assert read() == 0.5 and read(ConsistentRead=True) == 1.0
    assert (
        ddb.get_item(TableName=TABLE, Key={"pk": s("none")}, ReturnConsumedCapacity="TOTAL")[
            "ConsumedCapacity"
        ]["CapacityUnits"]
        == 0.5
    )
    deleted = ddb.delete_item(TableName=TABLE, Key={"pk": s("a")}, ReturnConsumedCapacity="TOTAL")
    assert deleted["ConsumedCapacity"]["CapacityUnits"] == 4.0
    assert_validation(
        ddb.get_item,
        "1 validation error detected: Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: "
        "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        TableName=TABLE,
        Key={"pk": s("a")},
        ReturnConsumedCapacity="ALL",
    )


# -- parameters ------------------------------------------------------------------------------------


def test_legacy_parameters(ddb):
    assert_validation(
        ddb.get_item,
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
        TableName=TABLE,
        Key={"pk": s("a")},
        AttributesToGet=["a"],
        ProjectionExpression="a",
    )
    err = error_of(ddb.get_item, TableName=TABLE, Key={"pk": s("a")}, AttributesToGet=["a"])
    assert err.code == "ValidationException" and "AttributesToGet" in err.message
    err = error_of(ddb.put_item, TableName=TABLE, Item={"pk": s("a")}, Expected={"a": {"Exists": False}})
    assert err.code == "ValidationException" and "Expected" in err.message


def test_placeholder_maps_without_expressions(ddb):
    assert_validation(
        ddb.put_item,
        "ExpressionAttributeNames can only be specified when using expressions",
        TableName=TABLE,
        Item={"pk": s("a")},
        ExpressionAttributeNames={"#a": "a"},
    )
    assert_validation(
        ddb.update_item,
        "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression is null and "
        "ConditionExpression is null",
        TableName=TABLE,
        Key={"pk": s("a")},
        ExpressionAttributeValues={":a": n(1)},
    )


def test_expression_errors_come_through(ddb):
    assert_validation(
        ddb.update_item,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
        TableName=TABLE,
        Key={"pk": s("a")},
        UpdateExpression="SET a = :a",
        ExpressionAttributeValues={":a": n(1), ":unused": n(2)},
    )
    err = error_of(
        ddb.update_item,
        TableName=TABLE,
        Key={"pk": s("a")},
        UpdateExpression="SET a = :a,",
        ExpressionAttributeValues={":a": n(1)},
    )
    assert err.code == "ValidationException" and err.message.startswith(
        "Invalid UpdateExpression: Syntax error;"
    )
    err = error_of(ddb.update_item, TableName=TABLE, Key={"pk": s("a")}, UpdateExpression="SET a = :missing")
    assert err.message == (
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
        "attribute value: :missing"
    )
    err = error_of(
        ddb.put_item,
        TableName=TABLE,
        Item={"pk": s("a")},
        ConditionExpression="begins_with(#a, :n)",
        ExpressionAttributeNames={"#a": "a"},
        ExpressionAttributeValues={":n": n(1)},
    )
    assert (err.code, err.message) == (
        "ValidationException",
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: "
        "begins_with, operand type: N",
    )


# -- keys of every type ----------------------------------------------------------------------------


def test_binary_keys(ddb):
    ddb.create_table(
        TableName="binary",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "B"},
            {"AttributeName": "sk", "AttributeType": "B"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    pk = {"B": base64.b64encode(b"\x00\xffpartition").decode()}
    sort_keys = [b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]
    for raw in reversed(sort_keys):
        ddb.put_item(TableName="binary", Item={"pk": pk, "sk": {"B": base64.b64encode(raw).decode()}})
    got = ddb.get_item(TableName="binary", Key={"pk": pk, "sk": {"B": base64.b64encode(b"\x80").decode()}})
    assert got["Item"]["pk"] == pk
    # One partition: a scan returns it in sort-key order, binaries as unsigned bytes.
    order = [base64.b64decode(item["sk"]["B"]) for item in ddb.scan(TableName="binary")["Items"]]
    assert order == sort_keys
    assert_validation(
        ddb.put_item,
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
        "an empty binary value. Key: sk",
        TableName="binary",
        Item={"pk": pk, "sk": {"B": ""}},
    )
    assert_validation(
        ddb.put_item,
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size "
        "limit of 1024 bytes",
        TableName="binary",
        Item={"pk": pk, "sk": {"B": base64.b64encode(b"x" * 1025).decode()}},
    )


def test_numeric_sort_keys_order(ddb):
    numbers = ["-1E+10", "-100", "-2.5", "-0.001", "0", "1E-130", "0.5", "1", "2", "10", "10.5", "1E+125"]
    for text in reversed(numbers):
        ddb.put_item(TableName="sorted", Item={"pk": s("p"), "sk": n(text)})
    # "1.0" is the same key as "1".
    ddb.put_item(TableName="sorted", Item={"pk": s("p"), "sk": n("1.0"), "dup": {"BOOL": True}})
    items = ddb.scan(TableName="sorted")["Items"]
    from decimal import Decimal

    assert [Decimal(i["sk"]["N"]) for i in items] == [Decimal(x) for x in numbers]
    assert items[numbers.index("1")] == {"pk": s("p"), "sk": n(1), "dup": {"BOOL": True}}


def test_secondary_index_key_types_are_checked(ddb):
    ddb.create_table(
        TableName="indexed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="indexed", Item={"pk": s("a")})
    ddb.put_item(TableName="indexed", Item={"pk": s("a"), "g": n(1)})
    assert_validation(
        ddb.put_item,
        "One or more parameter values were invalid: Type mismatch for Index Key g Expected: N Actual: S "
        "IndexName: by_g",
        TableName="indexed",
        Item={"pk": s("a"), "g": s("one")},
    )


# -- durability and streams ------------------------------------------------------------------------


def test_items_survive_a_restart(ddb):
    for i in range(50):
        ddb.update_item(TableName=TABLE, Key={"pk": s(f"k{i}")}, **SEED_UPDATE)
    ddb.put_item(TableName="sorted", Item={"pk": s("p"), "sk": n("3.25"), "bin": {"B": "AAE="}})
    ddb.reopen()
    assert ddb.scan(TableName=TABLE, Select="COUNT")["Count"] == 50
    assert ddb.get_item(TableName="sorted", Key={"pk": s("p"), "sk": n("3.250")}) == {
        "Item": {"pk": s("p"), "sk": n("3.25"), "bin": {"B": "AAE="}}
    }
    assert ddb.update_item(TableName=TABLE, Key={"pk": s("k7")}, **SEED_UPDATE) == {
        "Attributes": {"count": n(2)}
    }


def test_stream_hook_sees_every_change_of_a_streamed_table(ddb, monkeypatch):
    seen = []
    monkeypatch.setattr(
        item_operations, "record_change", lambda call, table, old, new: seen.append((old, new))
    )
    ddb.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="streamed", Item={"pk": s("a")})
    ddb.update_item(
        TableName="streamed",
        Key={"pk": s("a")},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": n(1)},
    )
    ddb.delete_item(TableName="streamed", Key={"pk": s("a")})
    ddb.delete_item(TableName="streamed", Key={"pk": s("a")})  # nothing deleted: no record
    ddb.put_item(TableName=TABLE, Item={"pk": s("a")})  # no stream: no record
    assert seen == [
        (None, {"pk": s("a")}),
        ({"pk": s("a")}, {"pk": s("a"), "v": n(1)}),
        ({"pk": s("a"), "v": n(1)}, None),
    ]
