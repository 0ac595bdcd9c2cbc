"""AddPermission, GetPolicy, RemovePermission, and function_permits (S3's question)."""

from __future__ import annotations

import json

import pytest
from lambda_harness import ACCOUNT, create_params

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
BUCKET_ARN = "arn:aws:s3:::photo-inbox"
OWNER = "123456789012"


def s3_permission(sid: str = "s3invoke", **extra) -> dict:
    return {
        "FunctionName": "fn",
        "StatementId": sid,
        "Action": "lambda:InvokeFunction",
        "Principal": "s3.amazonaws.com",
        **extra,
    }


@pytest.fixture
def fn(lam):
    lam("create_function", create_params())
    return lam


def test_add_permission_returns_the_statement_as_aws_writes_it(fn):
    result = fn("add_permission", s3_permission(SourceArn=BUCKET_ARN, SourceAccount=OWNER))
    assert json.loads(result["Statement"]) == {
        "Sid": "s3invoke",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": ARN,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": OWNER},
            "ArnLike": {"AWS:SourceArn": BUCKET_ARN},
        },
    }


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", "*"),
        (OWNER, {"AWS": f"arn:aws:iam::{OWNER}:root"}),
        (f"arn:aws:iam::{OWNER}:role/caller", {"AWS": f"arn:aws:iam::{OWNER}:role/caller"}),
        ("events.amazonaws.com", {"Service": "events.amazonaws.com"}),
    ],
)
def test_principal_forms(fn, principal, expected):
    statement = json.loads(fn("add_permission", {**s3_permission(), "Principal": principal})["Statement"])
    assert statement["Principal"] == expected


def test_get_policy_lists_statements_in_order(fn):
    fn("add_permission", s3_permission("first"))
    fn("add_permission", s3_permission("second", SourceArn=BUCKET_ARN))
    result = fn("get_policy", {"FunctionName": ARN})
    policy = json.loads(result["Policy"])
    assert (policy["Version"], policy["Id"]) == ("2012-10-17", "default")
    assert [s["Sid"] for s in policy["Statement"]] == ["first", "second"]
    assert result["RevisionId"] == fn("get_function_configuration", {"FunctionName": "fn"})["RevisionId"]


def test_a_policy_change_is_a_new_revision_but_not_a_new_worker_revision(fn):
    before = fn("get_function_configuration", {"FunctionName": "fn"})["RevisionId"]
    spec_before = fn.service.function_spec("fn")
    fn("add_permission", s3_permission())
    assert fn("get_function_configuration", {"FunctionName": "fn"})["RevisionId"] != before
    assert fn.service.function_spec("fn").revision_key == spec_before.revision_key


def test_duplicate_statement_ids_conflict(fn):
    fn("add_permission", s3_permission())
    err = fn.error("add_permission", s3_permission())
    assert (err.code, err.status) == ("ResourceConflictException", 409)
    assert err.message == (
        "The statement id (s3invoke) provided already exists. Please provide a new statement id,"
        " or remove the existing statement."
    )


def test_add_permission_errors(fn):
    err = fn.error("add_permission", {**s3_permission(), "Principal": "not a principal"})
    assert err.message == "The provided principal was invalid. Please check the principal and try again."
    err = fn.error("add_permission", s3_permission("bad id!"))
    assert err.code == "ValidationException" and "at 'statementId'" in err.message
    err = fn.error("add_permission", {**s3_permission(), "Action": "s3:GetObject"})
    assert err.code == "ValidationException" and "at 'action'" in err.message
    err = fn.error("add_permission", {**s3_permission(), "Qualifier": "$LATEST"})
    assert err.message == "We currently do not support adding policies for $LATEST."
    err = fn.error("add_permission", {**s3_permission(), "FunctionName": "nope"})
    assert err.code == "ResourceNotFoundException"
    err = fn.error("add_permission", {**s3_permission(), "RevisionId": "stale"})
    assert err.code == "PreconditionFailedException"


def test_get_policy_errors(fn):
    err = fn.error("get_policy", {"FunctionName": "fn"})
    assert (err.code, err.message) == (
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
    )
    err = fn.error("get_policy", {"FunctionName": "nope"})
    assert err.message == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"


def test_remove_permission(fn):
    fn("add_permission", s3_permission("a"))
    fn("add_permission", s3_permission("b"))
    assert fn("remove_permission", {"FunctionName": "fn", "StatementId": "a"}) == {}
    policy = json.loads(fn("get_policy", {"FunctionName": "fn"})["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["b"]
    err = fn.error("remove_permission", {"FunctionName": "fn", "StatementId": "a"})
    assert (err.code, err.message) == (
        "ResourceNotFoundException",
        "Statement a is not found in resource policy.",
    )
    fn("remove_permission", {"FunctionName": "fn", "StatementId": "b"})
    err = fn.error("remove_permission", {"FunctionName": "fn", "StatementId": "b"})
    assert err.message == "No policy is associated with the given resource."
    err = fn.error("remove_permission", {"FunctionName": "nope", "StatementId": "b"})
    assert err.message == f"No policy found for: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"


# -- function_permits ------------------------------------------------------------------------


def test_no_policy_permits_nothing(fn):
    assert not fn.service.function_permits(ARN, BUCKET_ARN, OWNER)


def test_an_unconditional_s3_statement_permits_any_bucket(fn):
    fn("add_permission", s3_permission())
    assert fn.service.function_permits(ARN, BUCKET_ARN, OWNER)
    assert fn.service.function_permits(f"{ARN}:$LATEST", "arn:aws:s3:::other", OWNER)


def test_source_arn_and_account_conditions_are_evaluated(fn):
    fn("add_permission", s3_permission(SourceArn="arn:aws:s3:::photo-*", SourceAccount=OWNER))
    assert fn.service.function_permits(ARN, BUCKET_ARN, OWNER)
    assert not fn.service.function_permits(ARN, "arn:aws:s3:::videos", OWNER)
    assert not fn.service.function_permits(ARN, BUCKET_ARN, "999999999999")


def test_other_principals_and_actions_do_not_permit_s3(fn):
    fn("add_permission", {**s3_permission("events"), "Principal": "events.amazonaws.com"})
    fn("add_permission", {**s3_permission("get"), "Action": "lambda:GetFunction"})
    assert not fn.service.function_permits(ARN, BUCKET_ARN, OWNER)
    fn("add_permission", {**s3_permission("any"), "Principal": "*", "Action": "lambda:*"})
    assert fn.service.function_permits(ARN, BUCKET_ARN, OWNER)


def test_unknown_or_unqualifiable_functions_permit_nothing(fn):
    fn("add_permission", s3_permission())
    assert not fn.service.function_permits(f"{ARN}:7", BUCKET_ARN, OWNER)
    assert not fn.service.function_permits(
        "arn:aws:lambda:us-east-1:000000000000:function:nope", BUCKET_ARN, OWNER
    )
    assert not fn.service.function_permits("not an arn", BUCKET_ARN, OWNER)
    fn("delete_function", {"FunctionName": "fn"})
    assert not fn.service.function_permits(ARN, BUCKET_ARN, OWNER)
