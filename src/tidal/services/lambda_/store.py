"""Lambda's tables: functions, their policy statements, their async-invoke configurations.

A function is one row keyed by (region, name) holding its record as JSON: the record grows
with the API, the table does not. Policy statements keep the order they were added in,
as GetPolicy shows them.
"""

from __future__ import annotations

from typing import Any

import orjson

from tidal.services.lambda_.record import FunctionRecord
from tidal.storage.database import Connection

SCHEMA = """
CREATE TABLE IF NOT EXISTS lambda_functions (
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (region, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lambda_policy_statements (
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    sid TEXT NOT NULL,
    position INTEGER NOT NULL,
    statement BLOB NOT NULL,
    PRIMARY KEY (region, name, sid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lambda_event_invoke_configs (
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    config BLOB NOT NULL,
    PRIMARY KEY (region, name, qualifier)
) WITHOUT ROWID;
"""


# -- functions ---------------------------------------------------------------------------


def load_function(conn: Connection, region: str, name: str) -> FunctionRecord | None:
    row = conn.execute(
        "SELECT record FROM lambda_functions WHERE region = ? AND name = ?", (region, name)
    ).fetchone()
    return FunctionRecord.from_json(row[0]) if row else None


def function_exists(conn: Connection, region: str, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM lambda_functions WHERE region = ? AND name = ?", (region, name)
    ).fetchone()
    return row is not None


def insert_function(conn: Connection, record: FunctionRecord) -> None:
    conn.execute(
        "INSERT INTO lambda_functions (region, name, record) VALUES (?, ?, ?)",
        (record.region, record.name, record.to_json()),
    )


def save_function(conn: Connection, record: FunctionRecord) -> None:
    conn.execute(
        "UPDATE lambda_functions SET record = ? WHERE region = ? AND name = ?",
        (record.to_json(), record.region, record.name),
    )


def delete_function(conn: Connection, region: str, name: str) -> None:
    for table in ("lambda_functions", "lambda_policy_statements", "lambda_event_invoke_configs"):
        conn.execute(f"DELETE FROM {table} WHERE region = ? AND name = ?", (region, name))


def list_functions(
    conn: Connection, region: str, after: str | None, limit: int
) -> tuple[list[FunctionRecord], bool]:
    """Up to ``limit`` functions by name after ``after``, and whether more follow."""
    rows = conn.execute(
        "SELECT record FROM lambda_functions WHERE region = ? AND name > ? ORDER BY name LIMIT ?",
        (region, after or "", limit + 1),
    ).fetchall()
    return [FunctionRecord.from_json(row[0]) for row in rows[:limit]], len(rows) > limit


def code_digests_in_use(conn: Connection, name: str) -> set[str]:
    """The packages (sha256 hex) functions of this name use, in any region."""
    rows = conn.execute("SELECT record FROM lambda_functions WHERE name = ?", (name,)).fetchall()
    return {FunctionRecord.from_json(row[0]).code_sha256_hex for row in rows}


# -- policy statements -------------------------------------------------------------------


def policy_statements(conn: Connection, region: str, name: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT statement FROM lambda_policy_statements WHERE region = ? AND name = ? ORDER BY position",
        (region, name),
    ).fetchall()
    return [orjson.loads(row[0]) for row in rows]


def statement_exists(conn: Connection, region: str, name: str, sid: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM lambda_policy_statements WHERE region = ? AND name = ? AND sid = ?",
        (region, name, sid),
    ).fetchone()
    return row is not None


def add_statement(conn: Connection, region: str, name: str, statement: dict[str, Any]) -> None:
    (position,) = conn.execute(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM lambda_policy_statements WHERE region = ? AND name = ?",
        (region, name),
    ).fetchone()
    conn.execute(
        "INSERT INTO lambda_policy_statements (region, name, sid, position, statement) VALUES (?, ?, ?, ?, ?)",
        (region, name, statement["Sid"], position, orjson.dumps(statement)),
    )


def remove_statement(conn: Connection, region: str, name: str, sid: str) -> bool:
    conn.execute(
        "DELETE FROM lambda_policy_statements WHERE region = ? AND name = ? AND sid = ?", (region, name, sid)
    )
    return conn.changes() > 0


# -- event invoke configurations ---------------------------------------------------------


def event_invoke_config(
    conn: Connection, region: str, name: str, qualifier: str
) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT config FROM lambda_event_invoke_configs WHERE region = ? AND name = ? AND qualifier = ?",
        (region, name, qualifier),
    ).fetchone()
    return orjson.loads(row[0]) if row else None


def event_invoke_configs(
    conn: Connection, region: str, name: str
) -> list[tuple[str, dict[str, Any]]]:
    rows = conn.execute(
        "SELECT qualifier, config FROM lambda_event_invoke_configs WHERE region = ? AND name = ? ORDER BY qualifier",
        (region, name),
    ).fetchall()
    return [(qualifier, orjson.loads(config)) for qualifier, config in rows]


def put_event_invoke_config(
    conn: Connection, region: str, name: str, qualifier: str, config: dict[str, Any]
) -> None:
    conn.execute(
        "INSERT INTO lambda_event_invoke_configs (region, name, qualifier, config) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (region, name, qualifier) DO UPDATE SET config = excluded.config",
        (region, name, qualifier, orjson.dumps(config)),
    )


def delete_event_invoke_config(conn: Connection, region: str, name: str, qualifier: str) -> bool:
    conn.execute(
        "DELETE FROM lambda_event_invoke_configs WHERE region = ? AND name = ? AND qualifier = ?",
        (region, name, qualifier),
    )
    return conn.changes() > 0
