"""The seed experiment's UpdateItem: one indexed SELECT, then one UPDATE of the row (INSERT when new)."""

from __future__ import annotations

import orjson
import pytest

from tidal.services.dynamodb.expressions import bind_write_expressions
from tidal.services.dynamodb.values import item_size

from .helpers import message


def seed_update(key: str) -> dict:
    return {
        "TableName": "counts",
        "Key": {"key": {"S": key}},
        "UpdateExpression": "ADD #name :increment",
        "ExpressionAttributeNames": {"#name": "count"},
        "ExpressionAttributeValues": {":increment": {"N": "1"}},
        "ReturnValues": "UPDATED_NEW",
    }


@pytest.fixture
def ddb(empty_ddb):
    empty_ddb.create_table(
        TableName="counts",
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return empty_ddb


def _recorder(statements: list[str]):
    """An apsw exec tracer that records each statement's SQL and lets it run."""

    def trace(cursor, sql, bindings):
        statements.append(sql)
        return True

    return trace


def _traced(ddb, operation: str, params: dict) -> tuple[dict, list[str]]:
    """Run one write operation of the service and return its result and the SQL it ran."""
    statements: list[str] = []

    def job(tx):
        tx.conn.exec_trace = _recorder(statements)
        try:
            return getattr(ddb.service, operation)(ddb.make_call(tx), params)
        finally:
            tx.conn.exec_trace = None

    return ddb.env.db.write_sync(job), statements


def test_seed_update_is_one_select_and_one_write(ddb):
    ddb.update_item(**seed_update("warm"))
    result, statements = _traced(ddb, "update_item", seed_update("warm"))
    assert result == {"Attributes": {"count": {"N": "2"}}}
    assert [sql.split()[0] for sql in statements] == ["SELECT", "UPDATE"]
    assert "FROM dynamodb_items WHERE table_id = ? AND partition = ?" in statements[0]


def test_seed_update_of_a_new_item_inserts_it(ddb):
    result, statements = _traced(ddb, "update_item", seed_update("new"))
    assert result == {"Attributes": {"count": {"N": "1"}}}
    assert [sql.split()[0] for sql in statements] == ["SELECT", "INSERT"]
    assert ddb.get_item(TableName="counts", Key={"key": {"S": "new"}})["Item"] == {
        "key": {"S": "new"}, "count": {"N": "1"},
    }


def test_blind_put_is_one_statement(ddb):
    _, statements = _traced(ddb, "put_item", {"TableName": "counts", "Item": {"key": {"S": "k"}, "v": {"N": "1"}}})
    assert [sql.split()[0] for sql in statements] == ["INSERT"]


# -- the stored size, counted from the old size and the touched attributes ---------------------


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        ("ADD #name :increment", {":increment": {"N": "98765.4321"}}),
        ("SET tags = :tags, note = :note", {":tags": {"SS": ["a", "bé"]}, ":note": {"S": "ünïcode"}}),
        ("REMOVE note", None),
        ("SET doc.parts[1] = :v", {":v": {"M": {"deep": {"B": "AAEC"}}}}),
        ("DELETE tags :gone", {":gone": {"SS": ["a"]}}),
        ("SET #name = #name - :increment", {":increment": {"N": "1"}}),
    ],
)
def test_stored_size_is_the_items_size_after_each_update(ddb, expression, values):
    ddb.put_item(TableName="counts", Item={
        "key": {"S": "k"}, "count": {"N": "5"}, "note": {"S": "x" * 40}, "tags": {"SS": ["a", "b"]},
        "doc": {"M": {"parts": {"L": [{"N": "1"}, {"N": "2"}]}}},
    })
    params = {"TableName": "counts", "Key": {"key": {"S": "k"}}, "UpdateExpression": expression}
    if "#name" in expression:
        params["ExpressionAttributeNames"] = {"#name": "count"}
    if values:
        params["ExpressionAttributeValues"] = values
    ddb.update_item(**params)
    blob, size = ddb.env.db.reader().execute("SELECT item, size FROM dynamodb_items").fetchone()
    assert size == item_size(orjson.loads(blob))


# -- one binding per distinct (update, condition, names, values) --------------------------------


def test_a_repeated_update_reuses_its_binding_and_new_values_bind_anew():
    names = {"#name": "count"}
    first = bind_write_expressions("ADD #name :increment", None, names, {":increment": {"N": "1"}})
    again = bind_write_expressions("ADD #name :increment", None, dict(names), {":increment": {"N": "1"}})
    other = bind_write_expressions("ADD #name :increment", None, names, {":increment": {"N": "5"}})
    assert again[0] is first[0]
    assert other[0] is not first[0]
    assert other[0].apply({"count": {"N": "1"}}).item == {"count": {"N": "6"}}


def test_a_refused_binding_is_refused_every_time(ddb):
    bad = seed_update("k") | {"ExpressionAttributeValues": {":increment": {"N": "1"}, ":unused": {"N": "2"}}}
    expected = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    assert message(lambda: ddb.update_item(**bad)) == expected
    assert message(lambda: ddb.update_item(**bad)) == expected
    assert "Item" not in ddb.get_item(TableName="counts", Key={"key": {"S": "k"}})
