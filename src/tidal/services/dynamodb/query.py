"""Query: one partition's items in sort-key order, narrowed by a KeyConditionExpression.

The key condition is bound like any condition (placeholders, operand types, BETWEEN bounds
are checked by the expressions package), then its parsed form is read as DynamoDB reads a
key condition: ``hash = :v`` and at most one sort-key condition (``= < <= > >=``,
``BETWEEN``, ``begins_with``), joined by AND. The sort-key condition becomes a range of the
encoded sort key, so a Query is one index range walk (``items.query_rows``). The wording of
the key-condition errors is AWS's, as recorded by dynalite.
"""

from __future__ import annotations

from typing import Any

from tidal.errors import validation_error
from tidal.services.dynamodb import capacity
from tidal.services.dynamodb.expressions import ExpressionScope
from tidal.services.dynamodb.expressions.ast import And, Between, Call, Compare, In, Not, Or, Path, Value
from tidal.services.dynamodb.item_operations import check_expression_parameters
from tidal.services.dynamodb.items import query_rows
from tidal.services.dynamodb.keys import KeySchema, encode_scalar, partition_of
from tidal.services.dynamodb.pages import bind_filter_and_projection, check_limit, check_select, read_page
from tidal.services.dynamodb.scan import start_key
from tidal.services.operation import Call as OperationCall
from tidal.services.operation import reads

_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_REFUSED_FUNCTIONS = ("attribute_exists", "attribute_not_exists", "attribute_type", "contains")
TYPE_MISMATCH = (
    "One or more parameter values were invalid: Condition parameter type does not match schema type"
)

# A key condition: (operator, values) per attribute name; operator is one of = < <= > >=
# BETWEEN BEGINS_WITH.
KeyConditions = dict[str, tuple[str, list[dict]]]


def _name_of(path: Path, names: dict[str, str]) -> str:
    element = path.elements[0]
    return names[element] if element[0] == "#" else element


def read_key_condition(node: object, scope: ExpressionScope, found: KeyConditions) -> None:
    """Collect the conditions of a (bound, so well-formed) key condition into ``found``."""
    kind = type(node)
    if kind is And:
        read_key_condition(node.left, scope, found)
        read_key_condition(node.right, scope, found)
        return
    if kind is Or or kind is Not or kind is In:
        raise validation_error(f"Invalid operator used in KeyConditionExpression: {kind.__name__.upper()}")
    if kind is Compare and node.op == "<>":
        raise validation_error("Invalid operator used in KeyConditionExpression: <>")
    if kind is Call:
        if node.name in _REFUSED_FUNCTIONS:
            raise validation_error(f"Invalid operator used in KeyConditionExpression: {node.name}")
        if node.name != "begins_with":
            raise validation_error("KeyConditionExpressions cannot contain nested operations")
        if type(node.args[0]) is not Path:
            raise validation_error(
                "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute "
                "as its first operand"
            )
        operator, operands = "BEGINS_WITH", list(node.args)
    elif kind is Between:
        if type(node.operand) is not Path:
            raise validation_error(
                "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as "
                "its first operand"
            )
        operator, operands = "BETWEEN", [node.operand, node.low, node.high]
    else:  # Compare
        operator, operands = node.op, [node.left, node.right]
    name: str | None = None
    position = 0
    values: list[dict] = []
    for i, operand in enumerate(operands):
        if type(operand) is Path:
            if name is not None:
                raise validation_error(
                    "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
                )
            if len(operand.elements) > 1:
                raise validation_error("KeyConditionExpressions cannot have conditions on nested attributes")
            name, position = _name_of(operand, scope.names), i
        elif type(operand) is Value:
            values.append(scope.values[operand.name])
        else:  # a function call as an operand
            raise validation_error("KeyConditionExpressions cannot contain nested operations")
    if name is None:
        raise validation_error("Invalid condition in KeyConditionExpression: No key attribute specified")
    if name in found:
        raise validation_error("KeyConditionExpressions must only contain one condition per key")
    if position != 0:
        operator = _FLIPPED[operator]
    found[name] = (operator, values)


def _prefix_successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))


def key_ranges(
    schema: KeySchema, conditions: KeyConditions
) -> tuple[bytes, tuple[bytes, bool] | None, tuple[bytes, bool] | None]:
    """``(hash_key, low, high)`` for ``items.query_rows`` from the collected conditions."""
    hash_condition = conditions.get(schema.hash_name)
    if hash_condition is None:
        raise validation_error(f"Query condition missed key schema element: {schema.hash_name}")
    if hash_condition[0] != "=":
        raise validation_error("Query key condition not supported")
    for name in conditions:
        if name != schema.hash_name and name != schema.range_name:
            if schema.range_name is None:
                raise validation_error("Query key condition not supported")
            raise validation_error(f"Query condition missed key schema element: {schema.range_name}")
    (hash_value,) = hash_condition[1]
    if schema.hash_type not in hash_value:
        raise validation_error(TYPE_MISMATCH)
    hash_key = encode_scalar(schema.hash_type, hash_value[schema.hash_type])
    low = high = None
    range_condition = conditions.get(schema.range_name) if schema.range_name is not None else None
    if range_condition is not None:
        operator, values = range_condition
        type_code = schema.range_type
        if any(type_code not in value for value in values):
            raise validation_error(TYPE_MISMATCH)
        encoded = [encode_scalar(type_code, value[type_code]) for value in values]  # type: ignore[arg-type]
        if operator == "=":
            low = high = (encoded[0], True)
        elif operator == "<":
            high = (encoded[0], False)
        elif operator == "<=":
            high = (encoded[0], True)
        elif operator == ">":
            low = (encoded[0], False)
        elif operator == ">=":
            low = (encoded[0], True)
        elif operator == "BETWEEN":
            low, high = (encoded[0], True), (encoded[1], True)
        else:  # BEGINS_WITH: S and B only (the binder refuses other operand types)
            if type_code == "N":
                raise validation_error(TYPE_MISMATCH)
            low = (encoded[0], True)
            successor = _prefix_successor(encoded[0])
            high = (successor, False) if successor is not None else None
    return hash_key, low, high


class QueryOperation:
    """Query, for :class:`~tidal.services.dynamodb.service.DynamoDBService`."""

    @reads
    def query(self, call: OperationCall, params: dict[str, Any]) -> dict[str, Any]:
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        check_expression_parameters("Query", params)
        if "KeyConditionExpression" not in params:
            raise validation_error(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
            )
        select = check_select(params, "1 validation error detected: ")
        limit = check_limit(params)
        scope, condition, projection = bind_filter_and_projection(params, ("KeyConditionExpression",))
        assert scope is not None
        key_condition = scope.condition(params["KeyConditionExpression"], "KeyConditionExpression")
        scope.check_unused()
        conditions: KeyConditions = {}
        read_key_condition(key_condition.expression.root, scope, conditions)
        table = self._item_table(call, params["TableName"])  # type: ignore[attr-defined]
        if params.get("IndexName") is not None:
            # Secondary indexes are stored and described, not yet maintained.
            raise validation_error(
                f"tidal does not maintain secondary indexes yet; cannot Query index {params['IndexName']}"
            )
        schema = table.key_schema
        if condition is not None:
            _check_filter_attributes(condition.expression.root, scope.names, schema)
        hash_key, low, high = key_ranges(schema, conditions)
        forward = params.get("ScanIndexForward", True)
        after = start_key(table, params)
        if after is not None:
            if after.hash_key != hash_key or not _within(after.range_key, low, high):
                raise validation_error("The provided starting key does not match the range key predicate")
            if forward:
                low = (after.range_key, False)
            else:
                high = (after.range_key, False)
        rows = query_rows(
            call.db,  # type: ignore[arg-type]
            table.id,
            partition_of(hash_key),
            hash_key,
            low,
            high,
            bool(forward),
            limit if limit is not None else -1,
        )
        return read_page(
            rows,
            limit,
            schema,
            select,
            condition,
            projection,
            bool(params.get("ConsistentRead")),
            mode,
            params["TableName"],
        )


def _within(value: bytes, low: tuple[bytes, bool] | None, high: tuple[bytes, bool] | None) -> bool:
    if low is not None and (value < low[0] or (value == low[0] and not low[1])):
        return False
    if high is not None and (value > high[0] or (value == high[0] and not high[1])):
        return False
    return True


def _check_filter_attributes(node: object, names: dict[str, str], schema: KeySchema) -> None:
    """A Query's filter may not name a primary-key attribute (that belongs in the key condition)."""
    if type(node) is Path:
        name = _name_of(node, names)
        if name in schema.names:
            raise validation_error(
                f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {name}"
            )
        return
    for slot in getattr(type(node), "__slots__", ()):
        child = getattr(node, slot, None)
        if isinstance(child, tuple):
            for element in child:
                _check_filter_attributes(element, names, schema)
        elif child is not None and not isinstance(child, str | dict):
            _check_filter_attributes(child, names, schema)
