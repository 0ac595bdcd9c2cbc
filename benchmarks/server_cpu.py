"""µs of server CPU per operation, and boto3 single-thread ops/s, for S3 PutObject and DynamoDB UpdateItem.

Every server is measured in the same rounds, taking turns: this VM's speed drifts by up to
~1.7× within minutes, so servers measured one after another can land in different phases
and a comparison between them (tidal against its floors, tidal against a peer) would
measure the drift. Taking turns, round by round, puts each comparison in the same phase;
the order rotates each round so that no server always follows the same one.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from benchmarks.targets import Target, cpu_seconds_between, cpu_snapshot
from tidal.lab.s3_fanout import boto3_client

Op = Callable[[int], None]


def _put_object(target: Target) -> Op:
    s3 = boto3_client(target.endpoint, "s3")
    bucket = f"bench-put-{int(time.time() * 1000)}"
    s3.create_bucket(Bucket=bucket)
    return lambda i: s3.put_object(Bucket=bucket, Key=f"k/{i}", Body=b"")


def _update_item(target: Target) -> Op:
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

    return update


OPERATIONS: dict[str, Callable[[Target], Op]] = {"put_object": _put_object, "update_item": _update_item}


def bench_operations(
    targets: list[Target], n: int = 500, rounds: int = 15, report: Callable[[str], None] = print,
) -> dict[str, dict[str, dict]]:
    """``{target name: {operation: figures}}``; figures hold the medians over the rounds and,
    under ``"rounds"``, each round's µs (index r is round r for every target), or ``"error"``."""
    results: dict[str, dict[str, dict]] = {t.name: {} for t in targets}
    for label, make in OPERATIONS.items():
        ops: dict[str, Op] = {}
        for target in targets:
            try:
                op = make(target)
                op(0)  # warm: connection, caches, and the first item or object exists
                ops[target.name] = op
            except Exception as exc:  # noqa: BLE001 - a peer that fails is reported, not fatal
                results[target.name][label] = {"error": f"{type(exc).__name__}: {exc}"}
        cpu_us: dict[str, list[float]] = {name: [] for name in ops}
        rates: dict[str, list[float]] = {name: [] for name in ops}
        running = [t for t in targets if t.name in ops]
        for r in range(rounds):
            if not running:
                break
            for target in running[r % len(running):] + running[: r % len(running)]:
                op = ops[target.name]
                c0, t0 = cpu_snapshot(target.pid), time.perf_counter()
                try:
                    for i in range(n):
                        op(r * n + i + 1)
                except Exception as exc:  # noqa: BLE001 - as above; it leaves the rounds
                    results[target.name][label] = {"error": f"{type(exc).__name__}: {exc}"}
                    del ops[target.name], cpu_us[target.name], rates[target.name]
                    continue
                t1, c1 = time.perf_counter(), cpu_snapshot(target.pid)
                cpu_us[target.name].append(cpu_seconds_between(c0, c1) / n * 1e6)
                rates[target.name].append(n / (t1 - t0))
            running = [t for t in running if t.name in ops]
            report(f"{label} round {r + 1}/{rounds}: "
                   + ", ".join(f"{name} {cpu_us[name][-1]:,.0f} µs" for name in cpu_us))
        for name in ops:
            results[name][label] = {
                "server_cpu_us": statistics.median(cpu_us[name]),
                "ops_per_s": statistics.median(rates[name]),
                "rounds": cpu_us[name],
            }
    return results


def paired(mine: dict, base: dict, combine: Callable[[float, float], float]) -> float | None:
    """Median over rounds of ``combine(mine, base)``, each pair measured in the same round."""
    a, b = mine.get("rounds"), base.get("rounds")
    if not a or not b or len(a) != len(b):
        return None
    return statistics.median(combine(x, y) for x, y in zip(a, b, strict=True))
