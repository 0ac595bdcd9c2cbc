"""Coral's input validation: required members, lengths, ranges, enums and patterns.

Coral-based services (DynamoDB, Kinesis, SQS, Firehose, Lambda) check these constraints from
their models before the operation runs and answer, e.g.::

    1 validation error detected: Value null at 'tableName' failed to satisfy constraint:
    Member must not be null

Member names are camel-cased, list items are ``name.1.member``, map values ``name.key.member``;
several errors are joined by "; " and, as dynalite observed against live DynamoDB, at most
10 are reported. Validators are compiled per shape; subtrees without constraints cost nothing.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

from botocore.model import Shape

from tidal.protocol.models import lower_first

Validator = Callable[[Any, str, list[str]], None]
MAX_REPORTED_ERRORS = 10


def describe_value(value: Any) -> str:
    """A value as Java's toString renders it in Coral's messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, list):
        return "[" + ", ".join(describe_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={describe_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _fail(errors: list[str], value: Any, path: str, constraint: str) -> None:
    shown = "null" if value is None else f"'{describe_value(value)}'"
    errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")


def _compile_pattern(pattern: str) -> re.Pattern[str] | None:
    # Model patterns are Java regular expressions; the few Python cannot compile are skipped.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return re.compile(pattern)
        except re.error:
            return None


class ValidatorBuilder:
    """Compiles and caches validators for the shapes of one service model.

    ``schema_only`` checks what an XML schema says (required members, enum values) and not the
    model's lengths, ranges and patterns: S3 validates its XML bodies against its schema and
    nothing more. Enums of the shapes named in ``unchecked_enums`` are left to the service,
    which answers them with errors of its own."""

    def __init__(
        self, skip_shapes: frozenset[str] = frozenset(), *, schema_only: bool = False,
        unchecked_enums: frozenset[str] = frozenset(),
    ) -> None:
        self._skip = skip_shapes
        self._schema_only = schema_only
        self._unchecked_enums = unchecked_enums
        self._cache: dict[str, Validator | None] = {}

    def validator(self, shape: Shape) -> Validator | None:
        """The validator for ``shape``'s values, or None when nothing in it is constrained."""
        if shape.name in self._skip:
            return None
        if shape.name in self._cache:
            return self._cache[shape.name]
        slot: list[Validator | None] = []

        def forward(value: Any, path: str, errors: list[str]) -> None:
            if slot[0] is not None:
                slot[0](value, path, errors)

        self._cache[shape.name] = forward  # recursive shapes reach themselves while compiling
        compiled = self._compile(shape)
        slot.append(compiled)
        self._cache[shape.name] = compiled
        return compiled

    def _compile(self, shape: Shape) -> Validator | None:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._collection(shape, self.validator(shape.member), is_map=False)
        if kind == "map":
            return self._collection(shape, self.validator(shape.value), is_map=True)
        if kind in ("string", "blob"):
            return self._text(shape)
        if kind in ("integer", "long", "short", "byte", "float", "double") and not self._schema_only:
            return self._number(shape)
        return None

    def _structure(self, shape: Shape) -> Validator | None:
        required = list(shape.required_members)
        checks: list[tuple[str, str, Validator]] = []
        for name, member in shape.members.items():
            member_validator = self.validator(member)
            if member_validator is not None:
                checks.append((name, lower_first(name), member_validator))
        if not required and not checks:
            return None
        required_paths = [(name, lower_first(name)) for name in required]

        def check_structure(value: Any, path: str, errors: list[str]) -> None:
            prefix = path + "." if path else ""
            for name, wire in required_paths:
                if value.get(name) is None:
                    _fail(errors, None, prefix + wire, "Member must not be null")
            for name, wire, member_validator in checks:
                item = value.get(name)
                if item is not None:
                    member_validator(item, prefix + wire, errors)

        return check_structure

    def _collection(self, shape: Shape, item_validator: Validator | None, is_map: bool) -> Validator | None:
        low, high = (None, None) if self._schema_only else (shape.metadata.get("min"), shape.metadata.get("max"))
        if low is None and high is None and item_validator is None:
            return None

        def check_collection(value: Any, path: str, errors: list[str]) -> None:
            size = len(value)
            if low is not None and size < low:
                _fail(errors, value, path, f"Member must have length greater than or equal to {low}")
            if high is not None and size > high:
                _fail(errors, value, path, f"Member must have length less than or equal to {high}")
            if item_validator is None:
                return
            if is_map:
                for key, item in value.items():
                    if item is not None:
                        item_validator(item, f"{path}.{key}.member", errors)
            else:
                for index, item in enumerate(value, 1):
                    if item is not None:
                        item_validator(item, f"{path}.{index}.member", errors)

        return check_collection

    def _text(self, shape: Shape) -> Validator | None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        enum = shape.metadata.get("enum") if shape.type_name == "string" else None
        raw_pattern = shape.metadata.get("pattern") if shape.type_name == "string" else None
        if self._schema_only:
            low = high = raw_pattern = None
        if shape.name in self._unchecked_enums:
            enum = None
        pattern = _compile_pattern(raw_pattern) if raw_pattern else None
        if low == 0:
            low = None
        if low is None and high is None and not enum and pattern is None:
            return None
        allowed = frozenset(enum or ())
        enum_text = ", ".join(enum or ())

        def check_text(value: Any, path: str, errors: list[str]) -> None:
            size = len(value)
            if low is not None and size < low:
                _fail(errors, value, path, f"Member must have length greater than or equal to {low}")
            if high is not None and size > high:
                _fail(errors, value, path, f"Member must have length less than or equal to {high}")
            if allowed and value not in allowed:
                _fail(errors, value, path, f"Member must satisfy enum value set: [{enum_text}]")
            if pattern is not None and pattern.fullmatch(value) is None:
                _fail(errors, value, path, f"Member must satisfy regular expression pattern: {raw_pattern}")

        return check_text

    @staticmethod
    def _number(shape: Shape) -> Validator | None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is None and high is None:
            return None

        def check_number(value: Any, path: str, errors: list[str]) -> None:
            if low is not None and value < low:
                _fail(errors, value, path, f"Member must have value greater than or equal to {low}")
            if high is not None and value > high:
                _fail(errors, value, path, f"Member must have value less than or equal to {high}")

        return check_number


def first_errors(errors: list[str]) -> list[str]:
    return errors[:MAX_REPORTED_ERRORS]
