"""A 2xx means committed: kill -9 the server mid-upload, restart, and nothing acknowledged is lost."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tidal.lab.s3_fanout import count_histogram, setup_pipeline
from tidal.testing import TidalProcess


@pytest.mark.parametrize("how", ["kill -9", "SIGTERM"])
def test_stopping_mid_upload_loses_no_acknowledged_object_or_event(tmp_path, how):
    log = tmp_path / "tidal.log"
    server = TidalProcess(tmp_path / "data", env={"TIDAL_TIME_SCALE": "0.01"}, log_path=log).start()
    try:
        bucket, table, _ = setup_pipeline(server.endpoint, "dur")
        s3 = server.client("s3", max_pool_connections=16)
        acknowledged: list[str] = []
        lock = threading.Lock()
        # kill -9 lands at once: the 2,000 objects. A clean stop drains what is in
        # flight first, so it gets far more keys than the stop point, however slowly it goes.
        keys = 2000 if how == "kill -9" else 10_000
        server_down, uploads_done = threading.Event(), threading.Event()

        def put(i: int) -> None:
            if server_down.is_set():
                return  # the server has exited: nothing more can be acknowledged, skip the refusals
            key = f"files/{i}"
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=b"")
            except Exception:  # noqa: BLE001 - puts after the kill fail; they were never acknowledged
                return
            with lock:
                acknowledged.append(key)

        def killer() -> None:
            while True:
                with lock:
                    if len(acknowledged) >= 1000:
                        break
                if uploads_done.is_set():
                    return  # fewer than 1,000 acknowledged at all: the assertion below says so
                time.sleep(0.005)
            if how == "kill -9":
                server.kill()
            else:
                stopped.append(server.stop())
            server_down.set()

        stopped: list[int | None] = []
        k = threading.Thread(target=killer)
        k.start()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, range(keys)))
        uploads_done.set()
        k.join()
        assert 1000 <= len(acknowledged) < keys, "the stop must land mid-upload"
        if how == "SIGTERM":
            assert stopped == [0], "a clean stop exits 0"
            assert "Traceback" not in log.read_text(), log.read_text()[-3000:]

        server.start()  # same data dir, same port
        listed = set()
        for page in server.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket):
            listed.update(obj["Key"] for obj in page.get("Contents", []))
        assert set(acknowledged) <= listed

        deadline = time.time() + 180
        while True:
            counts = count_histogram(server.endpoint, table)
            missing = [key for key in acknowledged if counts.get(key, 0) < 1]
            if not missing or time.time() > deadline:
                break
            time.sleep(0.5)
        assert missing == [], f"{len(missing)} acknowledged objects never reached the function"
    finally:
        server.stop()


def test_a_restart_removes_blob_files_no_object_refers_to(tmp_path):
    """A crash between writing a large body's file and its commit leaves an orphan file."""
    data = tmp_path / "data"
    server = TidalProcess(data, log_path=tmp_path / "tidal.log").start()
    try:
        s3 = server.client("s3")
        s3.create_bucket(Bucket="big")
        body = bytes(range(256)) * 1024  # 256 KiB: a blob file, not an inline row
        s3.put_object(Bucket="big", Key="kept", Body=body)
    finally:
        server.kill()
    blobs = data / "blobs"
    [kept] = [p for p in blobs.glob("??/*")]
    orphan = blobs / "ab" / ("ab" + "0" * 30)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"written, never committed")
    os.utime(orphan, (time.time() - 60, time.time() - 60))

    server = TidalProcess(data, log_path=tmp_path / "tidal.log").start()
    try:
        deadline = time.time() + 10
        while orphan.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert not orphan.exists()
        assert kept.exists()
        assert server.client("s3").get_object(Bucket="big", Key="kept")["Body"].read() == body
    finally:
        server.stop()
