"""An in-process Lambda service on a temporary data directory, called as the dispatcher calls it."""

from __future__ import annotations

import io
import itertools
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tidal.config import Config
from tidal.errors import AWSError
from tidal.runtime.pool import WorkerPool
from tidal.services.environment import ServiceEnv
from tidal.services.lambda_.service import SCHEMA, LambdaService
from tidal.services.operation import Call, operation_kind
from tidal.storage.blobs import BlobStore
from tidal.storage.clock import Clock
from tidal.storage.database import Database
from tidal.storage.ids import IdSource
from tidal.storage.outbox import SCHEMA as OUTBOX_SCHEMA
from tidal.storage.outbox import Outbox

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"

HANDLER_SOURCE = """
import os

def handler(event, context):
    return {"echo": event, "request_id": context.aws_request_id, "greeting": os.environ.get("GREETING")}

def fail(event, context):
    print("about to fail")
    raise ValueError("cannot decode image")
"""

BASE_ENV = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_SESSION_TOKEN": "test",
}


def make_zip(files: dict[str, str | bytes] | None = None) -> bytes:
    """A deployment package built in memory; by default app.py with HANDLER_SOURCE."""
    files = {"app.py": HANDLER_SOURCE} if files is None else files
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            if isinstance(content, str):
                content = textwrap.dedent(content)
            archive.writestr(name, content)
    return buffer.getvalue()


def create_params(name: str = "fn", **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": make_zip()},
    }
    params.update(overrides)
    return params


class LambdaHarness:
    """Builds a ServiceEnv on ``root`` and runs operations the way the dispatcher does."""

    def __init__(self, root: Path, pool: WorkerPool | None = None) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.config = Config(data_dir=root)
        self.db = Database(root / "tidal.db", [OUTBOX_SCHEMA, SCHEMA])
        self.outbox = Outbox(self.db)
        self.env = ServiceEnv(
            self.config, self.db, BlobStore(root / "blobs"), self.outbox, Clock(), IdSource(seed=11)
        )
        # A pool is only started by tests that run handlers (inside their own event loop).
        self.service = LambdaService(self.env, pool)  # type: ignore[arg-type]
        self._numbers = itertools.count(1)

    def new_call(self, *, region: str = REGION, now: float | None = None) -> Call:
        return Call(
            f"req-{next(self._numbers)}", region, ACCOUNT, self.env.clock.now() if now is None else now
        )

    def __call__(self, operation: str, params: dict[str, Any] | None = None, **call_options: Any) -> dict:
        """@writes on the writer thread (blocking), @reads on this thread's reader."""
        method = getattr(self.service, operation)
        kind = operation_kind(method)
        call = self.new_call(**call_options)
        params = params or {}
        if kind == "writes":
            call.database = self.db

            def job(tx: Any) -> Any:
                call.db = tx.conn
                call.tx = tx
                return method(call, params)

            return self.db.write_sync(job)
        if kind == "reads":
            call.db = self.db.reader()
            return method(call, params)
        raise AssertionError(f"{operation} is {kind}: use acall inside a loop")

    async def acall(self, operation: str, params: dict[str, Any] | None = None, **call_options: Any) -> dict:
        """Any operation from inside an event loop, as the dispatcher runs it there."""
        method = getattr(self.service, operation)
        kind = operation_kind(method)
        call = self.new_call(**call_options)
        call.database = self.db
        params = params or {}
        if kind == "writes":

            def job(tx: Any) -> Any:
                call.db = tx.conn
                call.tx = tx
                return method(call, params)

            return await self.db.write(job)
        call.db = self.db.reader()
        if kind == "reads":
            return method(call, params)
        return await method(call, params)

    def error(self, operation: str, params: dict[str, Any] | None = None, **call_options: Any) -> AWSError:
        with pytest.raises(AWSError) as caught:
            self(operation, params, **call_options)
        return caught.value

    def outbox_rows(self) -> list[tuple]:
        return (
            self.db.reader().execute("SELECT kind, target, payload, state FROM outbox ORDER BY id").fetchall()
        )

    def close(self) -> None:
        self.db.close()
