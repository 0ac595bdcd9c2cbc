"""seed-000: N objects into a bucket, each fires a function that counts its key in a table.

On AWS, 1,000,000 objects gave counts ``1 → 999,988`` and ``2 → 12`` (no key lost, twelve
delivered twice), in about an hour. This runs the same pipeline against tidal with the
seed's own handler (module-level boto3 resource and all) and reports what happened.
"""

from __future__ import annotations

import contextlib
import io
import secrets
import tempfile
import time
import urllib.request
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import orjson

from tidal.lab.process_memory import PeakMemory
from tidal.lab.uploads import KeyBits, KeyUploader, StallWatch, SyncUploader, aws_cli, key_of, number_of

# How long a run may go without an upload or a delivery finishing before it is called stuck.
DEFAULT_STALL_SECONDS = 120.0
_SCAN_PAGE_ITEMS = 2_000

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


def delivery_counts(endpoint: str) -> tuple[int, int] | None:
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
    """A run's figures: ``outcome`` is "complete", "stalled", "timeout" or "interrupted"."""

    outcome = "complete"
    never_examples: tuple[str, ...] = ()
    upload_errors = 0
    total_seconds: float | None = None  # setup, upload, delivery and reading the table back
    peak_mb: dict[str, float] | None = None  # by process: lab, the AWS CLI (--via sync), server, workers

    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def setup_pipeline(endpoint: str, run_id: str, handler_source: str = HANDLER_SOURCE) -> tuple[str, str, str]:
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
        Code={"ZipFile": _zip(handler_source.format(table=table))},
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


def tally(endpoint: str, table: str, uploaded: KeyBits) -> tuple[dict[int, int], int, int, list[str]]:
    """Read the table back page by page, as the seed's Hive query did: (histogram count → keys,
    keys processed, uploaded keys never processed, the first few of those). Memory: one bit
    per key, whatever the size of the run."""
    processed = KeyBits(uploaded.size)
    histogram: Counter[int] = Counter()
    ddb = boto3_client(endpoint, "dynamodb")
    # Pages of a few thousand items: a 1 MB page of these small items is ~35,000 of them, and
    # botocore holds ~90 MB of Python objects while it parses one (measured).
    kwargs: dict = {"TableName": table, "Limit": _SCAN_PAGE_ITEMS}
    while True:
        page = ddb.scan(**kwargs)
        for item in page["Items"]:
            count = int(item.get("count", {"N": "0"})["N"])
            histogram[count] += 1
            number = number_of(item["key"]["S"])
            if number is not None and count > 0:
                processed.add(number)
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    never, examples = 0, []
    for number in range(1, uploaded.size + 1):
        if number in uploaded and number not in processed:
            never += 1
            if len(examples) < 5:
                examples.append(key_of(number))
    return dict(sorted(histogram.items())), sum(n for c, n in histogram.items() if c > 0), never, examples


def run_fanout(
    endpoint: str, objects: int, threads: int, timeout: float | None = None, progress=None,
    stall_timeout: float = DEFAULT_STALL_SECONDS, announce=None, server_pid: int | None = None,
    via: str = "boto3",
) -> FanoutReport:
    """Upload ``objects`` keys and wait until every uploaded one is processed, nothing has moved
    for ``stall_timeout`` seconds, ``timeout`` seconds have passed (if given), or Ctrl-C. The
    uploader is stopped before this returns, whatever ended the run. With ``server_pid``, the
    server's and its workers' peak memory are reported beside the lab's own. ``via`` "sync"
    uploads as the seed did, with the AWS CLI's ``aws s3 sync`` of N empty files (the CLI's
    memory is reported apart: it is the user's tool, not the lab)."""
    cli = "aws s3 sync" if via == "sync" else None
    with (
        PeakMemory(server_pid, children_label=cli) as memory,
        tempfile.TemporaryDirectory(prefix="tidal-lab-files-") as files,
    ):
        report = _run(endpoint, objects, threads, timeout, progress, stall_timeout, announce, via, Path(files))
    report.peak_mb = memory.peaks
    report.total_seconds = time.time() - report.started_at
    return report


def _run(
    endpoint: str, objects: int, threads: int, timeout: float | None, progress, stall_timeout: float, announce,
    via: str, files: Path,
) -> FanoutReport:
    run_id = secrets.token_hex(3)
    bucket, table, _ = setup_pipeline(endpoint, run_id)
    uploader: KeyUploader | SyncUploader
    if via == "sync":
        aws = aws_cli()
        if aws is None:
            raise RuntimeError("--via sync needs the AWS CLI (pip install awscli)")
        uploader = SyncUploader(aws, endpoint, bucket, objects, files)
        method = f"aws s3 sync of {objects:,} empty files"
    else:
        s3 = boto3_client(endpoint, "s3", pool=max(10, threads))
        uploader = KeyUploader(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=b""), objects, threads)
        method = f"boto3 with {threads} threads"
    watch = StallWatch(stall_timeout)
    baseline = delivery_counts(endpoint)
    is_tidal = baseline is not None
    start = time.time()
    deadline = None
    outcome = "complete"
    try:
        if announce:
            announce(f"uploading {objects:,} objects into s3://{bucket}/files/ ({method})")
        uploader.start()
        start = uploader.started_at  # after --via sync has made its files
        deadline = start + timeout if timeout else None
        while True:
            if is_tidal:
                delivered, other = delivery_counts(endpoint) or baseline
                processed = delivered - baseline[0]
                finished = processed + other - baseline[1]
            else:
                processed = finished = _items_counted(endpoint, table)
            uploaded = uploader.count
            if progress:
                progress(uploaded, processed, time.time() - start)
            watch.saw(uploaded, finished)
            if uploader.done and finished >= uploaded:
                break
            if watch.stalled:
                outcome = "stalled"
                break
            if deadline is not None and time.time() > deadline:
                outcome = "timeout"
                break
            time.sleep(0.2 if is_tidal else 1.0)
    except KeyboardInterrupt:
        outcome = "interrupted"
    finally:
        uploader.stop()  # before the caller stops the server it talks to
    observed_done = time.time()
    latency = (_tidal_get(endpoint, f"/_tidal/deliveries?since={start}") or {}) if is_tidal else {}
    max_workers = (_tidal_get(endpoint, "/_tidal/status") or {}).get("max_workers") if is_tidal else None
    histogram, processed, never, examples = tally(endpoint, table, uploader.uploaded)
    last_done = latency.get("last_finished_at") or observed_done
    return FanoutReport(
        objects=objects, uploaded=uploader.count, processed=processed, histogram=histogram,
        never_processed=never, never_examples=examples, outcome=outcome, upload_errors=uploader.errors,
        upload_seconds=(uploader.finished_at or observed_done) - start,
        end_to_end_seconds=max(1e-9, last_done - start),
        p50_ms=latency.get("p50_ms"), p99_ms=latency.get("p99_ms"), max_workers=max_workers,
        bucket=bucket, table=table, started_at=start,
    )


_ENDED = {
    "stalled": "stopped: nothing uploaded or delivered for the stall timeout",
    "timeout": "stopped at the --timeout deadline",
    "interrupted": "interrupted (Ctrl-C): a partial report",
}


def print_report(report: FanoutReport, console) -> None:
    from rich.table import Table

    t = Table(title="tidal lab s3-fanout (seed-000)", show_header=False)
    if report.outcome != "complete":
        t.add_row("run", _ENDED[report.outcome])
    t.add_row("objects uploaded", f"{report.uploaded:,} of {report.objects:,}")
    not_uploaded = report.objects - report.uploaded
    errors = f" ({report.upload_errors:,} failed puts)" if report.upload_errors else ""
    t.add_row("not uploaded", f"{not_uploaded:,}{errors}")
    t.add_row("keys processed", f"{report.processed:,}")
    hist = ", ".join(f"{count} → {n:,}" for count, n in report.histogram.items()) or "(none)"
    t.add_row("histogram (count → keys)", hist)
    examples = list(report.never_examples)
    shown = ", ".join(examples) + (" …" if report.never_processed > len(examples) else "")
    t.add_row("uploaded, never processed", f"{report.never_processed:,}" + (f" ({shown})" if shown else ""))
    upload_rate = report.uploaded / max(report.upload_seconds, 1e-9)
    handled_rate = report.processed / report.end_to_end_seconds
    t.add_row("upload rate", f"{upload_rate:,.0f} objects/s")
    t.add_row("end-to-end rate", f"{handled_rate:,.0f} objects/s ({report.end_to_end_seconds:.1f} s)")
    if report.p50_ms is not None:
        t.add_row("put → handler latency", f"p50 {report.p50_ms:,.1f} ms, p99 {report.p99_ms:,.1f} ms")
    if report.total_seconds is not None:
        seconds = report.total_seconds
        took = f"{seconds:,.1f} s" if seconds < 120 else f"{seconds / 60:,.1f} min"
        t.add_row("total time", f"{took} (AWS, seed-000 at 1,000,000: about an hour)")
    if report.peak_mb:
        t.add_row("peak memory", ", ".join(f"{name} {mb:,.0f} MB" for name, mb in report.peak_mb.items()))
    console.print(t)
    if report.p50_ms is not None and report.max_workers and upload_rate > 1.1 * handled_rate:
        # Without this, seconds of latency read as slow delivery; they are a queue.
        console.print(
            f"The latency is mostly queueing: uploads came at {upload_rate:,.0f}/s and the handler,"
            f" on {report.max_workers} workers here (cold-starting first), finished {handled_rate:,.0f}/s"
            " overall. AWS scales a function out up to the account's concurrency quota (1,000 by default)."
        )
    console.print("On AWS (seed-000, 1,000,000 objects): 1 → 999,988, 2 → 12, none lost, ~1 hour.")


def run_s3_fanout(
    objects: int, threads: int, endpoint: str | None, timeout: float | None = None,
    stall_timeout: float = DEFAULT_STALL_SECONDS, via: str = "boto3",
) -> int:
    """The command: 0 when every key was uploaded and processed, 130 when interrupted, else 1."""
    from rich.console import Console

    from tidal.testing import TidalProcess

    console = Console()
    if via == "sync" and aws_cli() is None:
        console.print("--via sync needs the AWS CLI (pip install awscli), beside tidal or on PATH")
        return 2
    embedded = None
    with contextlib.ExitStack() as stack:
        try:
            if endpoint is None:
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tidal-lab-")))
                # Its own session: Ctrl-C interrupts the run, and the server stays up for the report.
                embedded = TidalProcess(tmp / "data", log_path=tmp / "tidal.log", new_session=True)
                stack.callback(embedded.stop)
                endpoint = embedded.start().endpoint
                console.print(f"embedded tidal on {endpoint} (ready in {embedded.ready_seconds:.2f}s)")
            server_pid = embedded.proc.pid if embedded is not None and embedded.proc is not None else None
            report = _run_with_progress(console, endpoint, objects, threads, timeout, stall_timeout, server_pid, via)
            print_report(report, console)
        except KeyboardInterrupt:  # before the upload began, or while reading the table back
            console.print("interrupted before the run could report")
            return 130
    if report.outcome == "interrupted":
        return 130
    complete = report.outcome == "complete" and report.uploaded == objects
    return 0 if complete and not report.never_processed else 1


def _run_with_progress(
    console, endpoint: str, objects: int, threads: int, timeout: float | None, stall_timeout: float,
    server_pid: int | None, via: str,
) -> FanoutReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        up = bar.add_task("uploaded ", total=objects)
        done = bar.add_task("processed", total=objects)
        rates = RecentRates()
        said: list[bool] = []

        def progress(uploaded: int, processed: int, elapsed: float) -> None:
            up_rate, done_rate = rates.update(elapsed, uploaded, processed)
            queue = uploaded - processed
            bar.update(up, completed=uploaded, description=f"uploaded  {up_rate:6,.0f}/s")
            bar.update(done, completed=processed, description=f"processed {done_rate:6,.0f}/s, queue {queue:,}")
            if not said and queue_is_growing(queue, up_rate, done_rate):
                said.append(True)
                console.print(
                    f"The queue is growing ({queue:,} waiting): uploads come at {up_rate:,.0f}/s and the"
                    f" handler finishes {done_rate:,.0f}/s on this machine's workers. AWS would scale the"
                    " function out (up to 1,000 concurrent executions by default); one machine cannot."
                )

        return run_fanout(
            endpoint, objects, threads, timeout, progress, stall_timeout, console.print, server_pid, via
        )


def queue_is_growing(queue: int, up_rate: float, done_rate: float) -> bool:
    """More than ten seconds of deliveries are waiting and uploads outpace them. Not before
    deliveries have a rate: while the first workers cold-start the queue grows by design,
    and a handler that never finishes is the stall watch's to report."""
    return done_rate > 0 and queue > 10 * done_rate and up_rate > 1.1 * done_rate


class RecentRates:
    """Rates of counters over the last few seconds (not since the start)."""

    def __init__(self, window: float = 5.0) -> None:
        self._window = window
        self._points: list[tuple[float, tuple[int, ...]]] = []

    def update(self, now: float, *counts: int) -> tuple[float, ...]:
        self._points.append((now, counts))
        while len(self._points) > 2 and now - self._points[1][0] >= self._window:
            self._points.pop(0)
        then, old = self._points[0]
        span = now - then
        return tuple((new - before) / span if span > 0 else 0.0 for new, before in zip(counts, old, strict=True))
