"""What Scan and Query share: Select, Limit, the 1 MB page, filters, projections and counts.

A page reads rows in order until it has read ``Limit`` items or 1 MB of them (counted with
DynamoDB's item sizes, before any filter), like DynamoDB; the filter then drops items
without giving back what they cost, so ``ScannedCount`` counts what was read and ``Count``
what passed. When the page stopped on the limit or the size, ``LastEvaluatedKey`` is the
key of the last item read, even if it was the table's last (AWS does the same: the next
request returns an empty page).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from tidal.errors import validation_error
from tidal.services.dynamodb import capacity
from tidal.services.dynamodb.expressions import BoundCondition, BoundProjection, ExpressionScope
from tidal.services.dynamodb.keys import KeySchema, key_attributes

MAX_PAGE_BYTES = 1024 * 1024
SELECTS = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


def check_limit(params: dict[str, Any]) -> int | None:
    limit = params.get("Limit")
    if limit is not None and limit < 1:
        raise validation_error(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        )
    return limit


def check_select(params: dict[str, Any], prefix: str) -> str:
    """The Select to honour. ``prefix`` is "1 validation error detected: " for Query, "" for Scan
    (AWS words the COUNT + projection refusal with the prefix only on Query)."""
    select = params.get("Select")
    has_projection = "ProjectionExpression" in params
    if select is None:
        return "SPECIFIC_ATTRIBUTES" if has_projection else "ALL_ATTRIBUTES"
    if select not in SELECTS:
        raise validation_error(
            f"1 validation error detected: Value '{select}' at 'select' failed to satisfy constraint: "
            "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
        )
    if select == "COUNT" and has_projection:
        raise validation_error(
            prefix + "Cannot specify the ProjectionExpression when choosing to get only the Count"
        )
    if select == "ALL_ATTRIBUTES" and has_projection:
        raise validation_error(
            prefix + "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"
        )
    if select == "SPECIFIC_ATTRIBUTES" and not has_projection:
        raise validation_error(
            prefix
            + "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
        )
    if select == "ALL_PROJECTED_ATTRIBUTES" and params.get("IndexName") is None:
        raise validation_error(
            prefix + "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
        )
    return select


def bind_filter_and_projection(
    params: dict[str, Any], extra: tuple[str, ...] = ()
) -> tuple[ExpressionScope | None, BoundCondition | None, BoundProjection | None]:
    """Bind FilterExpression and ProjectionExpression; ``extra`` names expressions the caller
    binds itself (Query's KeyConditionExpression) before calling ``scope.check_unused()``."""
    if not (
        "FilterExpression" in params
        or "ProjectionExpression" in params
        or "ExpressionAttributeNames" in params
        or "ExpressionAttributeValues" in params
        or any(name in params for name in extra)
    ):
        return None, None, None
    scope = ExpressionScope(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
    condition = (
        scope.condition(params["FilterExpression"], "FilterExpression")
        if "FilterExpression" in params
        else None
    )
    projection = (
        scope.projection(params["ProjectionExpression"]) if "ProjectionExpression" in params else None
    )
    return scope, condition, projection


def read_page(
    rows: Iterable[tuple[bytes, int]],
    limit: int | None,
    schema: KeySchema,
    select: str,
    condition: BoundCondition | None,
    projection: BoundProjection | None,
    consistent: bool,
    mode: str | None,
    table_name: str,
) -> dict[str, Any]:
    """Build a Scan/Query response from rows in order (already bounded by ``limit`` in SQL)."""
    loads = orjson.loads
    items: list[dict] = []
    scanned = 0
    count = 0
    total_bytes = 0
    last: dict | None = None
    full = False
    counting = select == "COUNT"
    for blob, size in rows:
        item = loads(blob)
        scanned += 1
        total_bytes += size
        last = item
        if condition is None or condition.evaluate(item):
            count += 1
            if not counting:
                items.append(projection.apply(item) if projection is not None else item)
        if limit is not None and scanned >= limit:
            full = True
            break
        if total_bytes >= MAX_PAGE_BYTES:
            full = True
            break
    result: dict[str, Any] = {}
    if not counting:
        result["Items"] = items
    result["Count"] = count
    result["ScannedCount"] = scanned
    if full and last is not None:
        result["LastEvaluatedKey"] = key_attributes(schema, last)
    if mode:
        result["ConsumedCapacity"] = capacity.consumed(
            mode, table_name, capacity.read_units(total_bytes, consistent)
        )
    return result
