"""BatchWriteItem and BatchGetItem.

A batch is checked whole before anything is read or written: the request counts, the shape of
each request, its attribute values and item size, its table, its key against the table's
schema, then (once every table is known, as AWS reports a missing table first) duplicate
keys. Only then are its puts and deletes applied, each through the same pieces as PutItem and
DeleteItem (``item_operations``: key checks, storage, stream record, capacity). A
``@writes`` operation runs inside one transaction on the single writer, so a batch is also
atomic here, which AWS does not promise but which no client can tell apart from a batch that
was processed completely.

tidal does not throttle, so ``UnprocessedItems`` is always ``{}``. ``UnprocessedKeys`` is
``{}`` too unless a BatchGetItem's response would pass 16 MB, where AWS (and tidal) stops and
returns the keys it did not read.
"""

from __future__ import annotations

from typing import Any

import orjson

from tidal.errors import validation_error
from tidal.services.dynamodb import capacity
from tidal.services.dynamodb.item_operations import (
    ItemOperations,
    bound_projection,
    check_expression_parameters,
    erase_item,
    read_old,
    store_item,
)
from tidal.services.dynamodb.items import read_item
from tidal.services.dynamodb.keys import EncodedKey, key_from_key_param
from tidal.services.dynamodb.tables import Table
from tidal.services.dynamodb.values import validate_item
from tidal.services.operation import Call, reads, writes

_loads = orjson.loads

MAX_BATCH_WRITE_REQUESTS = 25
MAX_BATCH_GET_KEYS = 100
# BatchGetItem stops once its response would pass 16 MB. Counted as the stored size of the
# items read (DynamoDB's item size, before any projection; chosen: AWS does not say which).
MAX_BATCH_GET_BYTES = 16 * 1024 * 1024

DUPLICATE_KEYS = "Provided list of item keys contains duplicates"
# AWS's words for a WriteRequest with neither PutRequest nor DeleteRequest (dynalite recorded
# them against DynamoDB); DynamoDB Local answers a request with both the same way.
NOT_ONE_REQUEST = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"


def too_short(value: str, path: str) -> Exception:
    """Coral's message for an empty map or list (the protocol layer gives it first on the wire)."""
    return validation_error(
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def per_table_capacity(mode: str, units: dict[str, float]) -> list[dict[str, Any]]:
    """ConsumedCapacity of a batch: one entry per table, as the request named it."""
    return [capacity.consumed(mode, name, total) for name, total in units.items()]


class BatchOperations(ItemOperations):
    """BatchWriteItem and BatchGetItem of :class:`~tidal.services.dynamodb.service.DynamoDBService`."""

    # -- BatchWriteItem ------------------------------------------------------------------------

    @writes
    def batch_write_item(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        # ReturnItemCollectionMetrics is accepted: item collections exist only for tables with
        # local secondary indexes, which tidal describes but does not maintain yet, so there
        # are no metrics to return (as PutItem).
        request_items = params["RequestItems"]
        if not request_items:
            raise too_short("{}", "requestItems")
        total = 0
        for table_name, requests in request_items.items():
            if not requests:
                # On the wire the protocol layer refuses this first, with Coral's words.
                raise validation_error(
                    f"The batch write request list for a table cannot be null or empty: {table_name}"
                )
            total += len(requests)
        if total > MAX_BATCH_WRITE_REQUESTS:
            raise validation_error("Too many items requested for the BatchWriteItem call")
        # AWS's 16 MB request limit cannot be reached: 25 items of at most 400 KB each.

        # (table name as given, table, key, item to put or None to delete, item size)
        planned: list[tuple[str, Table, EncodedKey, dict | None, int]] = []
        for table_name, requests in request_items.items():
            for request in requests:
                put = request.get("PutRequest")
                delete = request.get("DeleteRequest")
                if (put is None) == (delete is None):
                    raise validation_error(NOT_ONE_REQUEST)
                if put is not None:
                    table, key, item, size, _ = self._put_target(
                        call, {"TableName": table_name, "Item": put["Item"]}, in_batch=True
                    )
                    planned.append((table_name, table, key, item, size))
                else:
                    table, key, _ = self._delete_target(call, {"TableName": table_name, "Key": delete["Key"]})
                    planned.append((table_name, table, key, None, 0))
        seen: set[tuple[int, EncodedKey]] = set()
        for _, table, key, _, _ in planned:
            if (table.id, key) in seen:
                raise validation_error(DUPLICATE_KEYS)
            seen.add((table.id, key))

        conn = call.db
        units: dict[str, float] = {}
        for table_name, table, key, item, size in planned:
            if item is not None:
                old, old_size = (None, 0)
                # As PutItem: the old item is read only when capacity or a stream needs it.
                if mode or table.stream_view_type:
                    old, old_size = read_old(conn, table, key)  # type: ignore[arg-type]
                store_item(call, table, key, old, item, size)
                used = capacity.write_units(max(size, old_size))
            else:
                old, old_size = read_old(conn, table, key)  # type: ignore[arg-type]
                if old is not None:
                    erase_item(call, table, key, old)
                used = capacity.write_units(old_size)
            units[table_name] = units.get(table_name, 0.0) + used
        # tidal never throttles a batch, so nothing is ever left unprocessed.
        result: dict[str, Any] = {"UnprocessedItems": {}}
        if mode:
            result["ConsumedCapacity"] = per_table_capacity(mode, units)
        return result

    # -- BatchGetItem --------------------------------------------------------------------------

    @reads
    def batch_get_item(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        request_items = params["RequestItems"]
        if not request_items:
            raise too_short("{}", "requestItems")
        total = 0
        for table_name, wanted in request_items.items():
            if not wanted.get("Keys"):
                # On the wire the protocol layer refuses this first, with Coral's words.
                raise validation_error(
                    f"The list of keys in RequestItems for BatchGetItem is required: {table_name} has empty list"
                )
            total += len(wanted["Keys"])
        if total > MAX_BATCH_GET_KEYS:
            raise validation_error("Too many items requested for the BatchGetItem call")

        # (table name as given, its KeysAndAttributes, table, projection, [(key item, key)])
        planned = []
        seen: set[tuple[int, EncodedKey]] = set()
        for table_name, wanted in request_items.items():
            check_expression_parameters("GetItem", wanted)
            projection = bound_projection(wanted)
            key_items = [validate_item(key_item) for key_item in wanted["Keys"]]
            table = self._item_table(call, table_name)
            keys = []
            for key_item in key_items:
                key = key_from_key_param(table.key_schema, key_item)
                if (table.id, key) in seen:
                    raise validation_error(DUPLICATE_KEYS)
                seen.add((table.id, key))
                keys.append((key_item, key))
            planned.append((table_name, wanted, table, projection, keys))

        conn = call.db
        responses: dict[str, list[dict]] = {}
        unprocessed: dict[str, dict[str, Any]] = {}
        units: dict[str, float] = {}
        response_bytes = 0
        full = False
        for table_name, wanted, table, projection, keys in planned:
            found = responses[table_name] = []
            consistent = bool(wanted.get("ConsistentRead"))
            left: list[dict] = []
            for key_item, key in keys:
                if full:
                    left.append(key_item)
                    continue
                row = read_item(conn, table.id, key)  # type: ignore[arg-type]
                size = row[1] if row is not None else 0
                if response_bytes + size > MAX_BATCH_GET_BYTES:
                    full = True
                    left.append(key_item)
                    continue
                response_bytes += size
                if row is not None:
                    item = _loads(row[0])
                    found.append(projection.apply(item) if projection is not None else item)
                units[table_name] = units.get(table_name, 0.0) + capacity.read_units(size, consistent)
            if left:
                # The table's request as it came, with just the keys that were not read.
                unprocessed[table_name] = {**wanted, "Keys": left}
        result: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        if mode:
            result["ConsumedCapacity"] = per_table_capacity(mode, units)
        return result
