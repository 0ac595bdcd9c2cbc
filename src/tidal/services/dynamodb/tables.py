"""Tables: what tidal knows of each one, where it is stored, and its DescribeTable form.

The rows of ``dynamodb_tables`` are the truth; :class:`TableCatalog` mirrors them in memory
so that an item operation finds its table with one dict lookup. The catalog changes only in
``call.after_commit`` callbacks (a rolled-back CreateTable never shows up) and is read from
any thread (dict reads and writes are atomic under the GIL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from tidal.errors import AWSError
from tidal.services.dynamodb.keys import KeySchema
from tidal.storage.database import Connection

TABLES_SCHEMA = """
CREATE TABLE IF NOT EXISTS dynamodb_tables (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    table_uuid TEXT NOT NULL,
    created_at REAL NOT NULL,
    definition BLOB NOT NULL,
    UNIQUE (account_id, region, name)
);
"""
# AUTOINCREMENT: a table id is never reused, so rows of a dropped table can never surface
# in a new table of the same name.


@dataclass(slots=True)
class Table:
    """One table as the item operations need it, plus its stored definition."""

    id: int
    account_id: str
    region: str
    name: str
    uuid: str
    created_at: float
    definition: dict[str, Any]
    key_schema: KeySchema = field(init=False)
    arn: str = field(init=False)
    # Streams come later: set when the table has a stream, so a write knows to record it.
    stream_view_type: str | None = field(init=False)
    stream_label: str | None = field(init=False)
    # Secondary-index key attributes (not part of the primary key): name -> (type, index).
    index_keys: dict[str, tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        definition = self.definition
        types = {d["AttributeName"]: d["AttributeType"] for d in definition["AttributeDefinitions"]}
        elements = definition["KeySchema"]
        hash_name = elements[0]["AttributeName"]
        range_name = elements[1]["AttributeName"] if len(elements) > 1 else None
        self.key_schema = KeySchema(hash_name, types[hash_name], range_name, types.get(range_name or ""))
        self.arn = f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{self.name}"
        stream = definition.get("StreamSpecification")
        self.stream_view_type = stream["StreamViewType"] if stream else None
        self.stream_label = _stream_label(self.created_at) if stream else None
        primary = set(self.key_schema.names)
        self.index_keys = {}
        for family in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            for index in definition.get(family) or ():
                for element in index["KeySchema"]:
                    name = element["AttributeName"]
                    if name not in primary:
                        self.index_keys.setdefault(name, (types[name], index["IndexName"]))

    @property
    def billing_mode(self) -> str:
        return self.definition["BillingMode"]


def _stream_label(created_at: float) -> str:
    # AWS's label is the stream's creation time, ISO 8601 with milliseconds and no zone.
    moment = datetime.fromtimestamp(created_at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def table_not_found(name: str) -> AWSError:
    """DescribeTable / DeleteTable's error for a missing table (AWS names the table)."""
    return AWSError(
        "ResourceNotFoundException", f"Requested resource not found: Table: {name} not found", 400
    )


def item_table_not_found() -> AWSError:
    """The item operations' error for a missing table: AWS does not name the table there."""
    return AWSError("ResourceNotFoundException", "Requested resource not found", 400)


def split_table_name(name: str, region: str, account_id: str) -> tuple[str, str, str]:
    """``(account, region, name)`` from a TableName parameter, which may be a table ARN."""
    if name.startswith("arn:"):
        parts = name.split(":", 5)
        if len(parts) == 6 and parts[2] == "dynamodb" and parts[5].startswith("table/"):
            return parts[4], parts[3], parts[5][len("table/") :]
    return account_id, region, name


class TableCatalog:
    """The tables in memory, keyed by ``(account, region, name)``."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, str, str], Table] = {}

    def load(self, conn: Connection) -> None:
        rows = conn.execute(
            "SELECT id, account_id, region, name, table_uuid, created_at, definition FROM dynamodb_tables"
        ).fetchall()
        self._tables = {
            (row[1], row[2], row[3]): Table(
                row[0], row[1], row[2], row[3], row[4], row[5], orjson.loads(row[6])
            )
            for row in rows
        }

    def get(self, account_id: str, region: str, name: str) -> Table | None:
        return self._tables.get((account_id, region, name))

    def add(self, table: Table) -> None:
        self._tables[(table.account_id, table.region, table.name)] = table

    def remove_named(self, account_id: str, region: str, name: str) -> None:
        self._tables.pop((account_id, region, name), None)


# -- persistence -------------------------------------------------------------------------------


def find_table_row(conn: Connection, account_id: str, region: str, name: str) -> Table | None:
    """The committed (or, on the writer, this transaction's) table of that name."""
    row = conn.execute(
        "SELECT id, account_id, region, name, table_uuid, created_at, definition FROM dynamodb_tables"
        " WHERE account_id = ? AND region = ? AND name = ?",
        (account_id, region, name),
    ).fetchone()
    if row is None:
        return None
    return Table(row[0], row[1], row[2], row[3], row[4], row[5], orjson.loads(row[6]))


def insert_table(
    conn: Connection,
    account_id: str,
    region: str,
    name: str,
    table_uuid: str,
    created_at: float,
    definition: dict[str, Any],
) -> Table:
    conn.execute(
        "INSERT INTO dynamodb_tables (account_id, region, name, table_uuid, created_at, definition)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, region, name, table_uuid, created_at, orjson.dumps(definition)),
    )
    return Table(conn.last_insert_rowid(), account_id, region, name, table_uuid, created_at, definition)


def delete_table_row(conn: Connection, table: Table) -> None:
    conn.execute("DELETE FROM dynamodb_tables WHERE id = ?", (table.id,))


def table_names(
    conn: Connection, account_id: str, region: str, after: str | None, limit: int
) -> list[str]:
    """Table names in order, those after ``after`` (exclusive), at most ``limit``."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT name FROM dynamodb_tables WHERE account_id = ? AND region = ? AND name > ?"
            " ORDER BY name LIMIT ?",
            (account_id, region, after or "", limit),
        )
    ]


# -- DescribeTable -----------------------------------------------------------------------------


def _throughput(given: dict | None) -> dict[str, Any]:
    # On-demand tables and indexes report zero capacities, as AWS does.
    return {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": given["ReadCapacityUnits"] if given else 0,
        "WriteCapacityUnits": given["WriteCapacityUnits"] if given else 0,
    }


def describe(table: Table, status: str, item_count: int, size_bytes: int) -> dict[str, Any]:
    """The TableDescription member of CreateTable, DescribeTable and DeleteTable."""
    definition = table.definition
    created = datetime.fromtimestamp(table.created_at, UTC)
    description: dict[str, Any] = {
        "AttributeDefinitions": definition["AttributeDefinitions"],
        "TableName": table.name,
        "KeySchema": definition["KeySchema"],
        "TableStatus": status,
        "CreationDateTime": created,
        "ProvisionedThroughput": _throughput(definition["ProvisionedThroughput"]),
        "TableSizeBytes": size_bytes,
        "ItemCount": item_count,
        "TableArn": table.arn,
        "TableId": table.uuid,
    }
    if table.billing_mode == "PAY_PER_REQUEST":
        # A table created as PROVISIONED has no BillingModeSummary on AWS.
        description["BillingModeSummary"] = {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": created,
        }
    if definition.get("LocalSecondaryIndexes"):
        description["LocalSecondaryIndexes"] = [
            {
                "IndexName": index["IndexName"],
                "KeySchema": index["KeySchema"],
                "Projection": index["Projection"],
                # Secondary indexes are stored and described but not maintained yet, so they
                # hold nothing.
                "IndexSizeBytes": 0,
                "ItemCount": 0,
                "IndexArn": f"{table.arn}/index/{index['IndexName']}",
            }
            for index in definition["LocalSecondaryIndexes"]
        ]
    if definition.get("GlobalSecondaryIndexes"):
        description["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index["IndexName"],
                "KeySchema": index["KeySchema"],
                "Projection": index["Projection"],
                "IndexStatus": "ACTIVE",
                "ProvisionedThroughput": _throughput(index.get("ProvisionedThroughput")),
                "IndexSizeBytes": 0,
                "ItemCount": 0,
                "IndexArn": f"{table.arn}/index/{index['IndexName']}",
            }
            for index in definition["GlobalSecondaryIndexes"]
        ]
    if definition.get("StreamSpecification"):
        description["StreamSpecification"] = definition["StreamSpecification"]
        description["LatestStreamLabel"] = table.stream_label
        description["LatestStreamArn"] = f"{table.arn}/stream/{table.stream_label}"
    sse = definition.get("SSESpecification")
    if sse and sse.get("Enabled"):
        description["SSEDescription"] = {
            "Status": "ENABLED",
            "SSEType": sse.get("SSEType") or "KMS",
            "KMSMasterKeyArn": sse.get("KMSMasterKeyId")
            or f"arn:aws:kms:{table.region}:{table.account_id}:key/{table.uuid}",
        }
    if definition.get("TableClass"):
        description["TableClassSummary"] = {"TableClass": definition["TableClass"]}
    description["DeletionProtectionEnabled"] = definition["DeletionProtectionEnabled"]
    return description
