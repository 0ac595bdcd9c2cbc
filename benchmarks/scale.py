"""``make bench-scale``: seed-000 at its real size, against the uploader's own ceiling.

Runs the 1,000,000-object experiment (``tidal lab s3-fanout``'s pipeline) on one tidal and,
in the same run and on the same tidal, the same uploader putting objects into a bucket without
notifications: how fast it uploads when nothing else happens. The end-to-end rate as a ratio
to that plain rate is how close the whole pipeline comes to the cost of the uploads alone
(target ≥ 0.8). The plain rate is measured on a sample (``--plain``, 100,000 by default) so
the benchmark takes about one experiment's time, not two.

Usage: ``python -m benchmarks.scale [--objects N] [--threads T] [--plain M]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tidal.lab.s3_fanout import boto3_client, run_fanout
from tidal.lab.uploads import KeyUploader
from tidal.testing import TidalProcess


def plain_upload_rate(endpoint: str, objects: int, threads: int) -> float:
    """Objects/s of the lab's uploader into a bucket that notifies nothing."""
    s3 = boto3_client(endpoint, "s3", pool=max(10, threads))
    bucket = f"plain-{int(time.time())}"
    s3.create_bucket(Bucket=bucket)
    uploader = KeyUploader(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=b""), objects, threads)
    uploader.start()
    while not uploader.done:
        time.sleep(0.2)
    uploader.stop()
    return uploader.count / (uploader.finished_at - uploader.started_at)  # type: ignore[operator]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--plain", type=int, default=100_000, help="objects in the plain-upload sample")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        with TidalProcess(Path(tmp) / "data", log_path=Path(tmp) / "tidal.log") as server:
            plain = min(args.plain, args.objects)
            print(f"plain upload: {plain:,} objects into a bucket without notifications", flush=True)
            plain_rate = plain_upload_rate(server.endpoint, plain, args.threads)
            print(f"plain upload: {plain_rate:,.0f} objects/s", flush=True)
            print(f"seed-000: {args.objects:,} objects through the pipeline", flush=True)
            report = run_fanout(server.endpoint, args.objects, args.threads, server_pid=server.proc.pid)
    rate = report.processed / report.end_to_end_seconds
    print()
    print(f"outcome:            {report.outcome}; {report.processed:,} of {report.objects:,} processed, "
          f"histogram {report.histogram}, {report.never_processed:,} never processed")
    print(f"end-to-end rate:    {rate:,.0f} objects/s over {report.end_to_end_seconds / 60:,.1f} min "
          f"(total {report.total_seconds / 60:,.1f} min; AWS: about an hour)")
    print(f"plain upload rate:  {plain_rate:,.0f} objects/s (same uploader, same tidal, no notifications)")
    print(f"ratio:              {rate / plain_rate:.2f}x the plain upload rate (target ≥ 0.8)")
    print(f"put → handler:      p50 {report.p50_ms or 0:,.1f} ms, p99 {report.p99_ms or 0:,.1f} ms")
    print("peak memory:        " + ", ".join(f"{k} {v:,.0f} MB" for k, v in (report.peak_mb or {}).items()))
    return 0 if report.outcome == "complete" and not report.never_processed else 1


if __name__ == "__main__":
    raise SystemExit(main())
