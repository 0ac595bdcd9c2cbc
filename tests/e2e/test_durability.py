"""A 2xx means committed: kill -9 the server mid-upload, restart, and nothing acknowledged is lost."""

from __future__ import annotations

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

        def put(i: int) -> None:
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
                time.sleep(0.005)
            if how == "kill -9":
                server.kill()
            else:
                stopped.append(server.stop())

        stopped: list[int | None] = []
        k = threading.Thread(target=killer)
        k.start()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, range(2000)))
        k.join()
        assert 1000 <= len(acknowledged) < 2000, "the stop must land mid-upload"
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
