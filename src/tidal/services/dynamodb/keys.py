"""Primary keys: validation with AWS's messages, and encoding into bytes that sort as DynamoDB does.

An item's row is keyed by ``(table_id, partition, hash_key, range_key)``:

- ``hash_key`` / ``range_key`` are the key attribute values as bytes (``range_key`` is
  ``b""`` for a table without a sort key). SQLite compares BLOBs with memcmp and then by
  length, which is exactly DynamoDB's order for S (UTF-8 bytes) and B (unsigned bytes);
  numbers get an order-preserving encoding (:func:`encode_number`), so a partition's rows
  are stored in sort-key order and Query's ranges are index ranges.
- ``partition`` is a 32-bit hash of ``hash_key``. Like DynamoDB, a Scan therefore walks
  partitions in hash order rather than in key order, and a parallel scan's segment is a
  contiguous range of that hash (:func:`segment_bounds`), so each segment reads only its
  own rows.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tidal.errors import validation_error

MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024

KEY_MISMATCH = "The provided key element does not match the schema"


@dataclass(frozen=True, slots=True)
class KeySchema:
    """A table's primary key: the partition (HASH) key and the optional sort (RANGE) key."""

    hash_name: str
    hash_type: str  # "S" | "N" | "B"
    range_name: str | None = None
    range_type: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.hash_name,) if self.range_name is None else (self.hash_name, self.range_name)


@dataclass(frozen=True, slots=True)
class EncodedKey:
    """Where an item lives: the three key columns of its row (the table id aside)."""

    partition: int
    hash_key: bytes
    range_key: bytes


# -- encoding ----------------------------------------------------------------------------------


def encode_number(text: str) -> bytes:
    """A DynamoDB number as bytes whose memcmp order is the numeric order.

    Layout: a sign byte (0x40 negative, 0x80 zero, 0xC0 positive); for non-zero values
    the decimal exponent ``E`` of ``0.d1d2...dn × 10**E`` as two bytes, then the significant
    digits without trailing zeros as ASCII. Negative numbers store the exponent and the
    digits inverted and end with 0xFF, so that, e.g., -0.123 sorts before -0.12.
    Equal numbers written differently ("1", "1.0", "10E-1") encode identically.
    """
    value = Decimal(text)
    if not value:
        return b"\x80"
    sign, digits, exponent = value.as_tuple()
    count = len(digits)
    while count > 1 and digits[count - 1] == 0:
        count -= 1
    magnitude = exponent + len(digits)  # E: position of the decimal point before d1
    if sign == 0:
        return b"\xc0" + (0x8000 + magnitude).to_bytes(2, "big") + bytes(48 + d for d in digits[:count])
    return (
        b"\x40"
        + (0x8000 - magnitude).to_bytes(2, "big")
        + bytes(207 - d for d in digits[:count])  # 255 - (48 + d)
        + b"\xff"
    )


def encode_scalar(type_code: str, value: str) -> bytes:
    """A key attribute's value (JSON wire form: B is base64 text) as its column bytes."""
    if type_code == "S":
        return value.encode("utf-8")
    if type_code == "N":
        return encode_number(value)
    return base64.b64decode(value)


def partition_of(hash_key: bytes) -> int:
    """The 32-bit hash that places a partition key in the scan order and in a segment."""
    return zlib.crc32(hash_key)


def segment_bounds(segment: int, total_segments: int) -> tuple[int, int]:
    """The half-open range of partition hashes that parallel-scan ``segment`` covers."""
    space = 1 << 32
    low = -(-segment * space // total_segments)
    high = -(-(segment + 1) * space // total_segments)
    return low, high


# -- validation --------------------------------------------------------------------------------


def _scalar_of(value: Any) -> tuple[str, Any] | None:
    """``(type, payload)`` of an AttributeValue with exactly one member, else None."""
    if type(value) is not dict or len(value) != 1:
        return None
    for item in value.items():
        return item
    return None


def _check_key_value(name: str, type_code: str, payload: Any, limit: int, is_range: bool) -> bytes:
    """Bytes of one key attribute already known to have the schema's type."""
    if not isinstance(payload, str):
        raise validation_error(KEY_MISMATCH)
    if payload == "":
        kind = "string" if type_code == "S" else "binary"
        raise validation_error(
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            f"cannot contain an empty {kind} value. Key: {name}"
        )
    try:
        encoded = encode_scalar(type_code, payload)
    except (InvalidOperation, ValueError, binascii.Error):
        # values.py reports malformed numbers and base64 with AWS's words before we get here;
        # this is the backstop for callers that skipped it.
        raise validation_error(KEY_MISMATCH) from None
    if type_code == "B" and encoded == b"":
        raise validation_error(
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            f"cannot contain an empty binary value. Key: {name}"
        )
    if type_code != "N" and len(encoded) > limit:
        if is_range:
            raise validation_error(
                "One or more parameter values were invalid: Aggregated size of all range keys has "
                f"exceeded the size limit of {MAX_RANGE_KEY_BYTES} bytes"
            )
        # AWS's message really has no space between "of" and the number.
        raise validation_error(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
            f"size limit of{MAX_HASH_KEY_BYTES} bytes"
        )
    return encoded


def key_from_key_param(schema: KeySchema, key: Any) -> EncodedKey:
    """The row key named by a ``Key`` parameter (GetItem, UpdateItem, DeleteItem).

    AWS answers every shape problem here (wrong count, unknown name, wrong type) with the
    one generic message; only an empty value and an oversized value get their own.
    """
    if type(key) is not dict:
        raise validation_error(KEY_MISMATCH)
    wanted = 1 if schema.range_name is None else 2
    if len(key) != wanted:
        raise validation_error(KEY_MISMATCH)
    scalar = _scalar_of(key.get(schema.hash_name))
    if scalar is None or scalar[0] != schema.hash_type:
        raise validation_error(KEY_MISMATCH)
    hash_key = _check_key_value(schema.hash_name, schema.hash_type, scalar[1], MAX_HASH_KEY_BYTES, False)
    range_key = b""
    if schema.range_name is not None:
        scalar = _scalar_of(key.get(schema.range_name))
        if scalar is None or scalar[0] != schema.range_type:
            raise validation_error(KEY_MISMATCH)
        range_key = _check_key_value(
            schema.range_name,
            schema.range_type,
            scalar[1],
            MAX_RANGE_KEY_BYTES,
            True,  # type: ignore[arg-type]
        )
    return EncodedKey(partition_of(hash_key), hash_key, range_key)


def _item_key_value(name: str, type_code: str, item: dict, limit: int, is_range: bool) -> bytes:
    value = item.get(name)
    if value is None:
        raise validation_error(
            f"One or more parameter values were invalid: Missing the key {name} in the item"
        )
    scalar = _scalar_of(value)
    if scalar is None:
        raise validation_error(KEY_MISMATCH)
    if scalar[0] != type_code:
        raise validation_error(
            f"One or more parameter values were invalid: Type mismatch for key {name} "
            f"expected: {type_code} actual: {scalar[0]}"
        )
    return _check_key_value(name, type_code, scalar[1], limit, is_range)


def key_from_item(schema: KeySchema, item: dict) -> EncodedKey:
    """The row key of a whole item (PutItem), with PutItem's more specific messages."""
    hash_key = _item_key_value(schema.hash_name, schema.hash_type, item, MAX_HASH_KEY_BYTES, False)
    range_key = b""
    if schema.range_name is not None:
        range_key = _item_key_value(
            schema.range_name,
            schema.range_type,
            item,
            MAX_RANGE_KEY_BYTES,
            True,  # type: ignore[arg-type]
        )
    return EncodedKey(partition_of(hash_key), hash_key, range_key)


def key_attributes(schema: KeySchema, item: dict) -> dict:
    """Just the primary-key attributes of ``item`` (LastEvaluatedKey, KEYS_ONLY)."""
    if schema.range_name is None:
        return {schema.hash_name: item[schema.hash_name]}
    return {schema.hash_name: item[schema.hash_name], schema.range_name: item[schema.range_name]}


def check_index_keys(index_keys: dict[str, tuple[str, str]], item: dict, before: dict | None = None) -> None:
    """Refuse a secondary-index key attribute of the wrong type or empty, as AWS does on writes.

    ``index_keys`` maps attribute name to ``(type, index name)``. An absent attribute is fine
    (the item is just not in that index). With ``before`` (UpdateItem), only attributes the
    update changed are checked, and an empty value gets the update's wording.
    """
    problems: list[tuple[str, str, str]] = []
    for name, (type_code, index_name) in index_keys.items():
        value = item.get(name)
        if value is None or (before is not None and before.get(name) == value):
            continue
        scalar = _scalar_of(value)
        if scalar is None or scalar[0] != type_code:
            actual = scalar[0] if scalar else next(iter(value), "?")
            problems.append(
                (
                    index_name,
                    name,
                    "One or more parameter values were invalid: Type mismatch for Index Key "
                    f"{name} Expected: {type_code} Actual: {actual} IndexName: {index_name}",
                )
            )
        elif scalar[1] == "":
            kind = "string" if type_code == "S" else "binary"
            if before is not None:
                message = (
                    "One or more parameter values are not valid. The update expression attempted to update a "
                    "secondary index key to a value that is not supported. The AttributeValue for a key "
                    f"attribute cannot contain an empty {kind} value."
                )
            else:
                message = (
                    "One or more parameter values are not valid. A value specified for a secondary index key "
                    "is not supported. The AttributeValue for a key attribute cannot contain an empty "
                    f"{kind} value. IndexName: {index_name}, IndexKey: {name}"
                )
            problems.append((index_name, name, message))
    if problems:
        # AWS names the alphabetically first index that refuses the item.
        raise validation_error(min(problems)[2])
