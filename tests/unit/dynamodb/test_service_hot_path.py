"""The seed experiment's UpdateItem: one indexed SELECT, then one UPDATE of the row (INSERT when new)."""

from __future__ import annotations

import pytest


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


def test_seed_update_is_one_select_and_one_write(ddb):
    ddb.update_item(**seed_update("warm"))
    statements: list[str] = []

    def job(tx):
        tx.conn.set_trace_callback(statements.append)
        try:
            return ddb.service.update_item(ddb.make_call(tx), seed_update("warm"))
        finally:
            tx.conn.set_trace_callback(None)

    assert ddb.env.db.write_sync(job) == {"Attributes": {"count": {"N": "2"}}}
    assert [sql.split()[0] for sql in statements] == ["SELECT", "UPDATE"]
    assert "FROM dynamodb_items WHERE table_id = 1 AND partition = " in statements[0]


def test_seed_update_of_a_new_item_inserts_it(ddb):
    statements: list[str] = []

    def job(tx):
        tx.conn.set_trace_callback(statements.append)
        try:
            return ddb.service.update_item(ddb.make_call(tx), seed_update("new"))
        finally:
            tx.conn.set_trace_callback(None)

    assert ddb.env.db.write_sync(job) == {"Attributes": {"count": {"N": "1"}}}
    assert [sql.split()[0] for sql in statements] == ["SELECT", "INSERT"]
    assert ddb.get_item(TableName="counts", Key={"key": {"S": "new"}})["Item"] == {
        "key": {"S": "new"}, "count": {"N": "1"},
    }


def test_blind_put_is_one_statement(ddb):
    statements: list[str] = []

    def job(tx):
        tx.conn.set_trace_callback(statements.append)
        try:
            return ddb.service.put_item(
                ddb.make_call(tx), {"TableName": "counts", "Item": {"key": {"S": "k"}, "v": {"N": "1"}}}
            )
        finally:
            tx.conn.set_trace_callback(None)

    ddb.env.db.write_sync(job)
    assert [sql.split()[0] for sql in statements] == ["INSERT"]
