"""BatchWriteItem and BatchGetItem in-process."""

from __future__ import annotations

import pytest

from tidal.services.dynamodb import item_operations
from tidal.services.dynamodb.batch_operations import MAX_BATCH_GET_BYTES
from tidal.services.dynamodb.values import item_size

from .helpers import HASHED, SORTED, assert_validation, error_of, n, s

KEY_MISMATCH = "The provided key element does not match the schema"
DUPLICATES = "Provided list of item keys contains duplicates"
NOT_ONE = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"


def put(item: dict) -> dict:
    return {"PutRequest": {"Item": item}}


def delete(key: dict) -> dict:
    return {"DeleteRequest": {"Key": key}}


def all_items(ddb, table: str) -> list[dict]:
    return ddb.scan(TableName=table)["Items"]


# -- BatchWriteItem --------------------------------------------------------------------------------


def test_batch_write_puts_and_deletes_across_tables(ddb):
    ddb.put_item(TableName=HASHED, Item={"pk": s("gone")})
    result = ddb.batch_write_item(
        RequestItems={
            HASHED: [
                put({"pk": s("a"), "v": n("1.50")}),
                delete({"pk": s("gone")}),
                delete({"pk": s("never")}),
            ],
            SORTED: [put({"pk": s("a"), "sk": n(1)}), put({"pk": s("a"), "sk": n(2), "b": {"B": "AQI="}})],
        }
    )
    assert result == {"UnprocessedItems": {}}
    assert ddb.get_item(TableName=HASHED, Key={"pk": s("a")}) == {"Item": {"pk": s("a"), "v": n("1.5")}}
    assert ddb.get_item(TableName=HASHED, Key={"pk": s("gone")}) == {}
    assert len(all_items(ddb, SORTED)) == 2
    assert ddb.get_item(TableName=SORTED, Key={"pk": s("a"), "sk": n(2)})["Item"]["b"] == {"B": "AQI="}


def test_batch_write_overwrites(ddb):
    ddb.put_item(TableName=HASHED, Item={"pk": s("a"), "old": n(1)})
    ddb.batch_write_item(RequestItems={HASHED: [put({"pk": s("a"), "new": n(2)})]})
    assert all_items(ddb, HASHED) == [{"pk": s("a"), "new": n(2)}]


def test_batch_write_table_by_arn(ddb):
    arn = ddb.describe_table(TableName=HASHED)["Table"]["TableArn"]
    ddb.batch_write_item(RequestItems={arn: [put({"pk": s("a")})]})
    assert all_items(ddb, HASHED) == [{"pk": s("a")}]


def test_batch_write_25_requests_is_the_limit(ddb):
    requests = [put({"pk": s(str(i))}) for i in range(25)]
    assert ddb.batch_write_item(RequestItems={HASHED: requests}) == {"UnprocessedItems": {}}
    assert len(all_items(ddb, HASHED)) == 25
    too_many = "Too many items requested for the BatchWriteItem call"
    assert_validation(ddb.batch_write_item, too_many, RequestItems={HASHED: requests + [put({"pk": s("x")})]})
    # The limit is on the whole batch, not per table.
    assert_validation(
        ddb.batch_write_item,
        too_many,
        RequestItems={
            HASHED: [put({"pk": s(f"h{i}")}) for i in range(13)],
            SORTED: [put({"pk": s("p"), "sk": n(i)}) for i in range(13)],
        },
    )
    assert len(all_items(ddb, SORTED)) == 0


def test_batch_write_empty(ddb):
    assert_validation(
        ddb.batch_write_item,
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        RequestItems={},
    )
    assert_validation(
        ddb.batch_write_item,
        f"The batch write request list for a table cannot be null or empty: {HASHED}",
        RequestItems={HASHED: []},
    )


@pytest.mark.parametrize(
    "request_",
    [{}, {"PutRequest": {"Item": {"pk": s("a")}}, "DeleteRequest": {"Key": {"pk": s("b")}}}],
    ids=["neither", "both"],
)
def test_batch_write_request_needs_exactly_one_of_put_and_delete(ddb, request_):
    assert_validation(ddb.batch_write_item, NOT_ONE, RequestItems={HASHED: [put({"pk": s("ok")}), request_]})
    assert all_items(ddb, HASHED) == []


@pytest.mark.parametrize(
    "requests",
    [
        [put({"pk": s("a")}), put({"pk": s("a"), "v": n(1)})],
        [put({"pk": s("a")}), delete({"pk": s("a")})],
        [delete({"pk": s("a")}), put({"pk": s("a")})],
        [delete({"pk": s("a")}), delete({"pk": s("a")})],
    ],
    ids=["put-put", "put-delete", "delete-put", "delete-delete"],
)
def test_batch_write_two_operations_on_one_item(ddb, requests):
    assert_validation(
        ddb.batch_write_item, DUPLICATES, RequestItems={HASHED: [put({"pk": s("b")}), *requests]}
    )
    assert all_items(ddb, HASHED) == []


def test_batch_write_duplicates_compare_numbers_by_value(ddb):
    assert_validation(
        ddb.batch_write_item,
        DUPLICATES,
        RequestItems={SORTED: [put({"pk": s("a"), "sk": n("1")}), delete({"pk": s("a"), "sk": n("1.0")})]},
    )


def test_batch_write_same_key_in_two_tables_is_not_a_duplicate(ddb):
    ddb.batch_write_item(
        RequestItems={HASHED: [put({"pk": s("a")})], SORTED: [put({"pk": s("a"), "sk": n(1)})]}
    )
    assert len(all_items(ddb, HASHED)) == len(all_items(ddb, SORTED)) == 1


def test_batch_write_missing_table_writes_nothing(ddb):
    err = error_of(
        ddb.batch_write_item,
        RequestItems={HASHED: [put({"pk": s("a")})], "nosuchtable": [put({"pk": s("a")})]},
    )
    assert (err.code, err.message, err.status) == (
        "ResourceNotFoundException",
        "Requested resource not found",
        400,
    )
    assert all_items(ddb, HASHED) == []


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (put({"v": s("no key")}), KEY_MISMATCH),
        (put({"pk": n(1)}), KEY_MISMATCH),
        (delete({"pk": s("a"), "v": s("x")}), KEY_MISMATCH),
        (delete({"pk": n(1)}), KEY_MISMATCH),
        (
            put({"pk": s("")}),
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
            "an empty string value. Key: pk",
        ),
        (put({"pk": s("big"), "x": s("x" * 409_600)}), "Item size has exceeded the maximum allowed size"),
        (put({"pk": s("a"), "v": n("abc")}), "The parameter cannot be converted to a numeric value: abc"),
    ],
    ids=["missing-key", "key-type", "extra-key", "delete-key-type", "empty-key", "too-big", "bad-number"],
)
def test_batch_write_bad_request_writes_nothing(ddb, request_, message):
    assert_validation(
        ddb.batch_write_item, message, RequestItems={HASHED: [put({"pk": s("first")}), request_]}
    )
    assert all_items(ddb, HASHED) == []


def test_batch_write_put_without_the_sort_key(ddb):
    # Unlike PutItem ("Missing the key sk in the item"), a batch answers with the generic words.
    assert_validation(
        ddb.batch_write_item,
        KEY_MISMATCH,
        RequestItems={HASHED: [put({"pk": s("a")})], SORTED: [put({"pk": s("a")})]},
    )
    assert all_items(ddb, HASHED) == []


def test_batch_write_failure_while_writing_rolls_everything_back(ddb, monkeypatch):
    written = []
    original = item_operations.write_item

    def failing_write(conn, table_id, key, blob, size, exists=False):
        written.append(key)
        if len(written) == 3:
            raise RuntimeError("disk on fire")
        original(conn, table_id, key, blob, size, exists)

    monkeypatch.setattr(item_operations, "write_item", failing_write)
    with pytest.raises(RuntimeError):
        ddb.batch_write_item(RequestItems={HASHED: [put({"pk": s(str(i))}) for i in range(5)]})
    monkeypatch.undo()
    assert len(written) == 3
    assert all_items(ddb, HASHED) == []


def test_batch_write_records_every_change(ddb, monkeypatch):
    ddb.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.put_item(TableName="streamed", Item={"pk": s("old"), "v": n(1)})
    ddb.put_item(TableName="streamed", Item={"pk": s("gone")})
    changes = []
    monkeypatch.setattr(
        item_operations, "record_change", lambda call, table, old, new: changes.append((table.name, old, new))
    )
    ddb.batch_write_item(
        RequestItems={
            "streamed": [
                put({"pk": s("new")}),
                put({"pk": s("old"), "v": n(2)}),
                delete({"pk": s("gone")}),
                delete({"pk": s("never")}),
            ],
            HASHED: [put({"pk": s("unstreamed")})],
        }
    )
    assert changes == [
        ("streamed", None, {"pk": s("new")}),
        ("streamed", {"pk": s("old"), "v": n(1)}, {"pk": s("old"), "v": n(2)}),
        ("streamed", {"pk": s("gone")}, None),
    ]


def test_batch_write_consumed_capacity_per_table(ddb):
    big = {"pk": s("big"), "b": s("b" * 1500)}  # 2 write units
    result = ddb.batch_write_item(
        RequestItems={HASHED: [put(big), put({"pk": s("small")})], SORTED: [put({"pk": s("a"), "sk": n(1)})]},
        ReturnConsumedCapacity="TOTAL",
        ReturnItemCollectionMetrics="SIZE",
    )
    assert result == {
        "UnprocessedItems": {},
        "ConsumedCapacity": [
            {"TableName": HASHED, "CapacityUnits": 3.0},
            {"TableName": SORTED, "CapacityUnits": 1.0},
        ],
    }
    # A delete costs the size of what it deleted (at least one unit); INDEXES adds the table's part.
    result = ddb.batch_write_item(
        RequestItems={HASHED: [delete({"pk": s("big")}), delete({"pk": s("never")})]},
        ReturnConsumedCapacity="INDEXES",
    )
    assert result["ConsumedCapacity"] == [
        {"TableName": HASHED, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 3.0}}
    ]
    assert "ConsumedCapacity" not in ddb.batch_write_item(
        RequestItems={HASHED: [put({"pk": s("x")})]}, ReturnConsumedCapacity="NONE"
    )
    err = error_of(
        ddb.batch_write_item, RequestItems={HASHED: [put({"pk": s("y")})]}, ReturnConsumedCapacity="ALL"
    )
    assert err.code == "ValidationException" and "returnConsumedCapacity" in err.message


# -- BatchGetItem ----------------------------------------------------------------------------------


def seed(ddb) -> None:
    ddb.batch_write_item(
        RequestItems={
            HASHED: [
                put({"pk": s(k), "v": n(i), "m": {"M": {"x": n(i), "y": s(k)}}}) for i, k in enumerate("abc")
            ],
            SORTED: [put({"pk": s("p"), "sk": n(i), "v": s(f"v{i}")}) for i in range(3)],
        }
    )


def test_batch_get_across_tables(ddb):
    seed(ddb)
    result = ddb.batch_get_item(
        RequestItems={
            HASHED: {"Keys": [{"pk": s("c")}, {"pk": s("missing")}, {"pk": s("a")}]},
            SORTED: {"Keys": [{"pk": s("p"), "sk": n("2.0")}]},
        }
    )
    assert result["UnprocessedKeys"] == {}
    assert sorted(item["pk"]["S"] for item in result["Responses"][HASHED]) == ["a", "c"]
    assert result["Responses"][SORTED] == [{"pk": s("p"), "sk": n(2), "v": s("v2")}]


def test_batch_get_lists_every_table_even_without_items(ddb):
    seed(ddb)
    result = ddb.batch_get_item(
        RequestItems={HASHED: {"Keys": [{"pk": s("a")}]}, SORTED: {"Keys": [{"pk": s("nope"), "sk": n(1)}]}}
    )
    assert result["Responses"][SORTED] == []


def test_batch_get_projection_per_table(ddb):
    seed(ddb)
    result = ddb.batch_get_item(
        RequestItems={
            HASHED: {
                "Keys": [{"pk": s("b")}],
                "ProjectionExpression": "#v, m.y",
                "ExpressionAttributeNames": {"#v": "v"},
            },
            SORTED: {"Keys": [{"pk": s("p"), "sk": n(0)}], "ProjectionExpression": "sk"},
        }
    )
    assert result["Responses"] == {HASHED: [{"v": n(1), "m": {"M": {"y": s("b")}}}], SORTED: [{"sk": n(0)}]}


def test_batch_get_expression_parameter_rules(ddb):
    seed(ddb)
    assert_validation(
        ddb.batch_get_item,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#w}",
        RequestItems={
            HASHED: {
                "Keys": [{"pk": s("a")}],
                "ProjectionExpression": "#v",
                "ExpressionAttributeNames": {"#v": "v", "#w": "w"},
            }
        },
    )
    assert_validation(
        ddb.batch_get_item,
        "ExpressionAttributeNames can only be specified when using expressions",
        RequestItems={HASHED: {"Keys": [{"pk": s("a")}], "ExpressionAttributeNames": {"#v": "v"}}},
    )
    err = error_of(
        ddb.batch_get_item, RequestItems={HASHED: {"Keys": [{"pk": s("a")}], "AttributesToGet": ["v"]}}
    )
    assert err.code == "ValidationException" and "AttributesToGet" in err.message
    err = error_of(
        ddb.batch_get_item, RequestItems={HASHED: {"Keys": [{"pk": s("a")}], "ProjectionExpression": "v,"}}
    )
    assert err.code == "ValidationException" and err.message.startswith("Invalid ProjectionExpression: ")


def test_batch_get_100_keys_is_the_limit(ddb):
    keys = [{"pk": s(str(i))} for i in range(100)]
    assert ddb.batch_get_item(RequestItems={HASHED: {"Keys": keys}})["Responses"] == {HASHED: []}
    assert_validation(
        ddb.batch_get_item,
        "Too many items requested for the BatchGetItem call",
        RequestItems={
            HASHED: {"Keys": keys[:60]},
            SORTED: {"Keys": [{"pk": s("p"), "sk": n(i)} for i in range(41)]},
        },
    )


def test_batch_get_empty(ddb):
    assert_validation(
        ddb.batch_get_item,
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        RequestItems={},
    )
    assert_validation(
        ddb.batch_get_item,
        f"The list of keys in RequestItems for BatchGetItem is required: {HASHED} has empty list",
        RequestItems={HASHED: {"Keys": []}},
    )


def test_batch_get_duplicates(ddb):
    assert_validation(
        ddb.batch_get_item, DUPLICATES, RequestItems={HASHED: {"Keys": [{"pk": s("a")}, {"pk": s("a")}]}}
    )
    assert_validation(
        ddb.batch_get_item,
        DUPLICATES,
        RequestItems={SORTED: {"Keys": [{"pk": s("a"), "sk": n("10")}, {"pk": s("a"), "sk": n("1E1")}]}},
    )


def test_batch_get_missing_table_and_bad_keys(ddb):
    err = error_of(
        ddb.batch_get_item,
        RequestItems={HASHED: {"Keys": [{"pk": s("a")}]}, "nosuchtable": {"Keys": [{"pk": s("a")}]}},
    )
    assert (err.code, err.message) == ("ResourceNotFoundException", "Requested resource not found")
    assert_validation(ddb.batch_get_item, KEY_MISMATCH, RequestItems={SORTED: {"Keys": [{"pk": s("a")}]}})
    assert_validation(ddb.batch_get_item, KEY_MISMATCH, RequestItems={HASHED: {"Keys": [{"pk": n(1)}]}})


def test_batch_get_consumed_capacity(ddb):
    seed(ddb)
    ddb.put_item(TableName=HASHED, Item={"pk": s("big"), "b": s("b" * 5000)})  # two 4 KB blocks
    result = ddb.batch_get_item(
        RequestItems={
            HASHED: {"Keys": [{"pk": s("a")}, {"pk": s("big")}, {"pk": s("missing")}]},
            SORTED: {"Keys": [{"pk": s("p"), "sk": n(0)}], "ConsistentRead": True},
        },
        ReturnConsumedCapacity="TOTAL",
    )
    # Eventually consistent: half a unit per 4 KB block of each item, a missing item included.
    assert result["ConsumedCapacity"] == [
        {"TableName": HASHED, "CapacityUnits": 2.0},
        {"TableName": SORTED, "CapacityUnits": 1.0},
    ]


def test_batch_get_stops_at_16_mb_and_returns_the_rest(ddb):
    filler = "x" * 409_000
    keys = [{"pk": s(f"k{i:02d}")} for i in range(45)]
    for key in keys:
        ddb.put_item(TableName=HASHED, Item={**key, "f": s(filler), "v": n(1)})
    size = item_size({**keys[0], "f": s(filler), "v": n(1)})
    fit = MAX_BATCH_GET_BYTES // size
    assert fit < len(keys)
    wanted = {"Keys": keys, "ProjectionExpression": "pk, v", "ConsistentRead": True}
    result = ddb.batch_get_item(RequestItems={HASHED: wanted}, ReturnConsumedCapacity="TOTAL")
    got = result["Responses"][HASHED]
    assert len(got) == fit
    assert got[0] == {"pk": s("k00"), "v": n(1)}
    rest = result["UnprocessedKeys"][HASHED]
    assert rest == {"Keys": keys[fit:], "ProjectionExpression": "pk, v", "ConsistentRead": True}
    # Only what was read is charged: 100 blocks of 4 KB per item, strongly consistent.
    assert result["ConsumedCapacity"] == [{"TableName": HASHED, "CapacityUnits": float(fit * 100)}]
    again = ddb.batch_get_item(RequestItems=result["UnprocessedKeys"])
    assert again["UnprocessedKeys"] == {}
    assert {item["pk"]["S"] for item in got + again["Responses"][HASHED]} == {k["pk"]["S"] for k in keys}
