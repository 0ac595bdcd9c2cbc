"""An in-process S3 service on a temporary data directory, called the way the dispatcher calls it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from tidal.config import Config
from tidal.services.environment import ServiceEnv
from tidal.services.operation import Call, operation_kind, operation_preparation
from tidal.services.s3.service import SCHEMA, S3Service
from tidal.storage.blobs import BlobStore
from tidal.storage.clock import Clock
from tidal.storage.database import Database
from tidal.storage.ids import IdSource
from tidal.storage.outbox import SCHEMA as OUTBOX_SCHEMA
from tidal.storage.outbox import Outbox

ACCOUNT = "000000000000"


class S3Harness:
    """Builds a ServiceEnv on ``root`` and runs operations as @writes jobs or @reads calls."""

    def __init__(self, root, function_permits: Callable | None = None) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.config = Config(data_dir=root)
        self.db = Database(root / "tidal.db", [OUTBOX_SCHEMA, SCHEMA])
        self.blobs = BlobStore(root / "blobs")
        self.outbox = Outbox(self.db)
        self.env = ServiceEnv(self.config, self.db, self.blobs, self.outbox, Clock(), IdSource(seed=7))
        self.function_permits = function_permits
        self.service = S3Service(self.env, function_permits=function_permits)
        self._request_numbers = itertools.count(1)
        self.last_call: Call | None = None

    def new_call(self, *, region: str = "us-east-1", account_id: str = ACCOUNT, now: float | None = None) -> Call:
        request_id = f"{next(self._request_numbers):016X}"
        call = Call(request_id, region, account_id, self.env.clock.now() if now is None else now, "203.0.113.9")
        self.last_call = call
        return call

    def __call__(self, operation: str, params: dict | None = None, **call_options: Any) -> dict:
        """Run ``operation`` (snake_case) as the dispatcher would: @writes on the writer thread,
        after the work its preparation asks for (here on the caller's thread); @awaits in an
        event loop of its own."""
        method = getattr(self.service, operation)
        kind = operation_kind(method)
        params = params or {}
        call = self.new_call(**call_options)
        if kind == "writes":
            call.database = self.db
            prepare = operation_preparation(method)
            work = prepare(call, params) if prepare is not None else None
            call.prepared = work() if work is not None else None

            def job(tx):
                call.db = tx.conn
                call.tx = tx
                return method(call, params)

            return self.db.write_sync(job)
        call.db = self.db.reader()
        if kind == "awaits":  # a coroutine (GetObject: a large body is read off the loop)
            call.database = self.db
            return asyncio.run(method(call, params))
        assert kind == "reads", f"{operation} is {kind}"
        return method(call, params)

    def write_job(self, fn: Callable[[Call], Any], **call_options: Any) -> Any:
        """Run ``fn(call)`` as one writer job (to compose operations, or fail after one)."""
        call = self.new_call(**call_options)
        call.database = self.db

        def job(tx):
            call.db = tx.conn
            call.tx = tx
            return fn(call)

        return self.db.write_sync(job)

    def outbox_rows(self) -> list[tuple]:
        return self.db.reader().execute("SELECT kind, target, payload FROM outbox ORDER BY id").fetchall()

    def object_rows(self) -> list[tuple]:
        return self.db.reader().execute("SELECT bucket, key, blob_id, size FROM s3_objects ORDER BY bucket, key").fetchall()

    def restart(self) -> S3Service:
        """A new service on the same data: state rebuilt from the database."""
        self.service = S3Service(self.env, function_permits=self.function_permits)
        return self.service

    def close(self) -> None:
        self.db.close()


@pytest.fixture
def s3(tmp_path):
    harness = S3Harness(tmp_path)
    yield harness
    harness.close()


@pytest.fixture
def make_s3(tmp_path):
    """Factory for a harness with a ``function_permits`` of the test's choosing."""
    made: list[S3Harness] = []

    def make(function_permits: Callable | None = None) -> S3Harness:
        harness = S3Harness(tmp_path / f"h{len(made)}", function_permits)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()
