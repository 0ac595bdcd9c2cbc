"""The seed-000 pipeline at scale: end-to-end objects/s and peak memory of server plus workers."""

from __future__ import annotations

import threading

from benchmarks.targets import Target, tree_rss_mb
from tidal.lab.s3_fanout import run_fanout


def bench_fanout(target: Target, objects: int = 20_000, threads: int = 8, timeout: float = 1800) -> dict:
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss_mb(target.pid))
            stop.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        report = run_fanout(target.endpoint, objects, threads, timeout)
    finally:
        stop.set()
        sampler.join()
    return {
        "objects_per_s": report.processed / report.end_to_end_seconds,
        "upload_per_s": report.uploaded / report.upload_seconds,
        "processed": report.processed,
        "never_processed": report.never_processed,
        "histogram": report.histogram,
        "peak_rss_mb": peak[0],
        "p50_ms": report.p50_ms,
        "p99_ms": report.p99_ms,
    }
