"""Scan: every item of a table in partition order, a page at a time, optionally in segments.

Items come in the order of their rows (partition hash, then key; see ``keys.py``), so
pagination by ExclusiveStartKey is a range walk that returns each item exactly once while
the table does not change. A parallel scan's segment is a range of partition hashes: every
item belongs to exactly one segment, and each segment reads only its own rows.
"""

from __future__ import annotations

from typing import Any

from tidal.errors import AWSError, validation_error
from tidal.services.dynamodb import capacity
from tidal.services.dynamodb.item_operations import check_expression_parameters
from tidal.services.dynamodb.items import scan_rows
from tidal.services.dynamodb.keys import EncodedKey, key_from_key_param, segment_bounds
from tidal.services.dynamodb.pages import bind_filter_and_projection, check_limit, check_select, read_page
from tidal.services.dynamodb.tables import Table
from tidal.services.dynamodb.values import validate_item
from tidal.services.operation import Call, reads

MAX_SEGMENTS = 1_000_000


def check_segments(params: dict[str, Any]) -> tuple[int, int] | None:
    """The partition-hash range of the requested segment, or None for a whole-table scan."""
    segment = params.get("Segment")
    total = params.get("TotalSegments")
    if segment is None and total is None:
        return None
    errors = []
    if total is not None and total < 1:
        errors.append(
            f"Value '{total}' at 'totalSegments' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        )
    if total is not None and total > MAX_SEGMENTS:
        errors.append(
            f"Value '{total}' at 'totalSegments' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_SEGMENTS}"
        )
    if segment is not None and segment < 0:
        errors.append(
            f"Value '{segment}' at 'segment' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0"
        )
    if segment is not None and segment > MAX_SEGMENTS - 1:
        errors.append(
            f"Value '{segment}' at 'segment' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_SEGMENTS - 1}"
        )
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise validation_error(f"{len(errors)} validation {noun} detected: " + "; ".join(errors))
    if total is None:
        raise validation_error(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter "
            "is present"
        )
    if segment is None:
        raise validation_error(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments "
            "is present"
        )
    if segment >= total:
        raise validation_error(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
            f"Segment: {segment} is not less than TotalSegments: {total}"
        )
    return segment_bounds(segment, total)


def start_key(table: Table, params: dict[str, Any]) -> EncodedKey | None:
    """The row after which a page starts (ExclusiveStartKey), checked against the key schema."""
    given = params.get("ExclusiveStartKey")
    if given is None:
        return None
    try:
        return key_from_key_param(table.key_schema, validate_item(given))
    except AWSError as error:
        if error.code != "ValidationException":
            raise
        raise validation_error(f"The provided starting key is invalid: {error.message}") from None


class ScanOperation:
    """Scan, for :class:`~tidal.services.dynamodb.service.DynamoDBService`."""

    @reads
    def scan(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        check_expression_parameters("Scan", params)
        select = check_select(params, "")
        limit = check_limit(params)
        partitions = check_segments(params)
        scope, condition, projection = bind_filter_and_projection(params)
        if scope is not None:
            scope.check_unused()
        table = self._item_table(call, params["TableName"])  # type: ignore[attr-defined]
        if params.get("IndexName") is not None:
            # Secondary indexes are stored and described, not yet maintained.
            raise validation_error(
                f"tidal does not maintain secondary indexes yet; cannot Scan index {params['IndexName']}"
            )
        after = start_key(table, params)
        if (
            after is not None
            and partitions is not None
            and not partitions[0] <= after.partition < partitions[1]
        ):
            raise validation_error(
                "The provided Exclusive start key does not map to the provided Segment and TotalSegments values."
            )
        rows = scan_rows(call.db, table.id, after, partitions, limit if limit is not None else -1)  # type: ignore[arg-type]
        return read_page(
            rows,
            limit,
            table.key_schema,
            select,
            condition,
            projection,
            bool(params.get("ConsistentRead")),
            mode,
            params["TableName"],
        )
