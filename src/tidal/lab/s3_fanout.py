"""seed-000: N objects into a bucket, each fires a function that counts its key in a table.

On AWS, 1,000,000 objects gave counts ``1 → 999,988`` and ``2 → 12`` (no key lost, twelve
delivered twice), in about an hour. This runs the same pipeline against tidal with the
seed's own handler (module-level boto3 resource and all) and reports what happened.
"""

from __future__ import annotations

import io
import secrets
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import orjson

# The seed's handler, as written there (only the table name is templated in).
HANDLER_SOURCE = '''\
# -*- coding: utf-8 -*-

import json
import boto3

dynamodb = boto3.resource('dynamodb')

DDB_TABLE = "{table}"
table = dynamodb.Table(DDB_TABLE)

def lambda_handler(event, context):
    bucket = event['Records'][0]['s3']['bucket']['name']
    key = event['Records'][0]['s3']['object']['key']

    table.update_item(
        Key= {{
            'key': key
            }},
        UpdateExpression="ADD #name :increment",
        ExpressionAttributeNames={{
            '#name':'count'
            }},
        ExpressionAttributeValues={{
            ":increment": 1
            }},
        ReturnValues="UPDATED_NEW"
    )
'''


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("lambda_function.py", source)
    return buf.getvalue()


@cache
def boto3_client(endpoint: str, service: str, pool: int = 10):
    """A boto3 client as an experiment's user would make one (made once: clients are
    thread-safe, and building one costs tens of milliseconds)."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=BotoConfig(max_pool_connections=pool, retries={"max_attempts": 10, "mode": "standard"}),
    )


def _tidal_get(endpoint: str, path: str) -> dict | None:
    """A tidal-only endpoint's JSON, or None when the endpoint is not tidal (a peer, for comparison)."""
    try:
        with urllib.request.urlopen(f"{endpoint}{path}", timeout=30) as resp:
            return orjson.loads(resp.read()) if resp.status == 200 else None
    except (OSError, ValueError):
        return None


def _delivered(endpoint: str) -> tuple[int, int] | None:
    """(delivered, finished otherwise) by the async-invoke deliverer since the server started."""
    status = _tidal_get(endpoint, "/_tidal/status")
    if status is None:
        return None
    d = status["delivery"]
    return d["delivered"], d["failed"] + d["expired"]


def _items_counted(endpoint: str, table: str) -> int:
    ddb = boto3_client(endpoint, "dynamodb")
    total, kwargs = 0, {"TableName": table, "Select": "COUNT"}
    while True:
        page = ddb.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class FanoutReport:
    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def setup_pipeline(endpoint: str, run_id: str) -> tuple[str, str, str]:
    s3 = boto3_client(endpoint, "s3")
    ddb = boto3_client(endpoint, "dynamodb")
    lam = boto3_client(endpoint, "lambda")
    bucket = f"s3-test-qiita-{run_id}"
    table = f"s3-test-qiita-{run_id}"
    function = f"s3-test-qiita-{run_id}"
    s3.create_bucket(Bucket=bucket)
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    fn = lam.create_function(
        FunctionName=function, Runtime="python3.12", Handler="lambda_function.lambda_handler",
        Role="arn:aws:iam::000000000000:role/lambda-role", Timeout=60, MemorySize=128,
        Code={"ZipFile": _zip(HANDLER_SOURCE.format(table=table))},
    )
    lam.add_permission(
        FunctionName=function, StatementId="s3-invoke", Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}",
    )
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": fn["FunctionArn"], "Events": ["s3:ObjectCreated:*"]},
        ]},
    )
    return bucket, table, function


def count_histogram(endpoint: str, table: str) -> dict[str, int]:
    """Scan the whole table: key → count, as the seed's Hive query did."""
    ddb = boto3_client(endpoint, "dynamodb")
    counts: dict[str, int] = {}
    kwargs: dict = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        for item in page["Items"]:
            counts[item["key"]["S"]] = int(item.get("count", {"N": "0"})["N"])
        if "LastEvaluatedKey" not in page:
            return counts
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run_fanout(endpoint: str, objects: int, threads: int, timeout: float, progress=None) -> FanoutReport:
    run_id = secrets.token_hex(3)
    bucket, table, _ = setup_pipeline(endpoint, run_id)
    s3 = boto3_client(endpoint, "s3", pool=max(10, threads))
    keys = [f"files/{i}" for i in range(1, objects + 1)]
    uploaded = 0
    lock = threading.Lock()

    def put(key: str) -> None:
        nonlocal uploaded
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
        with lock:
            uploaded += 1

    start = time.time()
    upload_done = threading.Event()
    upload_seconds = [0.0]

    def upload() -> None:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(put, keys))
        upload_seconds[0] = time.time() - start
        upload_done.set()

    uploader = threading.Thread(target=upload, daemon=True)
    uploader.start()
    deadline = start + timeout
    baseline = _delivered(endpoint)
    is_tidal = baseline is not None
    while True:
        if is_tidal:
            delivered, other = _delivered(endpoint) or baseline
            processed = delivered - baseline[0]
            finished = processed + other - baseline[1]
        else:
            processed = finished = _items_counted(endpoint, table)
        if progress:
            progress(uploaded, processed, objects)
        if upload_done.is_set() and finished >= objects:
            break
        if time.time() > deadline:
            break
        time.sleep(0.2 if is_tidal else 1.0)
    observed_done = time.time()
    uploader.join(timeout=max(0.0, deadline - time.time()))
    latency = (_tidal_get(endpoint, f"/_tidal/deliveries?since={start}") or {}) if is_tidal else {}
    max_workers = (_tidal_get(endpoint, "/_tidal/status") or {}).get("max_workers") if is_tidal else None
    counts = count_histogram(endpoint, table)
    histogram = Counter(counts.values())
    never = [k for k in keys if counts.get(k, 0) == 0]
    last_done = latency.get("last_finished_at") or observed_done
    return FanoutReport(
        objects=objects, uploaded=uploaded, processed=len(counts) - histogram.get(0, 0),
        histogram=dict(sorted(histogram.items())), never_processed=never,
        upload_seconds=upload_seconds[0] or (time.time() - start),
        end_to_end_seconds=max(1e-9, last_done - start),
        p50_ms=latency.get("p50_ms"), p99_ms=latency.get("p99_ms"), max_workers=max_workers,
        bucket=bucket, table=table,
    )


def print_report(report: FanoutReport, console) -> None:
    from rich.table import Table

    t = Table(title="tidal lab s3-fanout (seed-000)", show_header=False)
    t.add_row("objects uploaded", f"{report.uploaded:,} of {report.objects:,}")
    t.add_row("keys processed", f"{report.processed:,}")
    hist = ", ".join(f"{count} → {n:,}" for count, n in report.histogram.items()) or "(none)"
    t.add_row("histogram (count → keys)", hist)
    shown = ", ".join(report.never_processed[:5]) + (" …" if len(report.never_processed) > 5 else "")
    t.add_row("keys never processed", f"{len(report.never_processed):,}" + (f" ({shown})" if shown else ""))
    upload_rate = report.uploaded / report.upload_seconds
    handled_rate = report.processed / report.end_to_end_seconds
    t.add_row("upload rate", f"{upload_rate:,.0f} objects/s")
    t.add_row("end-to-end rate", f"{handled_rate:,.0f} objects/s ({report.end_to_end_seconds:.1f} s)")
    if report.p50_ms is not None:
        t.add_row("put → handler latency", f"p50 {report.p50_ms:,.1f} ms, p99 {report.p99_ms:,.1f} ms")
    console.print(t)
    if report.p50_ms is not None and report.max_workers and upload_rate > 1.1 * handled_rate:
        # Without this, seconds of latency read as slow delivery; they are a queue.
        console.print(
            f"The latency is mostly queueing: uploads came at {upload_rate:,.0f}/s and the handler,"
            f" on {report.max_workers} workers here (cold-starting first), finished {handled_rate:,.0f}/s"
            " overall. AWS scales a function out up to the account's concurrency quota (1,000 by default)."
        )
    console.print("On AWS (seed-000, 1,000,000 objects): 1 → 999,988, 2 → 12, none lost, ~1 hour.")


def run_s3_fanout(objects: int, threads: int, endpoint: str | None, timeout: float) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tidal.testing import TidalProcess

    console = Console()
    embedded = None
    tmp = None
    if endpoint is None:
        tmp = tempfile.TemporaryDirectory(prefix="tidal-lab-")
        embedded = TidalProcess(Path(tmp.name) / "data", log_path=Path(tmp.name) / "tidal.log").start()
        endpoint = embedded.endpoint
        console.print(f"embedded tidal on {endpoint} (ready in {embedded.ready_seconds:.2f}s)")
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            up = bar.add_task("uploaded ", total=objects)
            done = bar.add_task("processed", total=objects)

            def progress(uploaded: int, processed: int, total: int) -> None:
                bar.update(up, completed=uploaded)
                bar.update(done, completed=processed)

            report = run_fanout(endpoint, objects, threads, timeout, progress)
        print_report(report, console)
        return 0 if not report.never_processed and report.uploaded == objects else 1
    finally:
        if embedded is not None:
            embedded.stop()
        if tmp is not None:
            tmp.cleanup()
