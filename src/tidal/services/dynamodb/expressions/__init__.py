"""DynamoDB's expression language: update, condition/filter/key-condition and projection.

Pure logic on items in wire form (``{"attr": {"S": "x"}, ...}``, see ``..values``); no I/O.
All errors are ``tidal.errors.AWSError("ValidationException", message, 400)`` with DynamoDB's
exact messages.

How a service operation uses it (UpdateItem shown; PutItem/DeleteItem use only a condition,
GetItem only a projection, Scan/Query a filter, a projection and a key condition)::

    scope = ExpressionScope(params.get("ExpressionAttributeNames"),
                            params.get("ExpressionAttributeValues"))   # validates both maps
    update = scope.update(params["UpdateExpression"])                  # parse (cached) + bind
    condition = None
    if "ConditionExpression" in params:
        condition = scope.condition(params["ConditionExpression"], "ConditionExpression")
    scope.check_unused()              # unused names/values, across all the request's expressions

    if key_names & update.touched_attributes: ...   # "Cannot update attribute pk. ..."
    old = stored_item or dict(key)                   # an absent item is just its key
    if condition and not condition.evaluate(stored_item or {}): ...   # ConditionalCheckFailed
    outcome = update.apply(old)      # UpdateOutcome; may raise the data-dependent errors
    check_item_size(outcome.item, UPDATE_TOO_LARGE)  # from ..values
    outcome.item                     # the new item
    outcome.updated_old(), outcome.updated_new()      # ReturnValues UPDATED_OLD / UPDATED_NEW

Public API:

- ``ExpressionScope(names, values)``: one request's ExpressionAttributeNames/Values, checked
  ("... must not be empty", "... contains invalid key: Syntax error; key: "x"", "...
  contains invalid value: <why> for key :v"); values are normalised.
  ``.update(text) -> BoundUpdate``, ``.condition(text, param_name) -> BoundCondition``,
  ``.projection(text) -> BoundProjection``, ``.check_unused()``.
- ``bind_write_expressions(update, condition, names, values)``: a write's update and
  condition bound and checked for unused names and values in one call, memoized on its
  four inputs (a handler repeating one update binds it once).
- ``BoundUpdate.apply(item) -> UpdateOutcome``; ``.touched_attributes`` (top-level names),
  ``.updated_paths``.
- ``UpdateOutcome.item``, ``.updated_paths``, ``.updated_old()``, ``.updated_new()``.
- ``BoundCondition.evaluate(item) -> bool`` (never raises; ``{}`` for an absent item).
- ``BoundProjection.apply(item) -> dict``; ``.paths``, ``.attributes``.
- ``parse_update(text)``, ``parse_condition(text, param_name)``, ``parse_projection(text)``:
  the cached parse alone, raising the syntax-level errors with the parameter's prefix.
- ``apply_update(item, expression, scope)``, ``evaluate_condition(item, expression, scope,
  param_name)``, ``project(item, projection)``: one-call forms of bind-then-use.

The parse of each distinct text is cached (``functools.lru_cache``), so a request pays only
for binding its names and values and for evaluating.
"""

from __future__ import annotations

from .ast import ConditionExpression, ProjectionExpression, UpdateExpression
from .condition import BoundCondition
from .errors import ExpressionInvalid
from .parser import parse_condition as _parse_condition
from .parser import parse_projection as _parse_projection
from .parser import parse_update as _parse_update
from .projection import BoundProjection
from .reserved import RESERVED_WORDS, is_reserved
from .scope import ExpressionScope, bind_write_expressions
from .update import BoundUpdate, UpdateOutcome

__all__ = [
    "RESERVED_WORDS",
    "BoundCondition",
    "BoundProjection",
    "BoundUpdate",
    "ConditionExpression",
    "ExpressionScope",
    "ProjectionExpression",
    "UpdateExpression",
    "UpdateOutcome",
    "apply_update",
    "bind_write_expressions",
    "evaluate_condition",
    "is_reserved",
    "parse_condition",
    "parse_projection",
    "parse_update",
    "project",
]


def parse_update(text: str) -> UpdateExpression:
    """Parse an UpdateExpression (cached); errors are "Invalid UpdateExpression: ..."."""
    try:
        return _parse_update(text)
    except ExpressionInvalid as error:
        raise error.to_aws("UpdateExpression") from None


def parse_condition(text: str, param_name: str = "ConditionExpression") -> ConditionExpression:
    """Parse a condition, filter or key condition (cached); errors are "Invalid <param_name>: ..."."""
    try:
        return _parse_condition(text, param_name)
    except ExpressionInvalid as error:
        raise error.to_aws(param_name) from None


def parse_projection(text: str) -> ProjectionExpression:
    """Parse a ProjectionExpression (cached); errors are "Invalid ProjectionExpression: ..."."""
    try:
        return _parse_projection(text)
    except ExpressionInvalid as error:
        raise error.to_aws("ProjectionExpression") from None


def apply_update(item: dict, expression: str | UpdateExpression, scope: ExpressionScope) -> UpdateOutcome:
    """Bind ``expression`` to ``scope`` and apply it to ``item``."""
    return scope.update(expression).apply(item)


def evaluate_condition(
    item: dict,
    expression: str | ConditionExpression,
    scope: ExpressionScope,
    param_name: str = "ConditionExpression",
) -> bool:
    """Bind ``expression`` to ``scope`` and evaluate it on ``item``."""
    return scope.condition(expression, param_name).evaluate(item)


def project(item: dict, projection: BoundProjection | str, scope: ExpressionScope | None = None) -> dict:
    """Project ``item`` through a bound projection (or a projection text bound to ``scope``)."""
    if isinstance(projection, str):
        projection = (scope or ExpressionScope()).projection(projection)
    return projection.apply(item)
