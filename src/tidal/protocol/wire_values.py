"""Scalar values as text on the wire (headers, query strings, URI labels, XML text) and back.

Timestamps: a service returns ``datetime`` (UTC) or an epoch number; requests yield aware
``datetime`` objects, as boto3 accepts them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def as_datetime(value: Any) -> datetime:
    """A service's timestamp (datetime, epoch number or ISO string) as an aware UTC datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return parse_iso8601(value)
    raise TypeError(f"not a timestamp: {value!r}")


def epoch(value: Any) -> int | float:
    """Seconds since the epoch, as the JSON protocols send timestamps (int when whole)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    seconds = as_datetime(value).timestamp()
    return int(seconds) if seconds.is_integer() else round(seconds, 3)


def iso8601(value: Any) -> str:
    """S3's body timestamp form, always with milliseconds: ``2025-03-04T10:11:12.000Z``."""
    # "2025-03-04T10:11:12.000+00:00"[:23] + "Z"; isoformat is C, the f-string equivalent is not
    return as_datetime(value).isoformat(timespec="milliseconds")[:23] + "Z"


def rfc1123(value: Any) -> str:
    """HTTP-date as S3 sends ``Last-Modified``: ``Tue, 04 Mar 2025 10:11:12 GMT``."""
    dt = as_datetime(value)
    return (
        f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} GMT"
    )


def parse_iso8601(text: str) -> datetime:
    text = text.strip()
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        from botocore.utils import parse_timestamp  # slower, but knows every variant AWS emits

        dt = parse_timestamp(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_timestamp_text(text: str, timestamp_format: str | None) -> datetime:
    """A timestamp from a header/query/XML text in the model's format (or any we recognise);
    ValueError for any text that is not one."""
    try:
        return _parse_timestamp_text(text, timestamp_format)
    except (ValueError, TypeError, OverflowError, OSError, RuntimeError) as exc:
        # botocore's parser raises RuntimeError for "inf" and sixty nines; datetime overflows
        raise ValueError(f"not a timestamp: {text[:64]!r}") from exc


def _parse_timestamp_text(text: str, timestamp_format: str | None) -> datetime:
    text = text.strip()
    fmt = (timestamp_format or "").lower()
    if fmt == "unixtimestamp" or (not fmt and _looks_numeric(text)):
        return datetime.fromtimestamp(float(text), UTC)
    if fmt == "rfc822" or (not fmt and "," in text):
        dt = parsedate_to_datetime(text)
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return parse_iso8601(text)


def format_timestamp(value: Any, timestamp_format: str) -> str:
    fmt = timestamp_format.lower()
    if fmt == "rfc822":
        return rfc1123(value)
    if fmt == "unixtimestamp":
        return str(epoch(value))
    return iso8601(value)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def b64decode_strict(text: str | bytes) -> bytes:
    """Base64 as AWS accepts it: padding required, no stray characters."""
    return base64.b64decode(text, validate=True)


# The Java types the models' integer shapes are: (least, greatest) value.
INTEGER_BOUNDS = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,19}")


def parse_integer(text: str, type_name: str = "long") -> int:
    """An integer member's text: ASCII digits with an optional minus, within its Java type.

    Stricter than ``int()``, which takes "+5", "1_000", " 7 ", other scripts' digits and
    thousands of digits (a ValueError past Python's limit, after quadratic work)."""
    if _INTEGER_TEXT.fullmatch(text) is None:
        raise ValueError(f"not an integer: {text[:64]!r}")
    value = int(text)
    low, high = INTEGER_BOUNDS[type_name]
    if not low <= value <= high:
        raise ValueError(f"out of range for {type_name}: {text}")
    return value


def parse_text(type_name: str, text: str, timestamp_format: str | None = None) -> Any:
    """A modelled scalar from its text form; raises ValueError when the text does not fit."""
    if type_name == "string":
        return text
    if type_name in INTEGER_BOUNDS:
        return parse_integer(text, type_name)
    if type_name == "boolean":
        lowered = text.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise ValueError(f"not a boolean: {text!r}")
    if type_name in ("float", "double"):
        return float(text)
    if type_name == "timestamp":
        return parse_timestamp_text(text, timestamp_format)
    if type_name == "blob":
        try:
            return b64decode_strict(text)
        except binascii.Error as exc:
            raise ValueError(str(exc)) from None
    return text


def format_text(type_name: str, value: Any, timestamp_format: str) -> str:
    """A modelled scalar as text for a header, query string or XML element."""
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name == "timestamp":
        return format_timestamp(value, timestamp_format)
    if type_name == "blob":
        raw = value.encode() if isinstance(value, str) else value
        return base64.b64encode(raw).decode("ascii")
    if type_name in ("float", "double") and isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
    return str(value)


def json_value_header(text: str) -> Any:
    """A ``jsonvalue`` header member: base64 of a JSON document."""
    return json.loads(b64decode_strict(text))


def format_json_value_header(value: Any) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")


def split_header_list(text: str) -> list[str]:
    """A list header (RFC 7230): comma-separated, items with commas are double-quoted."""
    if '"' not in text:
        return [item.strip() for item in text.split(",")]
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return items


def join_header_list(values: list[Any]) -> str:
    out = []
    for value in values:
        text = str(value)
        if '"' in text or "," in text:
            text = '"' + text.replace('"', '\\"') + '"'
        out.append(text)
    return ",".join(out)
