"""DynamoDB AttributeValues in their JSON wire form, which is also tidal's internal item form.

An item is ``dict[str, dict]``: ``{"pk": {"S": "a"}, "n": {"N": "12.5"}, "b": {"B": "<base64>"},
"ok": {"BOOL": True}, "x": {"NULL": True}, "l": {"L": [...]}, "m": {"M": {...}},
"ss": {"SS": [...]}, "ns": {"NS": [...]}, "bs": {"BS": [...]}}``. Binary stays base64 text,
numbers stay strings; both are only decoded where a comparison or a size needs them.

What this module gives:

- ``validate_value(av)`` / ``validate_item(item)``: check a value from a request with AWS's
  exact messages and return it normalised (numbers as DynamoDB returns them: ``"1.50"`` ->
  ``"1.5"``, ``"1e2"`` -> ``"100"``, ``"-0"`` -> ``"0"``).
- ``parse_number`` / ``format_number`` / ``check_number``: 38-digit decimals, never floats.
- ``values_equal``, ``compare`` (N, S, B; B as unsigned bytes), ``size_of`` (the ``size()``
  function), ``item_size`` / ``check_item_size`` (the 400 KB limit as DynamoDB counts it).

Every error is ``tidal.errors.AWSError("ValidationException", ...)``.
"""

from __future__ import annotations

import base64
import binascii
import re
from decimal import Context, Decimal
from functools import lru_cache
from typing import Any

from tidal.errors import AWSError, validation_error

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

# DynamoDB's 400 KB limit; an item of exactly this many bytes is accepted.
MAX_ITEM_SIZE = 409_600
ITEM_TOO_LARGE = "Item size has exceeded the maximum allowed size"
# UpdateItem words the same limit differently.
UPDATE_TOO_LARGE = "Item size to update has exceeded the maximum allowed size"

# Containers below this many levels under the item are refused (DynamoDB's MAX_DOC_PATH_DEPTH).
MAX_NESTING = 32

TYPES = frozenset(("S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"))
SET_TYPES = frozenset(("SS", "NS", "BS"))

# The numbers DynamoDB accepts are those Java's BigDecimal parses; Python's Decimal also takes
# "NaN", "Infinity", surrounding blanks and "1_000", so the text is checked first.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")

# Any sum or difference of two in-range numbers (exponents 1E-130 .. 1E+126, 38 digits each)
# fits in ~300 digits, so arithmetic in this context is exact; range and precision are then
# checked on the result like on any number a client sends.
EXACT = Context(prec=400, Emax=10**6, Emin=-(10**6))

_MSG_NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
_MSG_OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
_MSG_UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
_MSG_PRECISION = "Attempting to store more than 38 significant digits in a Number"
_INVALID = "One or more parameter values were invalid: "
_ZERO = Decimal(0)


# -- numbers -----------------------------------------------------------------------------------


def parse_number(text: Any) -> Decimal:
    """A request's number text as a Decimal, refused with AWS's message when DynamoDB would."""
    if not isinstance(text, str) or not text:
        raise validation_error(_MSG_NOT_NUMERIC)
    if _NUMBER.match(text) is None:
        raise validation_error(f"{_MSG_NOT_NUMERIC}: {text}")
    return check_number(Decimal(text))


def check_number(value: Decimal) -> Decimal:
    """``value`` if DynamoDB can store it: 1E-130 <= |value| < 1E+126, at most 38 digits."""
    if not value:
        return _ZERO
    adjusted = value.adjusted()
    if adjusted > 125:
        raise validation_error(_MSG_OVERFLOW)
    if adjusted < -130:
        raise validation_error(_MSG_UNDERFLOW)
    if len(value.as_tuple().digits) > 38 and _significant_digits(value) > 38:
        raise validation_error(_MSG_PRECISION)
    return value


def check_sum(value: Decimal) -> Decimal:
    """The result of ``+`` / ``-`` / ADD if DynamoDB can store it. A result that needs more
    than 38 digits is an overflow here, not a precision error: DynamoDB says so (ScyllaDB's
    alternator tests record it for ``1e50 + 1``)."""
    if value and len(value.as_tuple().digits) > 38 and _significant_digits(value) > 38:
        raise validation_error(_MSG_OVERFLOW)
    return check_number(value)


def _significant_digits(value: Decimal) -> int:
    digits = value.as_tuple().digits
    end = len(digits)
    while end > 1 and digits[end - 1] == 0:
        end -= 1
    start = 0
    while start < end - 1 and digits[start] == 0:
        start += 1
    return end - start


def format_number(value: Decimal) -> str:
    """DynamoDB's output form: plain notation, no trailing zeros, no exponent, no ``-0``."""
    if not value:
        return "0"
    return format(value.normalize(EXACT), "f")


def normalize_number(text: str) -> str:
    """Validate ``text`` as a number and return it as DynamoDB would return it."""
    if type(text) is str:
        return _normalize_number_text(text)
    return format_number(parse_number(text))  # not text: raises AWS's error


@lru_cache(maxsize=4096)
def _normalize_number_text(text: str) -> str:
    # Cached: requests repeat the same few literals (the ``1`` of every counter increment),
    # and a Decimal parse and format costs more than the lookup. Invalid text raises, which
    # the cache does not keep.
    return format_number(parse_number(text))


# -- validation --------------------------------------------------------------------------------


def validate_item(item: Any) -> Item:
    """Validate every attribute of ``item`` and return the normalised item (a new dict)."""
    if not isinstance(item, dict):
        raise _serialization("Start of structure or map expected.")
    out: Item = {}
    for name, value in item.items():
        _check_name(name)
        out[name] = validate_value(value)
    return out


def _check_name(name: Any) -> None:
    if not isinstance(name, str):
        raise _serialization("Map keys must be strings.")
    if name == "":
        raise validation_error("Empty attribute name")
    if len(name) > 16383 and len(name.encode("utf-8", "surrogatepass")) > 65535:
        raise validation_error("Attribute name is too large, must be less than 65536 bytes")


def validate_value(av: Any, depth: int = 1) -> AttributeValue:
    """Validate one AttributeValue from a request and return it normalised.

    The checks and their order follow DynamoDB (and dynalite, which recorded AWS's messages):
    the data types present are counted, a false NULL fails at once, then each member's content.
    ``depth`` is the nesting level of this value (1 for an attribute of the item).
    """
    if not isinstance(av, dict):
        raise _serialization("Start of structure or map found where not expected.")
    present = [t for t in av if t in TYPES]
    if not present:
        raise validation_error(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    if "NULL" in av and av["NULL"] is not True:
        if av["NULL"] is False:
            raise validation_error(_INVALID + "Null attribute value types must have the value of true")
        raise _serialization("NULL must be a boolean.")
    if len(present) > 1:
        raise validation_error(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        )
    kind = present[0]
    raw = av[kind]
    if kind == "S":
        if not isinstance(raw, str):
            raise _serialization("S must be a string.")
        return {"S": raw}
    if kind == "N":
        return {"N": normalize_number(raw)}
    if kind == "B":
        # Re-encoding gives the canonical base64 DynamoDB would return for the same bytes.
        return {"B": _canonical_binary(raw)}
    if kind == "BOOL":
        if not isinstance(raw, bool):
            raise _serialization("BOOL must be a boolean.")
        return {"BOOL": raw}
    if kind == "NULL":
        return {"NULL": True}
    if kind in SET_TYPES:
        return {kind: _validate_set(kind, raw)}
    if depth >= MAX_NESTING:
        raise validation_error("Nesting Levels have exceeded supported limits")
    if kind == "L":
        if not isinstance(raw, list):
            raise _serialization("L must be a list.")
        return {"L": [validate_value(v, depth + 1) for v in raw]}
    if not isinstance(raw, dict):
        raise _serialization("M must be a map.")
    out: Item = {}
    for name, value in raw.items():
        _check_name(name)
        out[name] = validate_value(value, depth + 1)
    return {"M": out}


def _validate_set(kind: str, raw: Any) -> list:
    if not isinstance(raw, list):
        raise _serialization(f"{kind} must be a list.")
    if not raw:
        # The doubled space in the first two is AWS's own.
        if kind == "SS":
            raise validation_error(_INVALID + "An string set  may not be empty")
        if kind == "NS":
            raise validation_error(_INVALID + "An number set  may not be empty")
        raise validation_error(_INVALID + "Binary sets should not be empty")
    if kind == "SS":
        if not all(isinstance(s, str) for s in raw):
            raise _serialization("SS members must be strings.")
        if len(set(raw)) != len(raw):
            raise validation_error(_INVALID + f"Input collection {_listing(raw)} contains duplicates.")
        return list(raw)
    if kind == "NS":
        numbers = [parse_number(n) for n in raw]
        # Duplicates are judged on the value, so "1" and "1.0" clash; AWS's message lists the
        # input as sent. (Chosen: dynalite recorded the bare message for NS in 2015, newer
        # reports show the same wording as SS.)
        if len(set(numbers)) != len(numbers):
            raise validation_error(_INVALID + f"Input collection {_listing(raw)} contains duplicates.")
        return [format_number(n) for n in numbers]
    decoded = [_decode_binary(b) for b in raw]
    if len(set(decoded)) != len(decoded):
        # No space before "of" is AWS's (as recorded by dynalite).
        raise validation_error(_INVALID + f"Input collection {_listing(raw)}of type BS contains duplicates.")
    return [base64.b64encode(b).decode("ascii") for b in decoded]


def _listing(members: list) -> str:
    return "[" + ", ".join(str(m) for m in members) + "]"


def _decode_binary(raw: Any) -> bytes:
    if not isinstance(raw, str | bytes):
        raise _serialization("B must be a base64 string.")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise _serialization(f"'{raw}' can not be converted to a Blob: invalid Base64") from None


def _canonical_binary(raw: Any) -> str:
    return base64.b64encode(_decode_binary(raw)).decode("ascii")


def _serialization(message: str) -> AWSError:
    # Type errors in the JSON itself are the wire's SerializationException, not validation.
    return AWSError("SerializationException", message, 400)


# -- comparison --------------------------------------------------------------------------------


def binary_value(av: AttributeValue) -> bytes:
    return base64.b64decode(av["B"])


def values_equal(a: AttributeValue | None, b: AttributeValue | None) -> bool:
    """DynamoDB equality: same type and same value; numbers by value, sets as sets."""
    if a is None or b is None:
        return False
    ta = next(iter(a))
    if ta not in b:
        return False
    va, vb = a[ta], b[ta]
    if ta == "S" or ta == "BOOL" or ta == "NULL":
        return va == vb
    if ta == "N":
        return va == vb or Decimal(va) == Decimal(vb)
    if ta == "B":
        return va == vb or base64.b64decode(va) == base64.b64decode(vb)
    if ta == "SS":
        return len(va) == len(vb) and set(va) == set(vb)
    if ta == "NS":
        return len(va) == len(vb) and {Decimal(x) for x in va} == {Decimal(x) for x in vb}
    if ta == "BS":
        return len(va) == len(vb) and {base64.b64decode(x) for x in va} == {base64.b64decode(x) for x in vb}
    if ta == "L":
        return len(va) == len(vb) and all(values_equal(x, y) for x, y in zip(va, vb, strict=True))
    # M
    return va.keys() == vb.keys() and all(values_equal(v, vb[k]) for k, v in va.items())


def compare(a: AttributeValue, b: AttributeValue) -> int:
    """Order two values of the same scalar type N, S or B: -1, 0 or 1.

    Strings order by their UTF-8 bytes, which for Python strings is code-point order;
    binaries by unsigned bytes.
    """
    t = next(iter(a))
    if t == "N":
        x: Any = Decimal(a["N"])
        y: Any = Decimal(b["N"])
    elif t == "S":
        x, y = a["S"], b["S"]
    elif t == "B":
        x, y = base64.b64decode(a["B"]), base64.b64decode(b["B"])
    else:
        raise TypeError(f"{t} values are not ordered")
    return (x > y) - (x < y)


def size_of(av: AttributeValue | None) -> int | None:
    """The ``size()`` function: None where DynamoDB has no size (N, BOOL, NULL, missing).

    A string's size counts UTF-16 code units, as DynamoDB does ("é𝄞" has size 3).
    """
    if av is None:
        return None
    t = next(iter(av))
    v = av[t]
    if t == "S":
        return len(v) if v.isascii() else len(v.encode("utf-16-le")) // 2
    if t == "B":
        return len(base64.b64decode(v))
    if t in ("L", "M", "SS", "NS", "BS"):
        return len(v)
    return None


# -- size --------------------------------------------------------------------------------------


def item_size(item: Item) -> int:
    """The item's size as DynamoDB counts it against the 400 KB limit."""
    total = 0
    for name, value in item.items():
        total += _utf8_len(name) + value_size(value)
    return total


def attribute_size(name: str, value: AttributeValue) -> int:
    """What one top-level attribute adds to its item's size: its name and its value."""
    return _utf8_len(name) + value_size(value)


def check_item_size(item: Item, message: str = ITEM_TOO_LARGE) -> int:
    """``item_size(item)``, or DynamoDB's ValidationException when it is over 400 KB.

    PutItem uses the default message; UpdateItem passes ``UPDATE_TOO_LARGE``.
    """
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise validation_error(message)
    return size


def value_size(av: AttributeValue) -> int:
    """Bytes one value adds to its item.

    Strings count their UTF-8 bytes, binaries their decoded bytes, BOOL and NULL one byte; a
    list or map 3 bytes plus, per element, 1 byte and the element (a map's element includes its
    name); a set the sum of its members. Numbers follow the rule measured against DynamoDB
    (nubo-db/dynoxide, 2026): 1 byte, plus half the significant digits before the point and
    half those after it, each rounded up, plus 1 if negative.
    """
    t = next(iter(av))
    v = av[t]
    if t == "S":
        return _utf8_len(v)
    if t == "N":
        return number_size(v)
    if t == "B":
        return len(base64.b64decode(v))
    if t == "BOOL" or t == "NULL":
        return 1
    if t == "SS":
        return sum(_utf8_len(s) for s in v)
    if t == "NS":
        return sum(number_size(n) for n in v)
    if t == "BS":
        return sum(len(base64.b64decode(b)) for b in v)
    if t == "L":
        return 3 + sum(1 + value_size(e) for e in v)
    return 3 + sum(1 + _utf8_len(k) + value_size(e) for k, e in v.items())


@lru_cache(maxsize=4096)  # counters and flags repeat the same few numbers
def number_size(text: str) -> int:
    value = Decimal(text)
    if not value:
        return 1
    sign, digits, exponent = value.normalize(EXACT).as_tuple()
    assert isinstance(exponent, int)
    n = len(digits)
    point = n + exponent  # digits before the decimal point
    if point <= 0:
        before, after = 0, n
    elif point >= n:
        before, after = n, 0
    else:
        before, after = point, n - point
    return 1 + (before + 1) // 2 + (after + 1) // 2 + sign


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
