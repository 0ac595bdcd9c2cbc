"""Item storage: one row per item, the item as one orjson blob in its JSON wire form.

The row key ``(table_id, partition, hash_key, range_key)`` is described in ``keys.py``; a
WITHOUT ROWID table makes it the clustered index, so a GetItem or the read half of an
UpdateItem is one b-tree search and a Scan page is one range walk. ``size`` is the item's
DynamoDB size, kept for capacity units, the 1 MB page limit and TableSizeBytes without
parsing the blob.
"""

from __future__ import annotations

from collections.abc import Iterator

from tidal.services.dynamodb.keys import EncodedKey
from tidal.storage.database import Connection

ITEMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS dynamodb_items (
    table_id INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    hash_key BLOB NOT NULL,
    range_key BLOB NOT NULL,
    size INTEGER NOT NULL,
    item BLOB NOT NULL,
    PRIMARY KEY (table_id, partition, hash_key, range_key)
) WITHOUT ROWID;
"""

_GET = (
    "SELECT item, size FROM dynamodb_items"
    " WHERE table_id = ? AND partition = ? AND hash_key = ? AND range_key = ?"
)
_PUT = (
    "INSERT OR REPLACE INTO dynamodb_items (table_id, partition, hash_key, range_key, size, item)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
# Rewriting a row that is known to exist: measured on SQLite 3.40, an UPDATE's COMMIT costs
# about half an INSERT OR REPLACE's (which deletes and reinserts the b-tree cell).
_REWRITE = (
    "UPDATE dynamodb_items SET size = ?, item = ?"
    " WHERE table_id = ? AND partition = ? AND hash_key = ? AND range_key = ?"
)
_DELETE = "DELETE FROM dynamodb_items WHERE table_id = ? AND partition = ? AND hash_key = ? AND range_key = ?"
_SCAN_ORDER = " ORDER BY partition, hash_key, range_key LIMIT ?"


def read_item(conn: Connection, table_id: int, key: EncodedKey) -> tuple[bytes, int] | None:
    """The stored blob and size of the item at ``key``, if there is one."""
    return conn.execute(_GET, (table_id, key.partition, key.hash_key, key.range_key)).fetchone()


def write_item(
    conn: Connection, table_id: int, key: EncodedKey, blob: bytes, size: int, exists: bool = False
) -> None:
    """Store the item at ``key``; ``exists`` says the caller read a stored item there (in this
    transaction), so the row is rewritten in place rather than inserted or replaced."""
    if exists:
        conn.execute(_REWRITE, (size, blob, table_id, key.partition, key.hash_key, key.range_key))
    else:
        conn.execute(_PUT, (table_id, key.partition, key.hash_key, key.range_key, size, blob))


def remove_item(conn: Connection, table_id: int, key: EncodedKey) -> None:
    conn.execute(_DELETE, (table_id, key.partition, key.hash_key, key.range_key))


def scan_rows(
    conn: Connection,
    table_id: int,
    after: EncodedKey | None,
    partitions: tuple[int, int] | None,
    limit: int,
) -> Iterator[tuple[bytes, int]]:
    """Rows in scan order, strictly after ``after``, within a partition-hash range.

    ``partitions`` is a parallel scan's segment (half-open range of partition hashes).
    Yields ``(blob, size)``; the caller stops reading when a page is full.
    """
    sql = "SELECT item, size FROM dynamodb_items WHERE table_id = ?"
    args: list = [table_id]
    if after is not None:
        sql += " AND (partition, hash_key, range_key) > (?, ?, ?)"
        args += [after.partition, after.hash_key, after.range_key]
    if partitions is not None:
        sql += " AND partition >= ? AND partition < ?"
        args += [partitions[0], partitions[1]]
    args.append(limit)
    return conn.execute(sql + _SCAN_ORDER, args)


def query_rows(
    conn: Connection,
    table_id: int,
    partition: int,
    hash_key: bytes,
    low: tuple[bytes, bool] | None,
    high: tuple[bytes, bool] | None,
    forward: bool,
    limit: int,
) -> Iterator[tuple[bytes, int]]:
    """One partition's rows in sort-key order (reversed unless ``forward``).

    ``low`` / ``high`` bound the encoded sort key as ``(bytes, inclusive)``; the caller folds
    ExclusiveStartKey into them.
    """
    sql = "SELECT item, size FROM dynamodb_items WHERE table_id = ? AND partition = ? AND hash_key = ?"
    args: list = [table_id, partition, hash_key]
    if low is not None:
        sql += " AND range_key >= ?" if low[1] else " AND range_key > ?"
        args.append(low[0])
    if high is not None:
        sql += " AND range_key <= ?" if high[1] else " AND range_key < ?"
        args.append(high[0])
    sql += " ORDER BY range_key" + ("" if forward else " DESC") + " LIMIT ?"
    args.append(limit)
    return conn.execute(sql, args)


def table_statistics(conn: Connection, table_id: int) -> tuple[int, int]:
    """``(ItemCount, TableSizeBytes)``, counted now.

    AWS refreshes these about every six hours; tidal counts them when asked (a range walk
    over the table's rows), which is exact and costs nothing on the write path.
    """
    count, size = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM dynamodb_items WHERE table_id = ?", (table_id,)
    ).fetchone()
    return count, size


def drop_items(conn: Connection, table_id: int) -> None:
    """Remove every item of a deleted table (inside DeleteTable's transaction)."""
    conn.execute("DELETE FROM dynamodb_items WHERE table_id = ?", (table_id,))
