"""DynamoDB AttributeValues: validation messages, number normalisation, equality, order, sizes."""

from __future__ import annotations

import base64

import pytest

from tidal.errors import AWSError
from tidal.services.dynamodb.values import (
    MAX_ITEM_SIZE,
    UPDATE_TOO_LARGE,
    check_item_size,
    compare,
    item_size,
    normalize_number,
    number_size,
    parse_number,
    size_of,
    validate_item,
    validate_value,
    value_size,
    values_equal,
)

from .helpers import message


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("1.50", "1.5"),
        ("01", "1"),
        ("1e2", "100"),
        ("1E+2", "100"),
        ("-0", "0"),
        ("0.000", "0"),
        ("-0.0e5", "0"),
        ("1E-5", "0.00001"),
        ("-1.230E+3", "-1230"),
        (".5", "0.5"),
        ("5.", "5"),
        ("+7", "7"),
        ("100", "100"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        ("1E125", "1" + "0" * 125),
        ("1E-130", "0." + "0" * 129 + "1"),
        (
            "-9.9999999999999999999999999999999999999E+125",
            "-99999999999999999999999999999999999999" + "0" * 88,
        ),
    ],
)
def test_numbers_are_normalised_as_dynamodb_returns_them(text: str, normal: str) -> None:
    assert normalize_number(text) == normal
    assert validate_value({"N": text}) == {"N": normal}


@pytest.mark.parametrize(
    "text", ["abc", "1e", "NaN", "Infinity", "-Infinity", " 1", "1 ", "1_000", "0x10", "1..2", "--1", "e5"]
)
def test_unparseable_numbers_quote_the_input(text: str) -> None:
    assert (
        message(lambda: parse_number(text)) == f"The parameter cannot be converted to a numeric value: {text}"
    )


def test_empty_number_has_the_bare_message() -> None:
    assert (
        message(lambda: validate_value({"N": ""})) == "The parameter cannot be converted to a numeric value"
    )


@pytest.mark.parametrize(
    "text", ["1E126", "-1E126", "1E+200", "10E125", "99999999999999999999999999999999999999E+89"]
)
def test_number_overflow(text: str) -> None:
    assert (
        message(lambda: parse_number(text))
        == "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )


@pytest.mark.parametrize("text", ["1E-131", "-1E-131", "0.1E-130"])
def test_number_underflow(text: str) -> None:
    assert (
        message(lambda: parse_number(text))
        == "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    )


def test_more_than_38_significant_digits_is_refused() -> None:
    assert (
        message(lambda: parse_number("123456789012345678901234567890123456789"))
        == "Attempting to store more than 38 significant digits in a Number"
    )
    assert message(lambda: parse_number("1.00000000000000000000000000000000000001")) == (
        "Attempting to store more than 38 significant digits in a Number"
    )


def test_trailing_and_leading_zeros_are_not_significant() -> None:
    assert normalize_number("1" + "0" * 60) == "1" + "0" * 60
    assert normalize_number("0.000000000000000000000000000000000000000000000012") == (
        "0.000000000000000000000000000000000000000000000012"
    )
    assert (
        normalize_number("12345678901234567890123456789012345678000")
        == "12345678901234567890123456789012345678000"
    )


# -- validation --------------------------------------------------------------------------------


def test_empty_attribute_value() -> None:
    expected = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    assert message(lambda: validate_value({})) == expected
    assert message(lambda: validate_value({"X": "unknown"})) == expected


def test_more_than_one_data_type() -> None:
    assert message(lambda: validate_value({"S": "a", "N": "1"})) == (
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
    )


def test_null_must_be_true() -> None:
    assert message(lambda: validate_value({"NULL": False})) == (
        "One or more parameter values were invalid: Null attribute value types must have the value of true"
    )
    assert validate_value({"NULL": True}) == {"NULL": True}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
        ({"NS": []}, "One or more parameter values were invalid: An number set  may not be empty"),
        ({"BS": []}, "One or more parameter values were invalid: Binary sets should not be empty"),
    ],
)
def test_empty_sets(value: dict, expected: str) -> None:
    assert message(lambda: validate_value(value)) == expected


def test_duplicates_in_sets() -> None:
    assert message(lambda: validate_value({"SS": ["a", "b", "a"]})) == (
        "One or more parameter values were invalid: Input collection [a, b, a] contains duplicates."
    )
    # Numbers are compared by value.
    assert message(lambda: validate_value({"NS": ["1", "1.0"]})) == (
        "One or more parameter values were invalid: Input collection [1, 1.0] contains duplicates."
    )
    one = b64(b"a")
    assert message(lambda: validate_value({"BS": [one, one]})) == (
        f"One or more parameter values were invalid: Input collection [{one}, {one}]of type BS contains duplicates."
    )


def test_number_sets_are_validated_and_normalised() -> None:
    assert validate_value({"NS": ["1.50", "2e1"]}) == {"NS": ["1.5", "20"]}
    assert (
        message(lambda: validate_value({"NS": ["1", "x"]}))
        == "The parameter cannot be converted to a numeric value: x"
    )


def test_empty_strings_are_values_now() -> None:
    assert validate_value({"S": ""}) == {"S": ""}
    assert validate_value({"SS": ["", "a"]}) == {"SS": ["", "a"]}
    assert validate_value({"B": ""}) == {"B": ""}


def test_binary_is_canonical_base64() -> None:
    assert validate_value({"B": b64(b"\x00\xff")}) == {"B": "AP8="}
    with pytest.raises(AWSError) as caught:
        validate_value({"B": "not base64!"})
    assert caught.value.code == "SerializationException"


def test_nested_values_are_checked_and_normalised() -> None:
    value = {"M": {"a": {"L": [{"N": "1.0"}, {"M": {"b": {"N": "0002"}}}]}}}
    assert validate_value(value) == {"M": {"a": {"L": [{"N": "1"}, {"M": {"b": {"N": "2"}}}]}}}
    assert message(lambda: validate_value({"L": [{"S": "ok"}, {"N": "nope"}]})) == (
        "The parameter cannot be converted to a numeric value: nope"
    )
    assert message(lambda: validate_value({"M": {"x": {}}})) == (
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )


def test_nesting_limit() -> None:
    def nested(levels: int) -> dict:
        value: dict = {"S": "leaf"}
        for _ in range(levels):
            value = {"M": {"k": value}}
        return value

    validate_value(nested(31))
    assert message(lambda: validate_value(nested(32))) == "Nesting Levels have exceeded supported limits"


def test_attribute_names() -> None:
    assert message(lambda: validate_item({"": {"S": "x"}})) == "Empty attribute name"
    assert message(lambda: validate_value({"M": {"": {"S": "x"}}})) == "Empty attribute name"
    assert message(lambda: validate_item({"n" * 65536: {"S": "x"}})) == (
        "Attribute name is too large, must be less than 65536 bytes"
    )
    assert validate_item({"é" * 32767: {"S": "x"}})  # 65534 bytes


def test_validate_item_returns_a_normalised_copy() -> None:
    item = {"pk": {"S": "a"}, "n": {"N": "12.50"}}
    assert validate_item(item) == {"pk": {"S": "a"}, "n": {"N": "12.5"}}
    assert item["n"] == {"N": "12.50"}


# -- equality and order ------------------------------------------------------------------------


def test_equality() -> None:
    assert values_equal({"N": "1"}, {"N": "1.0"})
    assert not values_equal({"N": "1"}, {"S": "1"})
    assert values_equal({"SS": ["a", "b"]}, {"SS": ["b", "a"]})
    assert not values_equal({"SS": ["a", "b"]}, {"SS": ["a"]})
    assert values_equal({"NS": ["1", "2"]}, {"NS": ["2.0", "1"]})
    assert values_equal({"L": [{"S": "a"}, {"N": "1"}]}, {"L": [{"S": "a"}, {"N": "1"}]})
    assert not values_equal({"L": [{"S": "a"}, {"N": "1"}]}, {"L": [{"N": "1"}, {"S": "a"}]})
    assert values_equal({"M": {"a": {"BOOL": True}}}, {"M": {"a": {"BOOL": True}}})
    assert not values_equal({"M": {"a": {"BOOL": True}}}, {"M": {"a": {"BOOL": False}}})
    assert values_equal({"NULL": True}, {"NULL": True})
    assert not values_equal(None, {"NULL": True})


def test_order() -> None:
    assert compare({"N": "10"}, {"N": "9"}) == 1
    assert compare({"N": "-1.5"}, {"N": "-1.25"}) == -1
    assert compare({"N": "2"}, {"N": "2.00"}) == 0
    assert compare({"S": "B"}, {"S": "a"}) == -1  # by code point / UTF-8 byte
    assert compare({"S": "é"}, {"S": "z"}) == 1
    # Binary is unsigned: 0x80 sorts after 0x7f.
    assert compare({"B": b64(b"\x80")}, {"B": b64(b"\x7f")}) == 1
    assert compare({"B": b64(b"ab")}, {"B": b64(b"a")}) == 1
    with pytest.raises(TypeError):
        compare({"L": []}, {"L": []})


def test_size_function() -> None:
    assert size_of({"S": "abc"}) == 3
    assert size_of({"S": "é𝄞"}) == 3  # UTF-16 code units, as DynamoDB counts
    assert size_of({"B": b64(b"\x00\x01\x02\x03")}) == 4
    assert size_of({"SS": ["a", "b"]}) == 2
    assert size_of({"NS": ["1"]}) == 1
    assert size_of({"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}) == 3
    assert size_of({"M": {"a": {"S": "x"}}}) == 1
    assert size_of({"N": "12345"}) is None
    assert size_of({"BOOL": True}) is None
    assert size_of({"NULL": True}) is None
    assert size_of(None) is None


# -- sizes -------------------------------------------------------------------------------------

# Literal and byte cost as measured against DynamoDB (recorded by nubo-db/dynoxide).
CAPTURED_NUMBER_BYTES = [
    ("0", 1),
    ("1", 2),
    ("12", 2),
    ("123", 3),
    ("1234", 3),
    ("12345678901234567890123456789012345678", 20),
    ("0042", 2),
    ("100", 2),
    ("1010", 3),
    ("0.0000001", 2),
    ("1E125", 2),
    ("1E-100", 2),
    ("1.5", 3),
    ("15", 2),
    ("1.2", 3),
    ("1.200", 3),
    ("1.234", 4),
    ("3.14159", 5),
    ("123456", 4),
    ("100.5", 4),
    ("0.15", 2),
    ("-42", 3),
    ("-0", 1),
]


@pytest.mark.parametrize(("literal", "size"), CAPTURED_NUMBER_BYTES)
def test_number_size_matches_dynamodb(literal: str, size: int) -> None:
    assert number_size(literal) == size


def test_value_sizes() -> None:
    assert value_size({"S": "abc"}) == 3
    assert value_size({"S": "é"}) == 2  # UTF-8 bytes
    assert value_size({"B": b64(b"12345")}) == 5
    assert value_size({"BOOL": False}) == 1
    assert value_size({"NULL": True}) == 1
    assert value_size({"L": []}) == 3
    assert value_size({"L": [{"S": "ab"}, {"BOOL": True}]}) == 3 + (1 + 2) + (1 + 1)
    assert value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert value_size({"SS": ["ab", "c"]}) == 3
    assert value_size({"NS": ["1", "-42"]}) == 2 + 3


def test_item_size_counts_names_and_values() -> None:
    assert item_size({"pk": {"S": "abc"}, "né": {"N": "1"}}) == (2 + 3) + (3 + 2)


def test_item_size_limit_is_inclusive_at_400_kb() -> None:
    at_limit = {"p": {"S": "x" * (MAX_ITEM_SIZE - 1)}}
    assert check_item_size(at_limit) == MAX_ITEM_SIZE
    over = {"p": {"S": "x" * MAX_ITEM_SIZE}}
    assert message(lambda: check_item_size(over)) == "Item size has exceeded the maximum allowed size"
    assert message(lambda: check_item_size(over, UPDATE_TOO_LARGE)) == (
        "Item size to update has exceeded the maximum allowed size"
    )
