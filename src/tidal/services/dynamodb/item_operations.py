"""PutItem, GetItem, UpdateItem and DeleteItem.

Each operation checks its request as DynamoDB does before it looks for the table (return
enums, legacy/expression parameters, attribute values, expressions with their names and
values), then finds the table (one dict lookup), the key, and the stored item (one indexed
SELECT), and a write ends in one INSERT OR REPLACE or DELETE. ``@writes`` run on the single
writer thread inside a transaction, so read-condition-modify-write is atomic: of two
conditional puts racing on one key, exactly one wins.

The batch and transactional operations (``batch_operations.py``, ``transactions.py``) are
made of the same pieces: a request is checked by ``_put_target`` / ``_update_target`` /
``_delete_target``, an update computed by :func:`updated_item`, and every write goes through
:func:`store_item` or :func:`erase_item`, which record the change for the table's stream.
"""

from __future__ import annotations

from typing import Any

import orjson

from tidal.errors import AWSError, validation_error
from tidal.services.dynamodb import capacity
from tidal.services.dynamodb.changes import record_change
from tidal.services.dynamodb.expressions import (
    BoundCondition,
    BoundProjection,
    BoundUpdate,
    ExpressionScope,
    UpdateOutcome,
    bind_write_expressions,
)
from tidal.services.dynamodb.items import read_item, remove_item, write_item
from tidal.services.dynamodb.keys import EncodedKey, check_index_keys, key_from_item, key_from_key_param
from tidal.services.dynamodb.tables import Table, TableCatalog, item_table_not_found, split_table_name
from tidal.services.dynamodb.values import (
    MAX_ITEM_SIZE,
    UPDATE_TOO_LARGE,
    attribute_size,
    check_item_size,
    validate_item,
)
from tidal.services.operation import Call, reads, writes
from tidal.storage.database import Connection

_loads = orjson.loads
_dumps = orjson.dumps

RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
_ALL_OLD_OR_NONE = ("NONE", "ALL_OLD")

# Legacy (pre-expression) parameters per operation, and the expressions they conflict with.
_LEGACY = {
    "PutItem": (("Expected", "ConditionalOperator"), ("ConditionExpression",)),
    "DeleteItem": (("Expected", "ConditionalOperator"), ("ConditionExpression",)),
    "UpdateItem": (
        ("AttributeUpdates", "Expected", "ConditionalOperator"),
        ("UpdateExpression", "ConditionExpression"),
    ),
    "GetItem": (("AttributesToGet",), ("ProjectionExpression",)),
    "Scan": (
        ("AttributesToGet", "ScanFilter", "ConditionalOperator"),
        ("ProjectionExpression", "FilterExpression"),
    ),
    "Query": (
        ("AttributesToGet", "KeyConditions", "QueryFilter", "ConditionalOperator"),
        ("ProjectionExpression", "FilterExpression", "KeyConditionExpression"),
    ),
}
_REPLACEMENTS = {
    "AttributesToGet": "ProjectionExpression",
    "Expected": "ConditionExpression",
    "AttributeUpdates": "UpdateExpression",
    "ScanFilter": "FilterExpression",
    "QueryFilter": "FilterExpression",
    "KeyConditions": "KeyConditionExpression",
}
# The expressions that may use ExpressionAttributeValues, as AWS lists them when values come
# without any of them.
_VALUE_EXPRESSIONS = {
    "PutItem": ("ConditionExpression",),
    "DeleteItem": ("ConditionExpression",),
    "UpdateItem": ("UpdateExpression", "ConditionExpression"),
    "GetItem": (),
    "Scan": ("FilterExpression",),
    "Query": ("KeyConditionExpression", "FilterExpression"),
}


def check_return_values(value: str | None, allowed: tuple[str, ...]) -> str:
    if value is None:
        return "NONE"
    if value in allowed:
        return value
    if value in RETURN_VALUES:
        raise validation_error("ReturnValues can only be ALL_OLD or NONE")
    raise validation_error(
        f"1 validation error detected: Value '{value}' at 'returnValues' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
    )


def check_return_on_failure(value: str | None) -> bool:
    """Whether ReturnValuesOnConditionCheckFailure asks for the old item."""
    if value is None or value == "NONE":
        return False
    if value == "ALL_OLD":
        return True
    raise validation_error(
        f"1 validation error detected: Value '{value}' at 'returnValuesOnConditionCheckFailure' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
    )


def check_expression_parameters(operation: str, params: dict[str, Any]) -> None:
    """AWS's rules on mixing legacy and expression parameters, and on orphan placeholder maps.

    tidal speaks only the expression form; a legacy parameter on its own is refused with a
    ValidationException that says so (chosen: clearer than a silent partial emulation).
    """
    legacy_names, expression_names = _LEGACY[operation]
    # The usual request has no legacy parameter: one set test instead of building lists.
    legacy = [] if params.keys().isdisjoint(legacy_names) else [name for name in legacy_names if name in params]
    expressions = [name for name in expression_names if name in params]
    if legacy and expressions:
        raise validation_error(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(legacy)}}} Expression parameters: {{{', '.join(expressions)}}}"
        )
    if legacy:
        replacement = _REPLACEMENTS.get(legacy[0]) or (
            "FilterExpression" if operation in ("Scan", "Query") else "ConditionExpression"
        )
        raise validation_error(
            f"tidal does not support the legacy parameter {legacy[0]}; use {replacement} instead"
        )
    if "ExpressionAttributeNames" in params and not expressions:
        raise validation_error("ExpressionAttributeNames can only be specified when using expressions")
    if "ExpressionAttributeValues" in params:
        value_expressions = _VALUE_EXPRESSIONS[operation]
        if params.keys().isdisjoint(value_expressions):
            nulls = " and ".join(f"{name} is null" for name in value_expressions)
            raise validation_error(
                "ExpressionAttributeValues can only be specified when using expressions"
                + (f": {nulls}" if nulls else "")
            )


def condition_failed(old: dict | None, return_old: bool) -> AWSError:
    fields = {"Item": old} if return_old and old is not None else None
    return AWSError("ConditionalCheckFailedException", "The conditional request failed", 400, fields=fields)


# -- the pieces every item write is made of (single-item, batch and transactional) -----------------


def bound_condition(params: dict[str, Any]) -> BoundCondition | None:
    """The request's ConditionExpression bound to its names and values (PutItem, DeleteItem and
    their batch and transactional forms), after :func:`check_expression_parameters`.

    That check already refused names or values without an expression, so without a
    ConditionExpression there is nothing to bind.
    """
    text = params.get("ConditionExpression")
    if text is None:
        return None
    return bind_write_expressions(
        None, text, params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")
    )[1]


def bound_projection(params: dict[str, Any]) -> BoundProjection | None:
    """The request's ProjectionExpression bound to its names (GetItem and the batch and
    transactional gets), after :func:`check_expression_parameters`."""
    text = params.get("ProjectionExpression")
    if text is None:
        return None
    scope = ExpressionScope(params.get("ExpressionAttributeNames"))
    projection = scope.projection(text)
    scope.check_unused()
    return projection


def read_old(conn: Connection, table: Table, key: EncodedKey) -> tuple[dict | None, int]:
    """The stored item at ``key`` and its size (``None, 0`` when there is none)."""
    row = read_item(conn, table.id, key)
    if row is None:
        return None, 0
    return _loads(row[0]), row[1]


def updated_item(
    table: Table, key_item: dict, old: dict | None, update: BoundUpdate | None, old_size: int = 0
) -> tuple[dict, UpdateOutcome | None, int]:
    """``(new item, outcome, size)`` of an update; raises the data-dependent ValidationExceptions.

    An update of a missing item creates it: the key plus what the update writes. With the
    stored item's ``old_size``, the new size is counted from it and the attributes the update
    touched, not the whole item again.
    """
    base = old if old is not None else key_item
    outcome = update.apply(base) if update is not None else None
    new = outcome.item if outcome is not None else base
    if table.index_keys:
        check_index_keys(table.index_keys, new, base)
    if old is None or outcome is None:
        return new, outcome, check_item_size(new, UPDATE_TOO_LARGE)
    size = old_size
    for name in outcome.tree:
        before, after = old.get(name), new.get(name)
        if before is not None:
            size -= attribute_size(name, before)
        if after is not None:
            size += attribute_size(name, after)
    if size > MAX_ITEM_SIZE:
        raise validation_error(UPDATE_TOO_LARGE)
    return new, outcome, size


def store_item(call: Call, table: Table, key: EncodedKey, old: dict | None, new: dict, size: int) -> None:
    """Write ``new`` at ``key`` and its stream record, in the caller's transaction."""
    write_item(call.db, table.id, key, _dumps(new), size, old is not None)  # type: ignore[arg-type]
    if table.stream_view_type is not None:
        record_change(call, table, old, new)


def erase_item(call: Call, table: Table, key: EncodedKey, old: dict) -> None:
    """Delete the stored item ``old`` at ``key`` and record its removal."""
    remove_item(call.db, table.id, key)  # type: ignore[arg-type]
    if table.stream_view_type is not None:
        record_change(call, table, old, None)


def _key_in_put(table: Table, item: dict) -> EncodedKey:
    """The key of an item in a batch or transactional Put.

    There DynamoDB answers a missing or mistyped key attribute with the generic "The provided
    key element does not match the schema", not PutItem's "Missing the key ..." / "Type
    mismatch for key ...", so the key attributes are checked as a ``Key`` parameter is.
    """
    names = table.key_schema.names
    return key_from_key_param(table.key_schema, {name: item[name] for name in names if name in item})


class ItemOperations:
    """The item operations of :class:`~tidal.services.dynamodb.service.DynamoDBService`."""

    _tables: TableCatalog

    def _item_table(self, call: Call, name: str) -> Table:
        if name.startswith("arn:"):
            account_id, region, name = split_table_name(name, call.region, call.account_id)
            table = self._tables.get(account_id, region, name)
        else:
            table = self._tables.get(call.account_id, call.region, name)
        if table is None:
            raise item_table_not_found()
        return table

    # -- what a write request names, checked as DynamoDB checks it before touching the item ----

    def _put_target(
        self, call: Call, params: dict[str, Any], in_batch: bool = False
    ) -> tuple[Table, EncodedKey, dict, int, BoundCondition | None]:
        """``(table, key, item, size, condition)`` of a PutItem, or with ``in_batch`` of a
        batch or transactional Put (whose key errors are worded differently)."""
        check_expression_parameters("PutItem", params)
        item = validate_item(params["Item"])
        size = check_item_size(item)
        condition = bound_condition(params)
        table = self._item_table(call, params["TableName"])
        key = _key_in_put(table, item) if in_batch else key_from_item(table.key_schema, item)
        if table.index_keys:
            check_index_keys(table.index_keys, item)
        return table, key, item, size, condition

    def _delete_target(
        self, call: Call, params: dict[str, Any]
    ) -> tuple[Table, EncodedKey, BoundCondition | None]:
        """``(table, key, condition)`` of a DeleteItem (or a Delete / ConditionCheck)."""
        check_expression_parameters("DeleteItem", params)
        condition = bound_condition(params)
        key_item = validate_item(params["Key"])
        table = self._item_table(call, params["TableName"])
        return table, key_from_key_param(table.key_schema, key_item), condition

    def _update_target(
        self, call: Call, params: dict[str, Any]
    ) -> tuple[Table, EncodedKey, dict, BoundUpdate | None, BoundCondition | None]:
        """``(table, key, key item, update, condition)`` of an UpdateItem (or a transactional Update)."""
        check_expression_parameters("UpdateItem", params)
        update = None
        condition: BoundCondition | None = None
        if (
            "UpdateExpression" in params
            or "ConditionExpression" in params
            or "ExpressionAttributeNames" in params
        ):
            update, condition = bind_write_expressions(
                params.get("UpdateExpression"), params.get("ConditionExpression"),
                params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"),
            )
        key_item = validate_item(params["Key"])
        table = self._item_table(call, params["TableName"])
        schema = table.key_schema
        key = key_from_key_param(schema, key_item)
        if update is not None:
            touched = update.touched_attributes
            for name in schema.names:
                if name in touched:
                    raise validation_error(
                        f"One or more parameter values were invalid: Cannot update attribute {name}. "
                        "This attribute is part of the key"
                    )
        return table, key, key_item, update, condition

    # -- PutItem -------------------------------------------------------------------------------

    @writes
    def put_item(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return_values = check_return_values(params.get("ReturnValues"), _ALL_OLD_OR_NONE)
        return_old_on_failure = check_return_on_failure(params.get("ReturnValuesOnConditionCheckFailure"))
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        table, key, item, size, condition = self._put_target(call, params)
        old: dict | None = None
        old_size = 0
        # The stored item is read only when something needs it: a blind put is one statement.
        if condition is not None or return_values == "ALL_OLD" or mode or table.stream_view_type:
            old, old_size = read_old(call.db, table, key)  # type: ignore[arg-type]
            if condition is not None and not condition.evaluate(old or {}):
                raise condition_failed(old, return_old_on_failure)
        store_item(call, table, key, old, item, size)
        result: dict[str, Any] = {}
        if return_values == "ALL_OLD" and old is not None:
            result["Attributes"] = old
        if mode:
            result["ConsumedCapacity"] = capacity.consumed(
                mode, params["TableName"], capacity.write_units(max(size, old_size))
            )
        return result

    # -- GetItem -------------------------------------------------------------------------------

    @reads
    def get_item(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        check_expression_parameters("GetItem", params)
        projection = bound_projection(params)
        key_item = validate_item(params["Key"])
        table = self._item_table(call, params["TableName"])
        key = key_from_key_param(table.key_schema, key_item)
        row = read_item(call.db, table.id, key)  # type: ignore[arg-type]
        result: dict[str, Any] = {}
        size = 0
        if row is not None:
            item = _loads(row[0])
            size = row[1]
            result["Item"] = projection.apply(item) if projection is not None else item
        if mode:
            consistent = bool(params.get("ConsistentRead"))
            result["ConsumedCapacity"] = capacity.consumed(
                mode, params["TableName"], capacity.read_units(size, consistent)
            )
        return result

    # -- UpdateItem ----------------------------------------------------------------------------

    @writes
    def update_item(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return_values = check_return_values(params.get("ReturnValues"), RETURN_VALUES)
        return_old_on_failure = check_return_on_failure(params.get("ReturnValuesOnConditionCheckFailure"))
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        table, key, key_item, update, condition = self._update_target(call, params)
        row = read_item(call.db, table.id, key)  # type: ignore[arg-type]
        old: dict | None = None
        old_size = 0
        if row is not None:
            old = _loads(row[0])
            old_size = row[1]
        if condition is not None and not condition.evaluate(old or {}):
            raise condition_failed(old, return_old_on_failure)
        new, outcome, size = updated_item(table, key_item, old, update, old_size)
        # store_item(), inlined: this is the seed experiment's hot path.
        write_item(call.db, table.id, key, _dumps(new), size, row is not None)  # type: ignore[arg-type]
        if table.stream_view_type is not None:
            record_change(call, table, old, new)
        result: dict[str, Any] = {}
        if return_values != "NONE":
            attributes: dict | None
            if return_values == "UPDATED_NEW":
                attributes = outcome.updated_new() if outcome is not None else None
            elif return_values == "ALL_NEW":
                attributes = new
            elif return_values == "ALL_OLD":
                attributes = old
            else:  # UPDATED_OLD: nothing when the item is new
                attributes = outcome.updated_old() if outcome is not None and old is not None else None
            if attributes:
                result["Attributes"] = attributes
        if mode:
            result["ConsumedCapacity"] = capacity.consumed(
                mode, params["TableName"], capacity.write_units(max(size, old_size))
            )
        return result

    # -- DeleteItem ----------------------------------------------------------------------------

    @writes
    def delete_item(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return_values = check_return_values(params.get("ReturnValues"), _ALL_OLD_OR_NONE)
        return_old_on_failure = check_return_on_failure(params.get("ReturnValuesOnConditionCheckFailure"))
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        table, key, condition = self._delete_target(call, params)
        old, old_size = read_old(call.db, table, key)  # type: ignore[arg-type]
        if condition is not None and not condition.evaluate(old or {}):
            raise condition_failed(old, return_old_on_failure)
        if old is not None:
            erase_item(call, table, key, old)
        result: dict[str, Any] = {}
        if return_values == "ALL_OLD" and old is not None:
            result["Attributes"] = old
        if mode:
            result["ConsumedCapacity"] = capacity.consumed(
                mode, params["TableName"], capacity.write_units(old_size)
            )
        return result
