"""PutItem, GetItem, UpdateItem and DeleteItem.

Each operation checks its request as DynamoDB does before it looks for the table (return
enums, legacy/expression parameters, attribute values, expressions with their names and
values), then finds the table (one dict lookup), the key, and the stored item (one indexed
SELECT), and a write ends in one INSERT OR REPLACE or DELETE. ``@writes`` run on the single
writer thread inside a transaction, so read-condition-modify-write is atomic: of two
conditional puts racing on one key, exactly one wins.
"""

from __future__ import annotations

from typing import Any

import orjson

from tidal.errors import AWSError, validation_error
from tidal.services.dynamodb import capacity
from tidal.services.dynamodb.changes import record_change
from tidal.services.dynamodb.expressions import BoundCondition, BoundProjection, ExpressionScope
from tidal.services.dynamodb.items import read_item, remove_item, write_item
from tidal.services.dynamodb.keys import check_index_keys, key_from_item, key_from_key_param
from tidal.services.dynamodb.tables import Table, TableCatalog, item_table_not_found, split_table_name
from tidal.services.dynamodb.values import UPDATE_TOO_LARGE, check_item_size, validate_item
from tidal.services.operation import Call, reads, writes

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
    legacy = [name for name in legacy_names if name in params]
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
        if not any(name in params for name in value_expressions):
            nulls = " and ".join(f"{name} is null" for name in value_expressions)
            raise validation_error(
                "ExpressionAttributeValues can only be specified when using expressions"
                + (f": {nulls}" if nulls else "")
            )


def condition_failed(old: dict | None, return_old: bool) -> AWSError:
    fields = {"Item": old} if return_old and old is not None else None
    return AWSError("ConditionalCheckFailedException", "The conditional request failed", 400, fields=fields)


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

    @staticmethod
    def _scope(params: dict[str, Any]) -> ExpressionScope:
        return ExpressionScope(
            params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")
        )

    # -- PutItem -------------------------------------------------------------------------------

    @writes
    def put_item(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return_values = check_return_values(params.get("ReturnValues"), _ALL_OLD_OR_NONE)
        return_old_on_failure = check_return_on_failure(params.get("ReturnValuesOnConditionCheckFailure"))
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        check_expression_parameters("PutItem", params)
        item = validate_item(params["Item"])
        size = check_item_size(item)
        condition: BoundCondition | None = None
        if (
            "ExpressionAttributeNames" in params
            or "ExpressionAttributeValues" in params
            or "ConditionExpression" in params
        ):
            scope = self._scope(params)
            if "ConditionExpression" in params:
                condition = scope.condition(params["ConditionExpression"], "ConditionExpression")
            scope.check_unused()
        table = self._item_table(call, params["TableName"])
        key = key_from_item(table.key_schema, item)
        if table.index_keys:
            check_index_keys(table.index_keys, item)
        conn = call.db
        old: dict | None = None
        old_size = 0
        # The stored item is read only when something needs it: a blind put is one statement.
        if condition is not None or return_values == "ALL_OLD" or mode or table.stream_view_type:
            row = read_item(conn, table.id, key)  # type: ignore[arg-type]
            if row is not None:
                old = _loads(row[0])
                old_size = row[1]
            if condition is not None and not condition.evaluate(old or {}):
                raise condition_failed(old, return_old_on_failure)
        write_item(conn, table.id, key, _dumps(item), size)  # type: ignore[arg-type]
        if table.stream_view_type is not None:
            record_change(call, table, old, item)
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
        projection: BoundProjection | None = None
        if "ProjectionExpression" in params or "ExpressionAttributeNames" in params:
            scope = self._scope(params)
            if "ProjectionExpression" in params:
                projection = scope.projection(params["ProjectionExpression"])
            scope.check_unused()
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
        check_expression_parameters("UpdateItem", params)
        update = None
        condition: BoundCondition | None = None
        if (
            "UpdateExpression" in params
            or "ConditionExpression" in params
            or "ExpressionAttributeNames" in params
        ):
            scope = self._scope(params)
            if "UpdateExpression" in params:
                update = scope.update(params["UpdateExpression"])
            if "ConditionExpression" in params:
                condition = scope.condition(params["ConditionExpression"], "ConditionExpression")
            scope.check_unused()
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
        conn = call.db
        row = read_item(conn, table.id, key)  # type: ignore[arg-type]
        old: dict | None = None
        old_size = 0
        if row is not None:
            old = _loads(row[0])
            old_size = row[1]
        if condition is not None and not condition.evaluate(old or {}):
            raise condition_failed(old, return_old_on_failure)
        # UpdateItem on a missing item creates it: the key plus what the update writes.
        base = old if old is not None else key_item
        outcome = update.apply(base) if update is not None else None
        new = outcome.item if outcome is not None else base
        if table.index_keys:
            check_index_keys(table.index_keys, new, base)
        size = check_item_size(new, UPDATE_TOO_LARGE)
        write_item(conn, table.id, key, _dumps(new), size)  # type: ignore[arg-type]
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
        check_expression_parameters("DeleteItem", params)
        condition: BoundCondition | None = None
        if "ConditionExpression" in params or "ExpressionAttributeNames" in params:
            scope = self._scope(params)
            if "ConditionExpression" in params:
                condition = scope.condition(params["ConditionExpression"], "ConditionExpression")
            scope.check_unused()
        key_item = validate_item(params["Key"])
        table = self._item_table(call, params["TableName"])
        key = key_from_key_param(table.key_schema, key_item)
        conn = call.db
        row = read_item(conn, table.id, key)  # type: ignore[arg-type]
        old = _loads(row[0]) if row is not None else None
        if condition is not None and not condition.evaluate(old or {}):
            raise condition_failed(old, return_old_on_failure)
        if old is not None:
            remove_item(conn, table.id, key)  # type: ignore[arg-type]
            if table.stream_view_type is not None:
                record_change(call, table, old, None)
        result: dict[str, Any] = {}
        if return_values == "ALL_OLD" and old is not None:
            result["Attributes"] = old
        if mode:
            result["ConsumedCapacity"] = capacity.consumed(
                mode, params["TableName"], capacity.write_units(row[1] if row is not None else 0)
            )
        return result
