"""The seed experiment's UpdateItem: one indexed SELECT, one INSERT OR REPLACE, and its CPU cost."""

from __future__ import annotations

import time

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
    assert [sql.split()[0] for sql in statements] == ["SELECT", "INSERT"]
    assert "FROM dynamodb_items WHERE table_id = 1 AND partition = " in statements[0]


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


def test_seed_update_cpu_cost(ddb):
    """Thread CPU time (not wall time, so other processes on the machine do not count)."""
    batch = [seed_update(f"photos/2024/img-{i % 1000:06d}.jpg") for i in range(1000)]

    def job(tx):
        call = ddb.make_call(tx)
        started = time.thread_time()
        for params in batch:
            ddb.service.update_item(call, params)
        return (time.thread_time() - started) / len(batch)

    ddb.env.db.write_sync(job)  # creates the items
    best = min(ddb.env.db.write_sync(job) for _ in range(5))
    # Measured at ~20 µs on the 2-core reference machine; the budget is "well under 100 µs".
    assert best < 100e-6, f"UpdateItem costs {best * 1e6:.1f} µs of CPU in-process"
