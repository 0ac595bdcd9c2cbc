"""One request's ExpressionAttributeNames and ExpressionAttributeValues, shared by its expressions."""

from __future__ import annotations

import re
from typing import Any

import orjson

from tidal.errors import AWSError, validation_error

from ..values import validate_value
from .ast import ConditionExpression, ProjectionExpression, UpdateExpression
from .condition import BoundCondition, bind_condition
from .errors import ExpressionInvalid, describe
from .operands import Binder
from .parser import parse_condition, parse_projection, parse_update
from .projection import BoundProjection, bind_projection
from .update import BoundUpdate, bind_update

_NAME_KEY = re.compile(r"#[0-9A-Za-z_]+\Z")
_VALUE_KEY = re.compile(r":[0-9A-Za-z_]+\Z")
_MAX_KEY_LENGTH = 255


class ExpressionScope:
    """The names and values of one request, and which of them its expressions used.

    Create it once per request (it validates the maps as DynamoDB does), bind each expression
    the request carries, then call ``check_unused()``: DynamoDB refuses a name or value that
    no expression of the request used, across all of them (an UpdateExpression and a
    ConditionExpression share the maps).
    """

    __slots__ = ("names", "values", "used_names", "used_values")

    def __init__(self, names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> None:
        self.names: dict[str, str] = _check_names(names) if names is not None else {}
        self.values: dict[str, dict] = _check_values(values) if values is not None else {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    def _binder(self) -> Binder:
        return Binder(self.names, self.values, self.used_names, self.used_values)

    def update(self, expression: str | UpdateExpression) -> BoundUpdate:
        """Parse (cached) and bind an UpdateExpression."""
        try:
            parsed = parse_update(expression) if isinstance(expression, str) else expression
            return bind_update(self._binder(), parsed)
        except ExpressionInvalid as error:
            raise error.to_aws("UpdateExpression") from None

    def condition(
        self, expression: str | ConditionExpression, param_name: str = "ConditionExpression"
    ) -> BoundCondition:
        """Parse (cached) and bind a ConditionExpression, FilterExpression or KeyConditionExpression.

        ``param_name`` names the parameter in error messages ("Invalid FilterExpression: ...").
        """
        try:
            parsed = parse_condition(expression, param_name) if isinstance(expression, str) else expression
            return bind_condition(self._binder(), parsed)
        except ExpressionInvalid as error:
            raise error.to_aws(param_name) from None

    def projection(self, expression: str | ProjectionExpression) -> BoundProjection:
        """Parse (cached) and bind a ProjectionExpression."""
        try:
            parsed = parse_projection(expression) if isinstance(expression, str) else expression
            return bind_projection(self._binder(), parsed)
        except ExpressionInvalid as error:
            raise error.to_aws("ProjectionExpression") from None

    def check_unused(self) -> None:
        """Refuse names, then values, that none of the request's expressions used."""
        unused = [k for k in self.names if k not in self.used_names]
        if unused:
            raise validation_error(
                f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(sorted(unused))}}}"
            )
        unused = [k for k in self.values if k not in self.used_values]
        if unused:
            raise validation_error(
                f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{', '.join(sorted(unused))}}}"
            )


# Bound expressions by (update, condition, names, values) as the request sent them. A function
# that writes the same update with the same values on every invocation (a counter, a status
# flag) binds it once: checking and binding cost more than applying. Binding is a pure
# function of those four, and only successes are kept, so a hit answers as a miss would.
_BOUND: dict[bytes, tuple[BoundUpdate | None, BoundCondition | None]] = {}
_BOUND_MAX = 1024


def bind_write_expressions(
    update: str | None, condition: str | None, names: Any, values: Any
) -> tuple[BoundUpdate | None, BoundCondition | None]:
    """A write's UpdateExpression and ConditionExpression bound to its ExpressionAttributeNames
    and ExpressionAttributeValues, unused names and values refused (memoized, see ``_BOUND``)."""
    try:
        key = orjson.dumps((update, condition, names, values))
    except TypeError:  # not from JSON: bind without the memo
        key = None
    if key is not None:
        hit = _BOUND.get(key)
        if hit is not None:
            return hit
    scope = ExpressionScope(names, values)
    bound_update = scope.update(update) if update is not None else None
    bound_condition = scope.condition(condition, "ConditionExpression") if condition is not None else None
    scope.check_unused()
    bound = (bound_update, bound_condition)
    if key is not None:
        if len(_BOUND) >= _BOUND_MAX:
            del _BOUND[next(iter(_BOUND))]
        _BOUND[key] = bound
    return bound


def _check_key(kind: str, key: Any, pattern: re.Pattern) -> None:
    if not isinstance(key, str):
        raise AWSError("SerializationException", f"{kind} keys must be strings.", 400)
    if key == "":
        problem = "The expression attribute map contains an empty key;"
    elif len(key) > _MAX_KEY_LENGTH:
        problem = describe(
            "The expression attribute map contains a key that is too long", "size of key", len(key)
        )
    elif pattern.match(key) is None:
        problem = describe("Syntax error", "key", f'"{key}"')
    else:
        return
    raise validation_error(f"{kind} contains invalid key: {problem}")


def _check_names(names: Any) -> dict[str, str]:
    if not isinstance(names, dict):
        raise AWSError("SerializationException", "ExpressionAttributeNames must be a map.", 400)
    if not names:
        raise validation_error("ExpressionAttributeNames must not be empty")
    for key, name in names.items():
        _check_key("ExpressionAttributeNames", key, _NAME_KEY)
        if not isinstance(name, str):
            raise AWSError("SerializationException", "ExpressionAttributeNames values must be strings.", 400)
        if name == "":
            # Chosen wording: AWS's "Empty attribute name" in the invalid-value envelope.
            raise validation_error(
                f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
            )
    return names


def _check_values(values: Any) -> dict[str, dict]:
    if not isinstance(values, dict):
        raise AWSError("SerializationException", "ExpressionAttributeValues must be a map.", 400)
    if not values:
        raise validation_error("ExpressionAttributeValues must not be empty")
    for key in values:
        _check_key("ExpressionAttributeValues", key, _VALUE_KEY)
    checked: dict[str, dict] = {}
    for key, value in values.items():
        try:
            checked[key] = validate_value(value)
        except AWSError as error:
            if error.code != "ValidationException":
                raise
            raise validation_error(
                f"ExpressionAttributeValues contains invalid value: {error.message} for key {key}"
            ) from None
    return checked
