"""The HTTP floor: tidal's own HTTP layer answering every request with a canned reply.

This VM's speed drifts by up to ~1.7× within an hour, so an absolute µs figure means little
alone. Run in the same benchmark as tidal, the floor shows how much of a request's server
CPU is socket, kernel and HTTP parsing (which no service work can remove) and how much is
tidal's own. ``python -m benchmarks.floor PORT`` serves it; ``start_floor`` runs it.

The commit floor (``python -m benchmarks.floor PORT DATA_DIR``, ``start_commit_floor``) adds
what no durable write can skip: each PutObject and UpdateItem also commits one SQLite write
transaction through tidal's own :class:`Database` (WAL, the same settings), which reads a
row and writes it back, before the canned reply goes out. What tidal spends above it is
parsing, validation and the services' semantics.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import zlib
from pathlib import Path

from benchmarks.targets import Target, start_process
from tidal.cli import event_loop_factory
from tidal.gateway.http import start_http_server
from tidal.storage.database import Database, WriteTx
from tidal.testing import free_port
from tidal.types import HttpRequest, HttpResponse

# What tidal answers to the two benchmarked operations, minus the work.
_PUT_OBJECT = HttpResponse(200, [("x-amz-request-id", "0" * 16), ("x-amz-id-2", "0" * 76),
                                 ("ETag", '"d41d8cd98f00b204e9800998ecf8427e"')], b"")
_UPDATE_BODY = b'{"Attributes":{"count":{"N":"1"}}}'
_UPDATE_ITEM = HttpResponse(200, [("x-amzn-RequestId", "0" * 52), ("x-amz-crc32", str(zlib.crc32(_UPDATE_BODY))),
                                  ("Content-Type", "application/x-amz-json-1.0")], _UPDATE_BODY)
_CREATED = HttpResponse(200, [("Content-Type", "application/x-amz-json-1.0")], b"{}")


def _answer(request: HttpRequest, respond) -> None:
    target = request.headers.get("x-amz-target", "")
    if target.endswith("UpdateItem"):
        respond(_UPDATE_ITEM)
    elif target:  # CreateTable
        respond(_CREATED)
    else:  # CreateBucket, PutObject
        respond(_PUT_OBJECT)


def _committing(db: Database):
    rows = itertools.count()

    def read_modify_write(tx: WriteTx) -> None:
        key = next(rows) % 500  # the benchmark's UpdateItem also cycles over 500 keys
        row = tx.execute("SELECT value FROM floor WHERE key = ?", (key,)).fetchone()
        tx.execute("INSERT OR REPLACE INTO floor (key, value) VALUES (?, ?)", (key, (row[0] if row else 0) + 1))

    def answer(request: HttpRequest, respond) -> None:
        target = request.headers.get("x-amz-target", "")
        if request.method != "PUT" and not target.endswith("UpdateItem"):
            _answer(request, respond)  # CreateTable, the health probe
            return
        db.submit(read_modify_write, lambda result, error: _answer(request, respond))

    return answer


async def _serve(port: int, data_dir: str | None) -> None:
    db = None
    answer = _answer
    if data_dir is not None:
        db = Database(Path(data_dir) / "floor.sqlite3", ["CREATE TABLE floor (key INTEGER PRIMARY KEY, value INTEGER)"])
        answer = _committing(db)
    server = await start_http_server(answer, "127.0.0.1", port)
    try:
        await asyncio.Event().wait()  # until the process is stopped
    finally:
        server.close()
        if db is not None:
            db.close()


def _start(name: str, tmp: Path, *extra: str) -> Target:
    port = free_port()
    argv = [sys.executable, "-m", "benchmarks.floor", str(port), *extra]
    return start_process(name, argv, {}, port, tmp, lambda_ok=False, cwd=Path(__file__).parent.parent)


def start_floor(tmp: Path) -> Target:
    return _start("floor", tmp)


def start_commit_floor(tmp: Path) -> Target:
    (tmp / "floor-data").mkdir()
    return _start("commit floor", tmp, str(tmp / "floor-data"))


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(_serve(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))
