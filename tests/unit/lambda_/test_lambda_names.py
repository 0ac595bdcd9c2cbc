"""FunctionName forms: names, partial ARNs, full ARNs, qualifiers."""

from __future__ import annotations

import pytest

from tidal.errors import AWSError
from tidal.services.lambda_.names import (
    FUNCTION_NAME_PATTERN,
    parse_function_ref,
    resolve_function_name,
    resolve_new_function_name,
)

ACCOUNT = "000000000000"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fn", ("fn", None, None, None)),
        ("fn:$LATEST", ("fn", "$LATEST", None, None)),
        ("123456789012:function:fn", ("fn", None, None, "123456789012")),
        ("arn:aws:lambda:eu-west-1:123456789012:function:fn", ("fn", None, "eu-west-1", "123456789012")),
        (
            "arn:aws:lambda:eu-west-1:123456789012:function:fn:prod",
            ("fn", "prod", "eu-west-1", "123456789012"),
        ),
        (
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:my_fn-2",
            ("my_fn-2", None, "cn-north-1", "123456789012"),
        ),
    ],
)
def test_parse_function_ref_forms(text, expected):
    ref = parse_function_ref(text)
    assert ref is not None
    assert (ref.name, ref.qualifier, ref.region, ref.account) == expected


@pytest.mark.parametrize(
    "text", ["", "fn name", "arn:aws:lambda:function:fn", "123456789012:fn", "fn:a:b", "arn:aws:s3:::bucket"]
)
def test_parse_function_ref_rejects_what_is_not_a_name(text):
    assert parse_function_ref(text) is None


def test_resolve_uses_the_request_region_and_account_for_a_bare_name():
    ref = resolve_function_name("fn", None, "us-east-1", ACCOUNT)
    assert (ref.region, ref.account, ref.name, ref.qualifier) == ("us-east-1", ACCOUNT, "fn", None)
    assert ref.arn == "arn:aws:lambda:us-east-1:000000000000:function:fn"


def test_resolve_takes_the_qualifier_from_the_arn_or_the_parameter():
    assert resolve_function_name("fn:$LATEST", None, "us-east-1", ACCOUNT).qualifier == "$LATEST"
    ref = resolve_function_name("fn", "$LATEST", "us-east-1", ACCOUNT)
    assert ref.requested_arn == "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST"


def test_resolve_refuses_a_qualifier_mismatch():
    with pytest.raises(AWSError) as caught:
        resolve_function_name("fn:1", "2", "us-east-1", ACCOUNT)
    assert caught.value.code == "InvalidParameterValueException"
    assert caught.value.message == (
        "The derived qualifier from the function name does not match the specified qualifier."
    )


def test_resolve_refuses_a_function_of_another_region():
    with pytest.raises(AWSError) as caught:
        resolve_function_name("arn:aws:lambda:eu-west-1:000000000000:function:fn", None, "us-east-1", ACCOUNT)
    assert caught.value.code == "ResourceNotFoundException"
    assert caught.value.status == 404
    assert caught.value.message == "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"


def test_resolve_refuses_a_malformed_name_with_the_pattern():
    with pytest.raises(AWSError) as caught:
        resolve_function_name("bad name", None, "us-east-1", ACCOUNT)
    err = caught.value
    assert (err.code, err.status) == ("ValidationException", 400)
    assert err.message.startswith(
        "1 validation error detected: Value 'bad name' at 'functionName' failed to satisfy constraint:"
        " Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
    )


def test_resolve_refuses_a_malformed_qualifier():
    with pytest.raises(AWSError) as caught:
        resolve_function_name("fn", "bad qualifier", "us-east-1", ACCOUNT)
    assert caught.value.code == "ValidationException"
    assert "at 'qualifier' failed to satisfy constraint" in caught.value.message


def test_new_function_name_accepts_the_three_forms():
    assert resolve_new_function_name("fn", "us-east-1", ACCOUNT) == "fn"
    assert resolve_new_function_name(f"{ACCOUNT}:function:fn", "us-east-1", ACCOUNT) == "fn"
    assert (
        resolve_new_function_name(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn", "us-east-1", ACCOUNT)
        == "fn"
    )


@pytest.mark.parametrize("text", ["fn:1", "fn.py", "fn/x", "bad name"])
def test_new_function_name_refuses_qualifiers_dots_and_other_characters(text):
    with pytest.raises(AWSError) as caught:
        resolve_new_function_name(text, "us-east-1", ACCOUNT)
    assert caught.value.code == "ValidationException"
    assert caught.value.message.endswith(FUNCTION_NAME_PATTERN)


def test_new_function_name_is_at_most_64_characters():
    assert resolve_new_function_name("a" * 64, "us-east-1", ACCOUNT) == "a" * 64
    with pytest.raises(AWSError) as caught:
        resolve_new_function_name("a" * 65, "us-east-1", ACCOUNT)
    assert caught.value.code == "InvalidParameterValueException"
    assert caught.value.message.endswith("Member must have length less than or equal to 64")
