"""``make bench-pipeline``: where seed-000's CPU goes, per object, by process and by owner.

On one tidal, three runs of the same uploader (boto3 PutObject of empty objects, 8 threads):

- **plain**: into a bucket that notifies nothing: the uploader's boto3 (the user's cost) and
  the server's PutObject;
- **no-op**: into a bucket that notifies a function whose handler returns at once: what the
  server spends to deliver an event beyond the PutObject, and the worker's runtime alone;
- **seed**: the seed's own pipeline (its handler's boto3 UpdateItem): the handler's cost.

Each figure is CPU time (user + system) per object, from /proc for the server and its workers
and getrusage for the uploader, which runs in this process. Warm workers: each run is preceded
by a warm-up of the same function, outside the count.

Usage: ``python -m benchmarks.pipeline_cpu [--objects N] [--threads T]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.targets import CpuSnapshot, cpu_seconds_between, cpu_snapshot
from tidal.lab.process_memory import process_tree
from tidal.lab.s3_fanout import boto3_client, delivery_counts, setup_pipeline
from tidal.lab.uploads import KeyUploader
from tidal.testing import TidalProcess

NOOP_HANDLER = "def lambda_handler(event, context):\n    return None\n"


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _tree_snapshot(server_pid: int) -> dict[int, CpuSnapshot]:
    return {pid: cpu_snapshot(pid) for pid in process_tree(server_pid)}


def _tree_cpu(server_pid: int, before: dict[int, CpuSnapshot]) -> tuple[float, float]:
    """(server, workers) CPU seconds since ``before``; workers started since count from zero.
    Workers that exited in between are not counted: keep them warm (no retire, no idle reap)."""
    empty = CpuSnapshot({}, 0)
    server = workers = 0.0
    for pid in process_tree(server_pid):
        spent = cpu_seconds_between(before.get(pid, empty), cpu_snapshot(pid))
        if pid == server_pid:
            server = spent
        else:
            workers += spent
    return server, workers


def _upload(endpoint: str, bucket: str, first: int, objects: int, threads: int, expect_deliveries: bool) -> None:
    s3 = boto3_client(endpoint, "s3", pool=max(10, threads))
    baseline = delivery_counts(endpoint)
    uploader = KeyUploader(
        lambda key: s3.put_object(Bucket=bucket, Key=f"{first}-{key}", Body=b""), objects, threads
    )
    uploader.start()
    while not uploader.done:
        time.sleep(0.1)
    uploader.stop()
    if uploader.errors:
        raise RuntimeError(f"{uploader.errors} uploads failed")
    while expect_deliveries:
        delivered, other = delivery_counts(endpoint) or (0, 0)
        if delivered + other - sum(baseline or (0, 0)) >= objects:
            break
        time.sleep(0.05)


def measure(endpoint: str, server_pid: int, bucket: str, objects: int, threads: int, notifies: bool) -> dict:
    _upload(endpoint, bucket, 0, min(2_000, objects), threads, notifies)  # warm workers and caches
    before, lab0, t0 = _tree_snapshot(server_pid), _own_cpu(), time.perf_counter()
    _upload(endpoint, bucket, 1, objects, threads, notifies)
    wall, lab = time.perf_counter() - t0, _own_cpu() - lab0
    server, workers = _tree_cpu(server_pid, before)
    per = 1e6 / objects
    return {"uploader": lab * per, "server": server * per, "workers": workers * per, "rate": objects / wall}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline_cpu")
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        with TidalProcess(Path(tmp) / "data", log_path=Path(tmp) / "tidal.log") as server:
            ep, pid = server.endpoint, server.proc.pid
            plain_bucket = f"plain-{int(time.time())}"
            boto3_client(ep, "s3").create_bucket(Bucket=plain_bucket)
            runs = {}
            for name, bucket, notifies in (
                ("plain", plain_bucket, False),
                ("no-op", setup_pipeline(ep, f"noop{int(time.time())}", NOOP_HANDLER)[0], True),
                ("seed", setup_pipeline(ep, f"seed{int(time.time())}")[0], True),
            ):
                runs[name] = measure(ep, pid, bucket, args.objects, args.threads, notifies)
                r = runs[name]
                print(f"{name:6} {args.objects:,} objects at {r['rate']:,.0f}/s: uploader {r['uploader']:,.0f} µs,"
                      f" server {r['server']:,.0f} µs, workers {r['workers']:,.0f} µs per object", flush=True)
    plain, noop, seed = runs["plain"], runs["no-op"], runs["seed"]
    rows = [
        ("user", "uploader's boto3 PutObject", plain["uploader"]),
        ("user", "handler's boto3 UpdateItem (worker)", seed["workers"] - noop["workers"]),
        ("tidal", "server: PutObject", plain["server"]),
        ("tidal", "server: delivering the event", noop["server"] - plain["server"]),
        ("tidal", "server: the handler's UpdateItem", seed["server"] - noop["server"]),
        ("tidal", "worker: the runtime around a handler", noop["workers"]),
    ]
    total = sum(us for _, _, us in rows)
    print(f"\nCPU per object, seed-000's pipeline ({args.objects:,} objects per run, warm workers):")
    for owner, what, us in rows:
        print(f"  {owner:5}  {what:<38} {us:7,.0f} µs  {100 * us / total:4.0f}%")
    tidal_share = sum(us for owner, _, us in rows if owner == "tidal")
    print(f"  tidal's share {tidal_share:,.0f} µs of {total:,.0f} µs ({100 * tidal_share / total:.0f}%);"
          f" at this cost two cores carry at most {2e6 / total:,.0f} objects/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
