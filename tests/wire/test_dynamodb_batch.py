"""BatchWriteItem, BatchGetItem, TransactWriteItems and TransactGetItems through boto3 against a
real tidal server (fixtures in conftest.py).

The in-process tests (tests/unit/dynamodb/test_service_batch.py, test_service_transactions.py)
cover the semantics; these cover what the wire adds: the error members boto3 reads
(CancellationReasons with their items), Coral's validation before the service, binary and
number values through the resource API, and ``Table.batch_writer()``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons"


def unique(prefix: str = "batch") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def unvalidated(tidal_server):
    """A client that sends what botocore would refuse, so the server's own answer shows."""
    return tidal_server.client("dynamodb", parameter_validation=False)


@pytest.fixture
def tables(dynamodb):
    hashed, sorted_ = unique("hashed"), unique("sorted")
    dynamodb.create_table(
        TableName=hashed,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName=sorted_,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return hashed, sorted_


def count(dynamodb, table: str) -> int:
    pages = dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT", ConsistentRead=True)
    return sum(page["Count"] for page in pages)


# -- BatchWriteItem / BatchGetItem -----------------------------------------------------------------


def test_batch_write_then_get(dynamodb, tables):
    hashed, sorted_ = tables
    result = dynamodb.batch_write_item(
        RequestItems={
            hashed: [
                {"PutRequest": {"Item": {"pk": {"S": "a"}, "b": {"B": b"\x00\xff"}, "n": {"N": "1.50"}}}},
                {"PutRequest": {"Item": {"pk": {"S": "b"}}}},
            ],
            sorted_: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": str(i)}}}} for i in range(3)],
        },
        ReturnConsumedCapacity="TOTAL",
    )
    assert result["UnprocessedItems"] == {}
    assert sorted(result["ConsumedCapacity"], key=lambda c: c["TableName"]) == sorted(
        [{"TableName": hashed, "CapacityUnits": 2.0}, {"TableName": sorted_, "CapacityUnits": 3.0}],
        key=lambda c: c["TableName"],
    )
    dynamodb.batch_write_item(RequestItems={hashed: [{"DeleteRequest": {"Key": {"pk": {"S": "b"}}}}]})
    got = dynamodb.batch_get_item(
        RequestItems={
            hashed: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}], "ConsistentRead": True},
            sorted_: {
                "Keys": [{"pk": {"S": "a"}, "sk": {"N": "2"}}],
                "ProjectionExpression": "#s",
                "ExpressionAttributeNames": {"#s": "sk"},
            },
        }
    )
    assert got["UnprocessedKeys"] == {}
    assert got["Responses"][hashed] == [{"pk": {"S": "a"}, "b": {"B": b"\x00\xff"}, "n": {"N": "1.5"}}]
    assert got["Responses"][sorted_] == [{"sk": {"N": "2"}}]


def test_batch_write_errors(dynamodb, unvalidated, tables):
    hashed, sorted_ = tables
    item = {"PutRequest": {"Item": {"pk": {"S": "a"}}}}
    with pytest.raises(ClientError) as info:
        unvalidated.batch_write_item(RequestItems={})
    assert error(info) == (
        "ValidationException",
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        400,
    )
    with pytest.raises(ClientError) as info:
        dynamodb.batch_write_item(
            RequestItems={
                hashed: [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(13)],
                sorted_: [
                    {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"N": str(i)}}}} for i in range(13)
                ],
            }
        )
    assert error(info) == ("ValidationException", "Too many items requested for the BatchWriteItem call", 400)
    with pytest.raises(ClientError) as info:
        dynamodb.batch_write_item(
            RequestItems={hashed: [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(26)]}
        )
    assert error(info)[0] == "ValidationException"
    assert "less than or equal to 25" in error(info)[1]
    for request in ({}, {**item, "DeleteRequest": {"Key": {"pk": {"S": "b"}}}}):
        with pytest.raises(ClientError) as info:
            dynamodb.batch_write_item(RequestItems={hashed: [request]})
        assert error(info) == (
            "ValidationException",
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            400,
        )
    with pytest.raises(ClientError) as info:
        dynamodb.batch_write_item(
            RequestItems={hashed: [item, {"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}]}
        )
    assert error(info) == ("ValidationException", "Provided list of item keys contains duplicates", 400)
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException) as info:
        dynamodb.batch_write_item(RequestItems={hashed: [item], unique("missing"): [item]})
    assert error(info) == ("ResourceNotFoundException", "Requested resource not found", 400)
    with pytest.raises(ClientError) as info:
        dynamodb.batch_write_item(RequestItems={hashed: [item], sorted_: [item]})
    assert error(info) == ("ValidationException", "The provided key element does not match the schema", 400)
    # None of the failed batches wrote anything.
    assert count(dynamodb, hashed) == 0


def test_batch_get_errors(dynamodb, unvalidated, tables):
    hashed, sorted_ = tables
    with pytest.raises(ClientError) as info:
        unvalidated.batch_get_item(RequestItems={})
    assert error(info)[0] == "ValidationException"
    assert "greater than or equal to 1" in error(info)[1]
    with pytest.raises(ClientError) as info:
        dynamodb.batch_get_item(
            RequestItems={
                hashed: {"Keys": [{"pk": {"S": str(i)}} for i in range(60)]},
                sorted_: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(41)]},
            }
        )
    assert error(info) == ("ValidationException", "Too many items requested for the BatchGetItem call", 400)
    with pytest.raises(ClientError) as info:
        dynamodb.batch_get_item(RequestItems={hashed: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "a"}}]}})
    assert error(info) == ("ValidationException", "Provided list of item keys contains duplicates", 400)
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.batch_get_item(RequestItems={unique("missing"): {"Keys": [{"pk": {"S": "a"}}]}})


def test_resource_batch_writer_writes_1000_items(dynamodb, dynamodb_resource, tables):
    hashed, _ = tables
    table = dynamodb_resource.Table(hashed)
    with table.batch_writer() as writer:
        for i in range(1000):
            writer.put_item(Item={"pk": f"item-{i:04d}", "n": i, "tags": {"a", "b"}})
    assert count(dynamodb, hashed) == 1000
    got = table.get_item(Key={"pk": "item-0999"}, ConsistentRead=True)["Item"]
    assert got == {"pk": "item-0999", "n": Decimal(999), "tags": {"a", "b"}}

    # overwrite_by_pkeys drops the earlier of two writes to one key in a buffer, which the
    # batch would otherwise refuse as duplicates.
    with table.batch_writer(overwrite_by_pkeys=["pk"]) as writer:
        for i in range(1000):
            writer.put_item(Item={"pk": f"item-{i:04d}", "n": i, "round": 1})
            writer.put_item(Item={"pk": f"item-{i:04d}", "n": i, "round": 2})
        for i in range(0, 1000, 10):
            writer.delete_item(Key={"pk": f"item-{i:04d}"})
    assert count(dynamodb, hashed) == 900
    scanned = table.scan(FilterExpression=Attr("round").eq(2), Select="COUNT", ConsistentRead=True)
    total = scanned["Count"]
    while "LastEvaluatedKey" in scanned:
        scanned = table.scan(
            FilterExpression=Attr("round").eq(2),
            Select="COUNT",
            ExclusiveStartKey=scanned["LastEvaluatedKey"],
        )
        total += scanned["Count"]
    assert total == 900


def test_resource_batch_get(dynamodb_resource, tables):
    hashed, sorted_ = tables
    dynamodb_resource.Table(sorted_).put_item(Item={"pk": "p", "sk": Decimal("1.5"), "b": b"\x01"})
    got = dynamodb_resource.batch_get_item(
        RequestItems={
            sorted_: {"Keys": [{"pk": "p", "sk": Decimal("1.50")}]},
            hashed: {"Keys": [{"pk": "none"}]},
        }
    )
    assert got["Responses"][sorted_][0]["sk"] == Decimal("1.5")
    assert got["Responses"][sorted_][0]["b"].value == b"\x01"
    assert got["Responses"][hashed] == []


# -- TransactWriteItems / TransactGetItems ---------------------------------------------------------


def test_transact_write_and_get(dynamodb, tables):
    hashed, sorted_ = tables
    dynamodb.put_item(TableName=hashed, Item={"pk": {"S": "acc"}, "balance": {"N": "100"}})
    result = dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": hashed,
                    "Key": {"pk": {"S": "acc"}},
                    "UpdateExpression": "SET balance = balance - :a",
                    "ConditionExpression": "balance >= :a",
                    "ExpressionAttributeValues": {":a": {"N": "30"}},
                }
            },
            {"Put": {"TableName": sorted_, "Item": {"pk": {"S": "log"}, "sk": {"N": "1"}}}},
            {
                "ConditionCheck": {
                    "TableName": hashed,
                    "Key": {"pk": {"S": "x"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ],
        ClientRequestToken=str(uuid.uuid4()),
        ReturnConsumedCapacity="TOTAL",
    )
    assert sorted(result["ConsumedCapacity"], key=lambda c: c["CapacityUnits"]) == [
        {"TableName": sorted_, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
        {"TableName": hashed, "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
    ]
    got = dynamodb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": hashed, "Key": {"pk": {"S": "acc"}}, "ProjectionExpression": "balance"}},
            {"Get": {"TableName": hashed, "Key": {"pk": {"S": "x"}}}},
            {"Get": {"TableName": sorted_, "Key": {"pk": {"S": "log"}, "sk": {"N": "1"}}}},
        ]
    )
    assert got["Responses"] == [
        {"Item": {"balance": {"N": "70"}}},
        {},
        {"Item": {"pk": {"S": "log"}, "sk": {"N": "1"}}},
    ]


def test_transaction_cancellation_reasons(dynamodb, tables):
    hashed, sorted_ = tables
    dynamodb.put_item(TableName=hashed, Item={"pk": {"S": "acc"}, "balance": {"N": "5"}, "b": {"B": b"\x07"}})
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as info:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": sorted_, "Item": {"pk": {"S": "log"}, "sk": {"N": "1"}}}},
                {
                    "Update": {
                        "TableName": hashed,
                        "Key": {"pk": {"S": "acc"}},
                        "UpdateExpression": "SET balance = balance - :a",
                        "ConditionExpression": "balance >= :a",
                        "ExpressionAttributeValues": {":a": {"N": "30"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    assert error(info) == ("TransactionCanceledException", f"{CANCELLED} [None, ConditionalCheckFailed]", 400)
    assert info.value.response["CancellationReasons"] == [
        {"Code": "None"},
        {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
            "Item": {"pk": {"S": "acc"}, "balance": {"N": "5"}, "b": {"B": b"\x07"}},
        },
    ]
    # Nothing was written.
    assert count(dynamodb, sorted_) == 0
    assert dynamodb.get_item(TableName=hashed, Key={"pk": {"S": "acc"}})["Item"]["balance"] == {"N": "5"}


def test_transaction_errors(dynamodb, unvalidated, tables):
    hashed, _ = tables
    put = {"Put": {"TableName": hashed, "Item": {"pk": {"S": "a"}}}}
    with pytest.raises(ClientError) as info:
        dynamodb.transact_write_items(
            TransactItems=[put, {"Delete": {"TableName": hashed, "Key": {"pk": {"S": "a"}}}}]
        )
    assert error(info) == (
        "ValidationException",
        "Transaction request cannot include multiple operations on one item",
        400,
    )
    with pytest.raises(ClientError) as info:
        dynamodb.transact_get_items(
            TransactItems=[{"Get": {"TableName": hashed, "Key": {"pk": {"S": "a"}}}}] * 2
        )
    assert error(info)[1] == "Transaction request cannot include multiple operations on one item"
    with pytest.raises(ClientError) as info:
        unvalidated.transact_write_items(
            TransactItems=[{"Put": {"TableName": hashed, "Item": {"pk": {"S": str(i)}}}} for i in range(101)]
        )
    assert error(info)[0] == "ValidationException"
    assert "Member must have length less than or equal to 100" in error(info)[1]
    with pytest.raises(ClientError) as info:
        dynamodb.transact_write_items(TransactItems=[put, {}])
    assert error(info) == (
        "ValidationException",
        "The action or operation requested is invalid. Verify that the action is typed correctly.",
        400,
    )
    with pytest.raises(ClientError) as info:
        dynamodb.transact_write_items(
            TransactItems=[{**put, "Delete": {"TableName": hashed, "Key": {"pk": {"S": "b"}}}}]
        )
    assert error(info) == (
        "ValidationException",
        "TransactItems can only contain one of Check, Put, Update or Delete",
        400,
    )
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.transact_write_items(
            TransactItems=[put, {"Put": {"TableName": unique("missing"), "Item": {"pk": {"S": "a"}}}}]
        )
    assert count(dynamodb, hashed) == 0
    # 100 actions is the limit, not more.
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": hashed, "Item": {"pk": {"S": str(i)}}}} for i in range(100)]
    )
    assert count(dynamodb, hashed) == 100
