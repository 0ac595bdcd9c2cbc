"""DynamoDB without a socket: a service on its own database, called as the gateway calls it.

For tests, benchmarks and tools: ``@writes`` operations run on the writer thread inside a
transaction and return after COMMIT, ``@reads`` run on the caller's read connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tidal.config import Config
from tidal.services.dynamodb.service import SCHEMA, DynamoDBService
from tidal.services.environment import ServiceEnv
from tidal.services.operation import Call, operation_kind
from tidal.storage.blobs import BlobStore
from tidal.storage.clock import Clock
from tidal.storage.database import Database, WriteTx
from tidal.storage.ids import IdSource
from tidal.storage.outbox import SCHEMA as OUTBOX_SCHEMA
from tidal.storage.outbox import Outbox


class InProcessDynamoDB:
    """``ddb.put_item(TableName=..., Item=...)`` returns what boto3's client would return."""

    def __init__(self, data_dir: Path, config: Config | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.config = config or Config(data_dir=self.data_dir, seed=7)
        self.open()

    def open(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(self.data_dir / "tidal.db", [OUTBOX_SCHEMA, SCHEMA])
        self.env = ServiceEnv(
            self.config,
            db,
            BlobStore(self.data_dir / "blobs"),
            Outbox(db),
            Clock(),
            IdSource(self.config.seed),
        )
        self.service = DynamoDBService(self.env)

    def close(self) -> None:
        self.env.db.close()

    def reopen(self) -> None:
        """A restart: close the database, open it again and build a fresh service on it."""
        self.close()
        self.open()

    def make_call(self, tx: WriteTx | None = None) -> Call:
        config = self.config
        if tx is not None:
            return Call(
                "in-process", config.region, config.account_id, self.env.clock.now(), db=tx.conn, tx=tx
            )
        return Call(
            "in-process", config.region, config.account_id, self.env.clock.now(), db=self.env.db.reader()
        )

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self.service, operation)
        kind = operation_kind(method)
        if kind == "writes":
            return self.env.db.write_sync(lambda tx: method(self.make_call(tx), params))
        if kind != "reads":
            raise AttributeError(f"DynamoDBService has no operation {operation}")
        return method(self.make_call(), params)

    def __getattr__(self, operation: str):
        if operation.startswith("_"):
            raise AttributeError(operation)
        return lambda **params: self.call(operation, params)
