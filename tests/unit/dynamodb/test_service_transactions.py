"""TransactWriteItems and TransactGetItems in-process."""

from __future__ import annotations

import pytest

from tidal.services.dynamodb import item_operations

from .helpers import HASHED, SORTED, assert_validation, error_of, n, s

KEY_MISMATCH = "The provided key element does not match the schema"
MULTIPLE = "Transaction request cannot include multiple operations on one item"
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons"
FAILED = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
OK = {"Code": "None"}


def put(item: dict, table: str = HASHED, **extra) -> dict:
    return {"Put": {"TableName": table, "Item": item, **extra}}


def update(key: dict, expression: str, table: str = HASHED, **extra) -> dict:
    return {"Update": {"TableName": table, "Key": key, "UpdateExpression": expression, **extra}}


def delete(key: dict, table: str = HASHED, **extra) -> dict:
    return {"Delete": {"TableName": table, "Key": key, **extra}}


def check(key: dict, condition: str, table: str = HASHED, **extra) -> dict:
    return {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": condition, **extra}}


def get(key: dict, table: str = HASHED, **extra) -> dict:
    return {"Get": {"TableName": table, "Key": key, **extra}}


def cancellation(fn, **params) -> list[dict]:
    err = error_of(fn, **params)
    codes = ", ".join(reason["Code"] for reason in err.fields["CancellationReasons"])
    assert (err.code, err.message, err.status) == (
        "TransactionCanceledException",
        f"{CANCELLED} [{codes}]",
        400,
    )
    return err.fields["CancellationReasons"]


def snapshot(ddb) -> tuple[list, list]:
    return ddb.scan(TableName=HASHED)["Items"], ddb.scan(TableName=SORTED)["Items"]


@pytest.fixture
def seeded(ddb):
    ddb.put_item(TableName=HASHED, Item={"pk": s("acc-1"), "balance": n(100)})
    ddb.put_item(TableName=HASHED, Item={"pk": s("acc-2"), "balance": n(5)})
    ddb.put_item(TableName=SORTED, Item={"pk": s("log"), "sk": n(1), "note": s("opened")})
    return ddb


# -- TransactWriteItems: success -------------------------------------------------------------------


def test_every_action_applies(seeded):
    ddb = seeded
    result = ddb.transact_write_items(
        TransactItems=[
            update(
                {"pk": s("acc-1")},
                "SET balance = balance - :amount",
                ExpressionAttributeValues={":amount": n(30)},
                ConditionExpression="balance >= :amount",
            ),
            update(
                {"pk": s("acc-2")},
                "SET balance = balance + :amount",
                ExpressionAttributeValues={":amount": n(30)},
            ),
            put({"pk": s("log"), "sk": n(2), "note": s("moved 30")}, table=SORTED),
            delete({"pk": s("log"), "sk": n(1)}, table=SORTED),
            check({"pk": s("acc-3")}, "attribute_not_exists(pk)"),
        ],
        ClientRequestToken="token-1",  # accepted, not remembered
        ReturnItemCollectionMetrics="SIZE",
    )
    assert result == {}
    assert ddb.get_item(TableName=HASHED, Key={"pk": s("acc-1")})["Item"]["balance"] == n(70)
    assert ddb.get_item(TableName=HASHED, Key={"pk": s("acc-2")})["Item"]["balance"] == n(35)
    assert ddb.scan(TableName=SORTED)["Items"] == [{"pk": s("log"), "sk": n(2), "note": s("moved 30")}]
    # The ConditionCheck wrote nothing.
    assert ddb.get_item(TableName=HASHED, Key={"pk": s("acc-3")}) == {}


def test_update_creates_a_missing_item_and_delete_of_a_missing_item_is_fine(ddb):
    ddb.transact_write_items(
        TransactItems=[
            update({"pk": s("new")}, "ADD hits :one", ExpressionAttributeValues={":one": n(1)}),
            delete({"pk": s("never")}),
        ]
    )
    assert ddb.scan(TableName=HASHED)["Items"] == [{"pk": s("new"), "hits": n(1)}]


def test_put_overwrites_and_table_by_arn(seeded):
    ddb = seeded
    arn = ddb.describe_table(TableName=HASHED)["Table"]["TableArn"]
    ddb.transact_write_items(TransactItems=[put({"pk": s("acc-1"), "balance": n(1)}, table=arn)])
    assert ddb.get_item(TableName=HASHED, Key={"pk": s("acc-1")})["Item"] == {
        "pk": s("acc-1"),
        "balance": n(1),
    }


# -- TransactWriteItems: cancellation --------------------------------------------------------------


def test_failed_condition_cancels_everything(seeded):
    ddb = seeded
    before = snapshot(ddb)
    reasons = cancellation(
        ddb.transact_write_items,
        TransactItems=[
            put({"pk": s("acc-9"), "balance": n(0)}),
            update(
                {"pk": s("acc-2")},
                "SET balance = balance - :amount",
                ExpressionAttributeValues={":amount": n(30)},
                ConditionExpression="balance >= :amount",
            ),
            delete({"pk": s("log"), "sk": n(1)}, table=SORTED),
        ],
    )
    assert reasons == [OK, FAILED, OK]
    assert snapshot(ddb) == before


def test_cancellation_message_names_every_action(seeded):
    reasons = cancellation(
        seeded.transact_write_items,
        TransactItems=[
            check({"pk": s("acc-1")}, "attribute_not_exists(pk)"),
            check({"pk": s("acc-2")}, "attribute_exists(pk)"),
            delete({"pk": s("acc-9")}, ConditionExpression="attribute_exists(pk)"),
        ],
    )
    assert reasons == [FAILED, OK, FAILED]


def test_return_values_on_condition_check_failure(seeded):
    reasons = cancellation(
        seeded.transact_write_items,
        TransactItems=[
            put(
                {"pk": s("acc-1"), "balance": n(0)},
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
            check(
                {"pk": s("acc-2")},
                "balance > :min",
                ExpressionAttributeValues={":min": n(10)},
                ReturnValuesOnConditionCheckFailure="NONE",
            ),
            # ALL_OLD on a missing item: nothing to return.
            update(
                {"pk": s("acc-9")},
                "SET v = :v",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":v": n(1)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        ],
    )
    assert reasons == [{**FAILED, "Item": {"pk": s("acc-1"), "balance": n(100)}}, FAILED, FAILED]
    err = error_of(
        seeded.transact_write_items,
        TransactItems=[
            check({"pk": s("acc-1")}, "attribute_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_NEW")
        ],
    )
    assert err.code == "ValidationException" and "returnValuesOnConditionCheckFailure" in err.message


def test_an_update_that_fails_on_the_stored_item_cancels_with_a_validation_error(seeded):
    ddb = seeded
    ddb.put_item(TableName=HASHED, Item={"pk": s("text"), "v": s("not a number")})
    before = snapshot(ddb)
    reasons = cancellation(
        ddb.transact_write_items,
        TransactItems=[
            put({"pk": s("acc-9")}),
            update({"pk": s("text")}, "ADD v :one", ExpressionAttributeValues={":one": n(1)}),
            update(
                {"pk": s("acc-1")}, "SET big = :big", ExpressionAttributeValues={":big": s("x" * 409_600)}
            ),
        ],
    )
    assert [reason["Code"] for reason in reasons] == ["None", "ValidationError", "ValidationError"]
    assert reasons[1]["Message"].startswith("An operand in the update expression has an incorrect data type")
    assert reasons[2]["Message"] == "Item size to update has exceeded the maximum allowed size"
    assert snapshot(ddb) == before


def test_failure_while_writing_rolls_everything_back(seeded, monkeypatch):
    ddb = seeded
    before = snapshot(ddb)
    calls = []
    original = item_operations.write_item

    def failing_write(conn, table_id, key, blob, size, exists=False):
        calls.append(key)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        original(conn, table_id, key, blob, size, exists)

    monkeypatch.setattr(item_operations, "write_item", failing_write)
    with pytest.raises(RuntimeError):
        ddb.transact_write_items(
            TransactItems=[put({"pk": s("x")}), put({"pk": s("y")}), delete({"pk": s("acc-1")})]
        )
    monkeypatch.undo()
    assert snapshot(ddb) == before


def test_changes_are_recorded_only_when_the_transaction_applies(seeded, monkeypatch):
    ddb = seeded
    ddb.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.put_item(TableName="streamed", Item={"pk": s("a"), "v": n(1)})
    ddb.put_item(TableName="streamed", Item={"pk": s("b")})
    changes = []
    monkeypatch.setattr(
        item_operations, "record_change", lambda call, table, old, new: changes.append((table.name, old, new))
    )
    actions = [
        put({"pk": s("c")}, table="streamed"),
        update({"pk": s("a")}, "SET v = :v", table="streamed", ExpressionAttributeValues={":v": n(2)}),
        delete({"pk": s("b")}, table="streamed"),
        check({"pk": s("acc-1")}, "attribute_exists(pk)"),
    ]
    cancellation(
        ddb.transact_write_items,
        TransactItems=[*actions[:3], check({"pk": s("acc-1")}, "attribute_not_exists(pk)")],
    )
    assert changes == []
    ddb.transact_write_items(TransactItems=actions)
    assert changes == [
        ("streamed", None, {"pk": s("c")}),
        ("streamed", {"pk": s("a"), "v": n(1)}, {"pk": s("a"), "v": n(2)}),
        ("streamed", {"pk": s("b")}, None),
    ]


# -- TransactWriteItems: request errors (nothing runs) ---------------------------------------------


@pytest.mark.parametrize(
    "pair",
    [
        [put({"pk": s("a")}), delete({"pk": s("a")})],
        [
            check({"pk": s("a")}, "attribute_exists(pk)"),
            update({"pk": s("a")}, "SET v = :v", ExpressionAttributeValues={":v": n(1)}),
        ],
        [
            put({"pk": s("a"), "sk": n("1")}, table=SORTED),
            delete({"pk": s("a"), "sk": n("1.00")}, table=SORTED),
        ],
    ],
    ids=["put-delete", "check-update", "same-number-spelled-twice"],
)
def test_two_actions_on_one_item(ddb, pair):
    assert_validation(ddb.transact_write_items, MULTIPLE, TransactItems=[put({"pk": s("other")}), *pair])
    assert snapshot(ddb) == ([], [])


def test_same_key_in_two_tables_is_two_items(ddb):
    ddb.transact_write_items(
        TransactItems=[put({"pk": s("a"), "sk": n(1)}, table=SORTED), put({"pk": s("a"), "sk": n(1)})]
    )
    assert len(ddb.scan(TableName=HASHED)["Items"]) == len(ddb.scan(TableName=SORTED)["Items"]) == 1


def test_missing_table_is_reported_before_duplicates(ddb):
    err = error_of(
        ddb.transact_write_items,
        TransactItems=[put({"pk": s("a")}), delete({"pk": s("a")}), put({"pk": s("a")}, table="nosuchtable")],
    )
    assert (err.code, err.message, err.status) == (
        "ResourceNotFoundException",
        "Requested resource not found",
        400,
    )
    assert snapshot(ddb) == ([], [])


def test_100_actions_is_the_limit(ddb):
    actions = [put({"pk": s(str(i))}) for i in range(100)]
    assert ddb.transact_write_items(TransactItems=actions) == {}
    assert ddb.describe_table(TableName=HASHED)["Table"]["ItemCount"] == 100
    err = error_of(ddb.transact_write_items, TransactItems=[*actions, put({"pk": s("x")})])
    assert err.code == "ValidationException"
    assert err.message.endswith("Member must have length less than or equal to 100")
    assert_validation(
        ddb.transact_write_items,
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        TransactItems=[],
    )


def test_each_entry_holds_exactly_one_action(ddb):
    assert_validation(
        ddb.transact_write_items,
        "TransactItems can only contain one of Check, Put, Update or Delete",
        TransactItems=[{**put({"pk": s("a")}), **delete({"pk": s("b")})}],
    )
    assert_validation(
        ddb.transact_write_items,
        "The action or operation requested is invalid. Verify that the action is typed correctly.",
        TransactItems=[put({"pk": s("a")}), {}],
    )
    assert snapshot(ddb) == ([], [])


def test_required_expressions(ddb):
    assert_validation(
        ddb.transact_write_items,
        "1 validation error detected: Value null at 'transactItems.2.member.update.updateExpression' "
        "failed to satisfy constraint: Member must not be null",
        TransactItems=[put({"pk": s("a")}), {"Update": {"TableName": HASHED, "Key": {"pk": s("b")}}}],
    )
    assert_validation(
        ddb.transact_write_items,
        "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' "
        "failed to satisfy constraint: Member must not be null",
        TransactItems=[{"ConditionCheck": {"TableName": HASHED, "Key": {"pk": s("b")}}}],
    )


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (put({"pk": n(1)}), KEY_MISMATCH),
        (put({"v": s("keyless")}), KEY_MISMATCH),
        (delete({"pk": s("a"), "x": s("b")}), KEY_MISMATCH),
        (put({"pk": s("a"), "x": s("x" * 409_600)}), "Item size has exceeded the maximum allowed size"),
        (
            update({"pk": s("a")}, "SET pk = :v", ExpressionAttributeValues={":v": s("b")}),
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
        ),
        (
            put(
                {"pk": s("a")},
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":unused": n(1)},
            ),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
        ),
        (
            delete({"pk": s("a")}, ExpressionAttributeNames={"#p": "pk"}),
            "ExpressionAttributeNames can only be specified when using expressions",
        ),
    ],
    ids=[
        "key-type",
        "no-key",
        "extra-key",
        "too-big",
        "key-update",
        "unused-value",
        "names-without-expression",
    ],
)
def test_request_errors_are_validation_exceptions(ddb, action, message):
    assert_validation(ddb.transact_write_items, message, TransactItems=[put({"pk": s("first")}), action])
    assert snapshot(ddb) == ([], [])


def test_syntax_errors_are_validation_exceptions(ddb):
    err = error_of(ddb.transact_write_items, TransactItems=[update({"pk": s("a")}, "SET = 1")])
    assert err.code == "ValidationException" and err.message.startswith(
        "Invalid UpdateExpression: Syntax error"
    )
    err = error_of(ddb.transact_write_items, TransactItems=[check({"pk": s("a")}, "pk = ")])
    assert err.code == "ValidationException" and err.message.startswith(
        "Invalid ConditionExpression: Syntax error"
    )


# -- TransactWriteItems: capacity ------------------------------------------------------------------


def test_write_capacity_is_doubled_per_item(seeded):
    result = seeded.transact_write_items(
        TransactItems=[
            put({"pk": s("big"), "b": s("b" * 1500)}),  # 2 units, doubled
            update({"pk": s("acc-1")}, "SET seen = :t", ExpressionAttributeValues={":t": {"BOOL": True}}),
            check({"pk": s("acc-2")}, "attribute_exists(pk)"),  # a check is charged as a write
            delete({"pk": s("log"), "sk": n(1)}, table=SORTED),
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert result == {
        "ConsumedCapacity": [
            {"TableName": HASHED, "CapacityUnits": 8.0, "WriteCapacityUnits": 8.0},
            {"TableName": SORTED, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
        ]
    }
    result = seeded.transact_write_items(
        TransactItems=[put({"pk": s("x")})], ReturnConsumedCapacity="INDEXES"
    )
    assert result["ConsumedCapacity"] == [
        {
            "TableName": HASHED,
            "CapacityUnits": 2.0,
            "WriteCapacityUnits": 2.0,
            "Table": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
        }
    ]


# -- TransactGetItems ------------------------------------------------------------------------------


def test_get_items_in_order(seeded):
    result = seeded.transact_get_items(
        TransactItems=[
            get({"pk": s("acc-2")}),
            get({"pk": s("missing")}),
            get({"pk": s("log"), "sk": n("1.0")}, table=SORTED),
            get({"pk": s("acc-1")}, ProjectionExpression="#b", ExpressionAttributeNames={"#b": "balance"}),
        ]
    )
    assert result == {
        "Responses": [
            {"Item": {"pk": s("acc-2"), "balance": n(5)}},
            {},
            {"Item": {"pk": s("log"), "sk": n(1), "note": s("opened")}},
            {"Item": {"balance": n(100)}},
        ]
    }


def test_get_errors(seeded):
    ddb = seeded
    assert_validation(
        ddb.transact_get_items, MULTIPLE, TransactItems=[get({"pk": s("acc-1")}), get({"pk": s("acc-1")})]
    )
    err = error_of(ddb.transact_get_items, TransactItems=[get({"pk": s("acc-1")}, table="nosuchtable")])
    assert (err.code, err.message) == ("ResourceNotFoundException", "Requested resource not found")
    assert_validation(
        ddb.transact_get_items, KEY_MISMATCH, TransactItems=[get({"pk": s("log")}, table=SORTED)]
    )
    err = error_of(ddb.transact_get_items, TransactItems=[get({"pk": s(str(i))}) for i in range(101)])
    assert err.code == "ValidationException" and err.message.endswith("less than or equal to 100")
    assert (
        ddb.transact_get_items(TransactItems=[get({"pk": s(str(i))}) for i in range(100)])["Responses"]
        == [{}] * 100
    )
    err = error_of(ddb.transact_get_items, TransactItems=[])
    assert err.code == "ValidationException" and "greater than or equal to 1" in err.message
    assert_validation(
        ddb.transact_get_items,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}",
        TransactItems=[
            get({"pk": s("acc-1")}, ProjectionExpression="pk", ExpressionAttributeNames={"#x": "x"})
        ],
    )


def test_get_capacity_is_doubled_and_counts_missing_items(seeded):
    seeded.put_item(TableName=HASHED, Item={"pk": s("big"), "b": s("b" * 5000)})  # two 4 KB blocks
    result = seeded.transact_get_items(
        TransactItems=[
            get({"pk": s("big")}),
            get({"pk": s("missing")}),
            get({"pk": s("log"), "sk": n(1)}, table=SORTED),
        ],
        ReturnConsumedCapacity="INDEXES",
    )
    assert result["ConsumedCapacity"] == [
        {
            "TableName": HASHED,
            "CapacityUnits": 6.0,
            "ReadCapacityUnits": 6.0,
            "Table": {"CapacityUnits": 6.0, "ReadCapacityUnits": 6.0},
        },
        {
            "TableName": SORTED,
            "CapacityUnits": 2.0,
            "ReadCapacityUnits": 2.0,
            "Table": {"CapacityUnits": 2.0, "ReadCapacityUnits": 2.0},
        },
    ]
