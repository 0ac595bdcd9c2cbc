"""Shape-driven conversion between decoded JSON documents and boto3-style params / results.

Readers take what orjson decoded from a request, check every value against its shape the way
Coral does (a string where a number belongs is a SerializationException, not a crash
somewhere in a service) and convert blobs to bytes and timestamps to datetimes. Writers turn
a service's result back into JSON-ready values (bytes -> base64, datetime -> epoch seconds).

Both are compiled once per shape into closures, so a request costs dict iteration only.
Shapes named in ``opaque`` (DynamoDB's AttributeValue) are type-checked but returned as the
very objects the client sent, and written back untouched.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape

from tidal.protocol.wire_values import INTEGER_BOUNDS, epoch, format_timestamp, parse_iso8601

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]


class WireTypeError(Exception):
    """A JSON value of the wrong type for its shape; the message is Coral's wording."""


# The parser's token names and the Java classes of scalar shapes, in its messages.
_TOKENS = {bool: "", int: "NUMBER_VALUE", float: "DECIMAL_VALUE", str: "STRING_VALUE"}
_JAVA_CLASSES = {
    "String": "java.lang.String", "Boolean": "java.lang.Boolean", "Integer": "java.lang.Integer",
    "Long": "java.lang.Long", "Short": "java.lang.Short", "Byte": "java.lang.Byte", "Float": "java.lang.Float",
    "Double": "java.lang.Double", "Blob": "java.nio.ByteBuffer", "Date": "java.util.Date",
}


def type_mismatch(value: Any, expected: str) -> WireTypeError:
    """DynamoDB's SerializationException message for ``value`` where ``expected`` belongs
    (its JSON parser's wording, as dynalite's tests record it against the live service)."""
    kind = type(value)
    if kind is dict:
        return WireTypeError("Start of structure or map found where not expected")
    if expected in ("list", "map", "structure"):
        if kind is list:
            return WireTypeError("Start of list found where not expected")
        return WireTypeError("Unexpected field type")
    if kind is list:
        return WireTypeError(f"Unrecognized collection type class {_JAVA_CLASSES.get(expected, expected)}")
    if expected == "Blob":
        return WireTypeError("only base-64-encoded strings are convertible to bytes")
    if expected == "Boolean" and kind is str:
        return WireTypeError("Unexpected token received from parser")
    token = ("TRUE_VALUE" if value else "FALSE_VALUE") if kind is bool else _TOKENS.get(kind, "VALUE")
    return WireTypeError(f"{token} cannot be converted to {expected}")


_JAVA_NAMES = {
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "short": "Short",
    "byte": "Byte",
    "float": "Float",
    "double": "Double",
    "boolean": "Boolean",
    "blob": "Blob",
    "timestamp": "Date",
}


def _read_string(value: Any) -> Any:
    if type(value) is str:
        return value
    raise type_mismatch(value, "String")


def _integer_reader(java_name: str, low: int, high: int) -> Reader:
    java_type = java_name.lower().replace("integer", "int")

    def read(value: Any) -> Any:
        kind = type(value)
        if kind is float:  # Coral truncates fractional numbers for integer members
            value = int(value // 1)
        elif kind is not int:
            raise type_mismatch(value, java_name)
        if low <= value <= high:
            return value
        # Jackson's words for a number its Java type cannot hold.
        raise WireTypeError(f"Numeric value ({value}) out of range of {java_type} ({low} - {high})")

    return read


def _float_reader(java_name: str) -> Reader:
    def read(value: Any) -> Any:
        kind = type(value)
        if kind is int or kind is float:
            return value
        if kind is str and value in ("NaN", "Infinity", "-Infinity"):
            return float(value.replace("Infinity", "inf"))
        raise type_mismatch(value, java_name)

    return read


def _read_boolean(value: Any) -> Any:
    kind = type(value)
    if kind is bool:
        return value
    if kind is str and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise type_mismatch(value, "Boolean")


def _blob_reader(decode: bool) -> Reader:
    def read(value: Any) -> Any:
        if type(value) is not str:
            raise type_mismatch(value, "Blob")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise WireTypeError(
                f"'{value[:64]}' can not be converted to a Blob: Invalid Base64 encoding"
            ) from None
        return raw if decode else value

    return read


def _timestamp_reader(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is float:
        return datetime.fromtimestamp(value, UTC)
    if kind is str:
        try:
            return parse_iso8601(value)
        except (ValueError, TypeError):
            pass
    raise type_mismatch(value, "Date")


def _pass(value: Any) -> Any:
    return value


class JsonCodec:
    """Compiles and caches readers and writers for the shapes of one service model."""

    def __init__(self, opaque_shapes: frozenset[str] = frozenset()) -> None:
        self._opaque = opaque_shapes
        self._readers: dict[tuple[str, str | None, bool], Reader] = {}
        self._writers: dict[tuple[str, str | None], Writer | None] = {}
        # Readers that return the very value they were given (type-checked, not converted).
        self._kept_readers: set[Reader] = set()

    # -- readers -------------------------------------------------------------------------

    def reader(self, shape: Shape, keep_wire_form: bool = False) -> Reader:
        keep = keep_wire_form or shape.name in self._opaque
        key = (shape.name, shape.serialization.get("timestampFormat"), keep)
        found = self._readers.get(key)
        if found is not None:
            return found
        if shape.type_name in ("structure", "list", "map"):
            # Recursive shapes (AttributeValue's L and M) reach themselves while compiling.
            slot: list[Reader] = []
            self._readers[key] = lambda value: slot[0](value)
            compiled = self._compile_reader(shape, keep)
            slot.append(compiled)
        else:
            compiled = self._compile_reader(shape, keep)
        self._readers[key] = compiled
        return compiled

    def _compile_reader(self, shape: Shape, keep: bool) -> Reader:
        kind = shape.type_name
        if kind == "structure":
            if getattr(shape, "is_document_type", False):
                return _pass
            return self._structure_reader(shape, keep)
        if kind == "list":
            return self._list_reader(self.reader(shape.member, keep), keep)
        if kind == "map":
            return self._map_reader(self.reader(shape.value, keep), keep)
        if kind == "string":
            return _read_string
        if kind in INTEGER_BOUNDS:
            return _integer_reader(_JAVA_NAMES[kind], *INTEGER_BOUNDS[kind])
        if kind in ("float", "double"):
            return _float_reader(_JAVA_NAMES[kind])
        if kind == "boolean":
            return _read_boolean
        if kind == "blob":
            return _blob_reader(decode=not keep)
        if kind == "timestamp":
            return _pass if keep else _timestamp_reader
        return _pass

    def structure_reader(self, shape: Shape, members: list[str]) -> Reader:
        """A reader of ``shape`` that knows only ``members`` (rest-json body members)."""
        return self._structure_reader(shape, False, members)

    def _structure_reader(self, shape: Shape, keep: bool, names: list[str] | None = None) -> Reader:
        # (member name, reader, is a string): strings, most members of most requests, are
        # checked inline rather than by a call.
        members: dict[str, tuple[str, Reader, bool]] = {}
        for name in names if names is not None else shape.members:
            member = shape.members[name]
            wire_name = member.serialization.get("name", name)
            reader = self.reader(member, keep)
            members[wire_name] = (name, reader, reader is _read_string)
        lookup = members.get

        if keep:

            def check_structure(value: Any) -> Any:
                if type(value) is not dict:
                    raise type_mismatch(value, "structure")
                for key, item in value.items():
                    entry = lookup(key)
                    if entry is not None and item is not None and not (entry[2] and type(item) is str):
                        entry[1](item)
                return value

            self._kept_readers.add(check_structure)
            return check_structure

        def read_structure(value: Any) -> Any:
            if type(value) is not dict:
                raise type_mismatch(value, "structure")
            out = {}
            for key, item in value.items():
                entry = lookup(key)
                if entry is None or item is None:  # Coral drops unknown members and nulls
                    continue
                out[entry[0]] = item if entry[2] and type(item) is str else entry[1](item)
            return out

        return read_structure

    @staticmethod
    def _list_reader(item_reader: Reader, keep: bool) -> Reader:
        def read_list(value: Any) -> Any:
            if type(value) is not list:
                raise type_mismatch(value, "list")
            if keep:
                for item in value:
                    if item is not None:
                        item_reader(item)
                return value
            return [item_reader(item) for item in value if item is not None]

        return read_list

    def _map_reader(self, value_reader: Reader, keep: bool) -> Reader:
        # Values read as they came (strings, opaque shapes such as DynamoDB's AttributeValue)
        # leave the map as it came too, unless a null has to be dropped: no copy.
        values_kept = value_reader is _read_string or value_reader in self._kept_readers

        def read_map(value: Any) -> Any:
            if type(value) is not dict:
                raise type_mismatch(value, "map")
            if keep or values_kept:
                has_null = False
                for item in value.values():
                    if item is None:
                        has_null = True
                    elif not (type(item) is str and value_reader is _read_string):
                        value_reader(item)
                if keep or not has_null:
                    return value
            return {key: value_reader(item) for key, item in value.items() if item is not None}

        return read_map

    # -- writers -------------------------------------------------------------------------

    def writer(self, shape: Shape) -> Writer | None:
        """A converter for result values of ``shape``, or None when they go out as they are."""
        if shape.name in self._opaque:
            return None
        fmt = shape.serialization.get("timestampFormat")
        key = (shape.name, fmt)
        if key in self._writers:
            return self._writers[key]
        if shape.type_name in ("structure", "list", "map"):
            slot: list[Writer | None] = []
            # While compiling, a recursive reference assumes conversion is needed.
            self._writers[key] = lambda value: slot[0](value) if slot[0] else value
            compiled = self._compile_writer(shape)
            slot.append(compiled)
        else:
            compiled = self._compile_writer(shape)
        self._writers[key] = compiled
        return compiled

    def _compile_writer(self, shape: Shape) -> Writer | None:
        kind = shape.type_name
        if kind == "timestamp":
            fmt = shape.serialization.get("timestampFormat")
            if fmt and fmt.lower() != "unixtimestamp":
                return lambda value: format_timestamp(value, fmt)
            return epoch
        if kind == "blob":
            return _write_blob
        if kind == "structure":
            if getattr(shape, "is_document_type", False):
                return None
            return self.structure_writer(shape, top_level=False)
        if kind == "list":
            item_writer = self.writer(shape.member)
            if item_writer is None:
                return None
            return lambda value: [item_writer(item) for item in value]
        if kind == "map":
            value_writer = self.writer(shape.value)
            if value_writer is None:
                return None
            return lambda value: {key: value_writer(item) for key, item in value.items()}
        return None

    def structure_writer(
        self, shape: Shape, top_level: bool, members: list[str] | None = None
    ) -> Writer | None:
        """Writer for a structure; ``top_level`` ones always filter to ``members`` (body members)."""
        names = members if members is not None else list(shape.members)
        entries: dict[str, tuple[str, Writer | None]] = {}
        needs_conversion = False
        for name in names:
            member = shape.members[name]
            wire_name = member.serialization.get("name", name)
            member_writer = self.writer(member)
            entries[name] = (wire_name, member_writer)
            if member_writer is not None or wire_name != name:
                needs_conversion = True
        if not needs_conversion and not top_level:
            return None
        lookup = entries.get

        def write_structure(value: Any) -> Any:
            out = {}
            for key, item in value.items():
                entry = lookup(key)
                if entry is None or item is None:
                    continue
                out[entry[0]] = item if entry[1] is None else entry[1](item)
            return out

        return write_structure


def _write_blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).decode("ascii")
