"""DynamoDB Query in-process: key conditions, order, pagination, filters, AWS's key-condition errors."""

from __future__ import annotations

import base64

import pytest

from tidal.services.dynamodb.in_process import InProcessDynamoDB

from .helpers import error_of, n, s


@pytest.fixture(scope="module")
def ddb(tmp_path_factory):
    client = InProcessDynamoDB(tmp_path_factory.mktemp("query"))
    client.create_table(
        TableName="events",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.create_table(
        TableName="names",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.create_table(
        TableName="flat",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def load(tx):
        call = client.make_call(tx)
        for p in ("a", "b"):
            for i in range(-50, 50):
                item = {"pk": s(p), "sk": n(i), "odd": {"BOOL": i % 2 != 0}}
                client.service.put_item(call, {"TableName": "events", "Item": item})
        for word in ("apple", "apricot", "banana", "app", "b", "\u00e9clair", "zebra", "ap\uffff"):
            client.service.put_item(call, {"TableName": "names", "Item": {"pk": s("w"), "sk": s(word)}})
        client.service.put_item(call, {"TableName": "flat", "Item": {"pk": s("one"), "v": n(1)}})

    client.env.db.write_sync(load)
    yield client
    client.close()


def keys(page: dict) -> list:
    return [int(item["sk"]["N"]) if "N" in item["sk"] else item["sk"]["S"] for item in page["Items"]]


def query(ddb, table="events", **params) -> dict:
    return ddb.query(TableName=table, **params)


def test_whole_partition_in_order(ddb):
    page = query(ddb, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("a")})
    assert keys(page) == list(range(-50, 50))
    assert page["Count"] == page["ScannedCount"] == 100 and "LastEvaluatedKey" not in page
    backwards = query(
        ddb,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": s("a")},
        ScanIndexForward=False,
    )
    assert keys(backwards) == list(range(49, -51, -1))


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ("sk = :x", {":x": n(3)}, [3]),
        ("sk < :x", {":x": n(-47)}, [-50, -49, -48]),
        ("sk <= :x", {":x": n(-48)}, [-50, -49, -48]),
        ("sk > :x", {":x": n(46)}, [47, 48, 49]),
        ("sk >= :x", {":x": n("47.0")}, [47, 48, 49]),
        ("sk BETWEEN :lo AND :hi", {":lo": n("-1.5"), ":hi": n(1)}, [-1, 0, 1]),
        (":x < sk", {":x": n(46)}, [47, 48, 49]),  # the value may come first
    ],
)
def test_sort_key_conditions(ddb, condition, values, expected):
    page = query(
        ddb,
        KeyConditionExpression=f"pk = :p AND {condition}",
        ExpressionAttributeValues={":p": s("b"), **values},
    )
    assert keys(page) == expected


def test_condition_order_and_parentheses(ddb):
    page = query(
        ddb,
        KeyConditionExpression="(#s BETWEEN :lo AND :hi) AND (#p = :p)",
        ExpressionAttributeNames={"#s": "sk", "#p": "pk"},
        ExpressionAttributeValues={":p": s("a"), ":lo": n(0), ":hi": n(2)},
    )
    assert keys(page) == [0, 1, 2]


def test_begins_with_on_strings_and_utf8_order(ddb):
    page = query(
        ddb,
        "names",
        KeyConditionExpression="pk = :p AND begins_with(sk, :pre)",
        ExpressionAttributeValues={":p": s("w"), ":pre": s("ap")},
    )
    assert keys(page) == sorted(["app", "apple", "apricot", "ap\uffff"], key=lambda w: w.encode())
    everything = query(
        ddb, "names", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("w")}
    )
    words = keys(everything)
    assert words == sorted(words, key=lambda w: w.encode()) and words[-1] == "\u00e9clair"


def test_hash_only_table(ddb):
    page = query(ddb, "flat", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("one")})
    assert page["Items"] == [{"pk": s("one"), "v": n(1)}]
    assert (
        query(ddb, "flat", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("x")})[
            "Items"
        ]
        == []
    )


def test_pagination_forward_and_backward(ddb):
    for forward in (True, False):
        seen: list[int] = []
        params = {
            "KeyConditionExpression": "pk = :p AND sk >= :lo",
            "ExpressionAttributeValues": {":p": s("a"), ":lo": n(-10)},
            "Limit": 7,
            "ScanIndexForward": forward,
        }
        while True:
            page = query(ddb, **params)
            seen.extend(keys(page))
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        expected = list(range(-10, 50))
        assert seen == (expected if forward else expected[::-1])


def test_filter_count_and_projection(ddb):
    page = query(
        ddb,
        KeyConditionExpression="pk = :p",
        FilterExpression="odd = :t",
        ExpressionAttributeValues={":p": s("a"), ":t": {"BOOL": True}},
        Limit=10,
        ProjectionExpression="sk",
    )
    assert page["ScannedCount"] == 10 and page["Count"] == 5
    assert all(set(item) == {"sk"} for item in page["Items"])
    counted = query(
        ddb, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("a")}, Select="COUNT"
    )
    assert counted == {"Count": 100, "ScannedCount": 100}


def test_query_capacity(ddb):
    page = query(
        ddb,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": s("a")},
        ReturnConsumedCapacity="TOTAL",
        ConsistentRead=True,
    )
    assert page["ConsumedCapacity"] == {"TableName": "events", "CapacityUnits": 1.0}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"KeyConditionExpression": "sk = :x", "ExpressionAttributeValues": {":x": n(1)}},
            "Query condition missed key schema element: pk",
        ),
        (
            {"KeyConditionExpression": "pk > :p", "ExpressionAttributeValues": {":p": s("a")}},
            "Query key condition not supported",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p OR sk = :x",
                "ExpressionAttributeValues": {":p": s("a"), ":x": n(1)},
            },
            "Invalid operator used in KeyConditionExpression: OR",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p AND sk <> :x",
                "ExpressionAttributeValues": {":p": s("a"), ":x": n(1)},
            },
            "Invalid operator used in KeyConditionExpression: <>",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p AND attribute_exists(sk)",
                "ExpressionAttributeValues": {":p": s("a")},
            },
            "Invalid operator used in KeyConditionExpression: attribute_exists",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p AND pk = :q",
                "ExpressionAttributeValues": {":p": s("a"), ":q": s("b")},
            },
            "KeyConditionExpressions must only contain one condition per key",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p AND extra = :x",
                "ExpressionAttributeValues": {":p": s("a"), ":x": n(1)},
            },
            "Query condition missed key schema element: sk",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p AND sk.x = :x",
                "ExpressionAttributeValues": {":p": s("a"), ":x": n(1)},
            },
            "KeyConditionExpressions cannot have conditions on nested attributes",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p AND sk = :x",
                "ExpressionAttributeValues": {":p": s("a"), ":x": s("1")},
            },
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p",
                "FilterExpression": "sk > :x",
                "ExpressionAttributeValues": {":p": s("a"), ":x": n(1)},
            },
            "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": s("a"), ":extra": n(1)},
            },
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}",
        ),
        (
            {},
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ),
        (
            {
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": s("a")},
                "ExclusiveStartKey": {"pk": s("b"), "sk": n(1)},
            },
            "The provided starting key does not match the range key predicate",
        ),
    ],
)
def test_key_condition_errors(ddb, params, message):
    err = error_of(ddb.query, TableName="events", **params)
    assert (err.code, err.message) == ("ValidationException", message)


def test_begins_with_on_binary_sort_key(tmp_path):
    ddb = InProcessDynamoDB(tmp_path)
    ddb.create_table(
        TableName="bin",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "B"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    raw = [b"\x01", b"\x01\xff", b"\x01\xff\xff", b"\x02", b"\x01\x00"]
    for value in raw:
        ddb.put_item(TableName="bin", Item={"pk": s("p"), "sk": {"B": base64.b64encode(value).decode()}})
    page = ddb.query(
        TableName="bin",
        KeyConditionExpression="pk = :p AND begins_with(sk, :pre)",
        ExpressionAttributeValues={":p": s("p"), ":pre": {"B": base64.b64encode(b"\x01\xff").decode()}},
    )
    assert [base64.b64decode(i["sk"]["B"]) for i in page["Items"]] == [b"\x01\xff", b"\x01\xff\xff"]
    ddb.close()
