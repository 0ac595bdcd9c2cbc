"""µs of server CPU per operation, and boto3 single-thread ops/s, for S3 PutObject and DynamoDB UpdateItem."""

from __future__ import annotations

import statistics
import time

from benchmarks.targets import Target, cpu_seconds
from tidal.lab.s3_fanout import boto3_client


def _measure(target: Target, op, n: int, rounds: int) -> dict[str, float]:
    op(0)  # warm: connection, caches
    cpu_us, rates = [], []
    for r in range(rounds):
        c0, t0 = cpu_seconds(target.pid), time.perf_counter()
        for i in range(n):
            op(r * n + i + 1)
        t1, c1 = time.perf_counter(), cpu_seconds(target.pid)
        cpu_us.append((c1 - c0) / n * 1e6)
        rates.append(n / (t1 - t0))
    return {"server_cpu_us": statistics.median(cpu_us), "ops_per_s": statistics.median(rates)}


def bench_put_object(target: Target, n: int = 2000, rounds: int = 5) -> dict[str, float]:
    s3 = boto3_client(target.endpoint, "s3")
    bucket = f"bench-put-{int(time.time() * 1000)}"
    s3.create_bucket(Bucket=bucket)
    return _measure(target, lambda i: s3.put_object(Bucket=bucket, Key=f"k/{i}", Body=b""), n, rounds)


def bench_update_item(target: Target, n: int = 2000, rounds: int = 5) -> dict[str, float]:
    ddb = boto3_client(target.endpoint, "dynamodb")
    table = f"bench-update-{int(time.time() * 1000)}"
    ddb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )

    def update(i: int) -> None:
        ddb.update_item(
            TableName=table, Key={"key": {"S": f"files/{i % 500}"}}, UpdateExpression="ADD #name :increment",
            ExpressionAttributeNames={"#name": "count"}, ExpressionAttributeValues={":increment": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )

    return _measure(target, update, n, rounds)
