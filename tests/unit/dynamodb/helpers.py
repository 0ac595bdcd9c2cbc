"""Helpers shared by the DynamoDB unit tests (imported as ``from .helpers import ...``)."""

from __future__ import annotations

import pytest

from tidal.errors import AWSError

# The standard tables of the conftest's ``ddb`` fixture.
HASHED = "things"  # hash key pk (S)
SORTED = "sorted"  # hash key pk (S), range key sk (N)


# -- AttributeValues -------------------------------------------------------------------------------


def s(text: str) -> dict:
    return {"S": text}


def n(value: str | int) -> dict:
    return {"N": str(value)}


# The expression tests' spelling: N passes its text through as it is.


def S(text: str) -> dict:
    return {"S": text}


def N(text: str) -> dict:
    return {"N": text}


# -- errors ----------------------------------------------------------------------------------------


def error_of(fn, **params) -> AWSError:
    with pytest.raises(AWSError) as info:
        fn(**params)
    return info.value


def assert_validation(fn, message: str, **params) -> None:
    err = error_of(fn, **params)
    assert (err.code, err.message, err.status) == ("ValidationException", message, 400)


def message(call) -> str:
    with pytest.raises(AWSError) as caught:
        call()
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400
    return caught.value.message
