"""How expression errors are worded: DynamoDB's ``message; key: value, key: value`` form.

Parsing and binding raise ``ExpressionInvalid`` with the bare message; the public entry points
turn it into ``AWSError("ValidationException", "Invalid <Parameter>: <message>")``, so one
parse serves every parameter name. Errors found while applying an update to an item carry no
prefix and are raised as ``AWSError`` directly.
"""

from __future__ import annotations

from typing import NoReturn

from tidal.errors import AWSError, validation_error

# The errors an update can meet while it is applied to the stored item (no "Invalid ..." prefix).
INVALID_PATH_FOR_UPDATE = "The document path provided in the update expression is invalid for update"
INCORRECT_DATA_TYPE = "An operand in the update expression has an incorrect data type"
ATTRIBUTE_NOT_FOUND = "The provided expression refers to an attribute that does not exist in the item"
NESTING_TOO_DEEP = "Nesting Levels have exceeded supported limits"


class ExpressionInvalid(Exception):
    """An expression DynamoDB refuses; ``message`` lacks the ``Invalid <Parameter>:`` prefix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_aws(self, param_name: str) -> AWSError:
        return validation_error(f"Invalid {param_name}: {self.message}")


def describe(message: str, *pairs: object) -> str:
    """DynamoDB's wording: the message, ``;``, then `` key: value`` pairs joined by ``,``."""
    parts = [message, ";"]
    for i in range(0, len(pairs), 2):
        if i:
            parts.append(",")
        parts.append(f" {pairs[i]}: {pairs[i + 1]}")
    return "".join(parts)


def invalid(message: str, *pairs: object) -> NoReturn:
    raise ExpressionInvalid(describe(message, *pairs))


def path_text(elements: tuple) -> str:
    """A document path as DynamoDB prints it: ``[a, b, [2], c]``."""
    return "[" + ", ".join(f"[{e}]" if type(e) is int else e for e in elements) + "]"


def fail_update(message: str) -> NoReturn:
    raise validation_error(message)
