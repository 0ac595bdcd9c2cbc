"""Resource-based policy statements (AddPermission) and whether one lets a caller invoke.

AddPermission turns its parameters into one IAM statement; GetPolicy returns the statements
as a policy document. Statement shape, principal forms and condition keys are AWS's
(LocalStack's AWS-validated snapshots):

    {"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
     "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:...:function:f",
     "Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"},
                   "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}}}
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import orjson

from tidal.services.lambda_.errors import ValidationErrors, invalid_parameter

STATEMENT_ID_PATTERN = r"([a-zA-Z0-9-_]+)"
ACTION_PATTERN = r"(lambda:[*]|lambda:[a-zA-Z]+|[*])"
SOURCE_ARN_PATTERN = (
    r"arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?"
    r":(\d{12})?:(.*)"
)

_STATEMENT_ID = re.compile(r"[a-zA-Z0-9\-_]+")
_ACTION = re.compile(ACTION_PATTERN)
_SOURCE_ARN = re.compile(SOURCE_ARN_PATTERN)
_ACCOUNT = re.compile(r"\d{12}")
_INVOKE_ACTIONS = frozenset({"lambda:InvokeFunction", "lambda:*", "*"})


def build_statement(function_arn: str, params: dict[str, Any]) -> dict[str, Any]:
    """The statement AddPermission adds, after AWS's checks of its parameters."""
    errors = ValidationErrors()
    sid = params.get("StatementId")
    if not isinstance(sid, str) or not (1 <= len(sid) <= 100) or not _STATEMENT_ID.fullmatch(sid):
        errors.add(
            sid, "statementId", f"Member must satisfy regular expression pattern: {STATEMENT_ID_PATTERN}"
        )
    action = params.get("Action")
    if not isinstance(action, str) or not _ACTION.fullmatch(action):
        errors.add(action, "action", f"Member must satisfy regular expression pattern: {ACTION_PATTERN}")
    source_arn = params.get("SourceArn")
    if source_arn is not None and (not isinstance(source_arn, str) or not _SOURCE_ARN.fullmatch(source_arn)):
        errors.add(
            source_arn, "sourceArn", f"Member must satisfy regular expression pattern: {SOURCE_ARN_PATTERN}"
        )
    source_account = params.get("SourceAccount")
    if source_account is not None and (
        not isinstance(source_account, str) or not _ACCOUNT.fullmatch(source_account)
    ):
        errors.add(source_account, "sourceAccount", r"Member must satisfy regular expression pattern: \d{12}")
    errors.raise_if_any()

    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": _principal(params.get("Principal")),
        "Action": action,
        "Resource": function_arn,
    }
    condition: dict[str, dict[str, str]] = {}
    equals: dict[str, str] = {}
    if params.get("FunctionUrlAuthType"):
        equals["lambda:FunctionUrlAuthType"] = params["FunctionUrlAuthType"]
    if params.get("PrincipalOrgID"):
        equals["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if source_account:
        equals["AWS:SourceAccount"] = source_account
    if params.get("EventSourceToken"):
        equals["lambda:EventSourceToken"] = params["EventSourceToken"]
    if equals:
        condition["StringEquals"] = equals
    if source_arn:
        condition["ArnLike"] = {"AWS:SourceArn": source_arn}
    if condition:
        statement["Condition"] = condition
    return statement


def _principal(principal: object) -> str | dict[str, str]:
    if not isinstance(principal, str) or not principal:
        raise invalid_parameter(
            "The provided principal was invalid. Please check the principal and try again."
        )
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:aws:iam:"):
        return {"AWS": principal}
    if re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?", principal):
        return {"Service": principal}
    raise invalid_parameter("The provided principal was invalid. Please check the principal and try again.")


def policy_document(statements: list[dict[str, Any]]) -> str:
    """GetPolicy's ``Policy``: the statements as one policy document, as a JSON string."""
    return orjson.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements}).decode()


def statement_json(statement: dict[str, Any]) -> str:
    return orjson.dumps(statement).decode()


def allows_service_invoke(
    statement: dict[str, Any], service: str, source_arn: str, source_account: str
) -> bool:
    """Does ``statement`` let ``service`` (e.g. ``s3.amazonaws.com``) invoke the function on
    behalf of ``source_arn`` owned by ``source_account``?

    Conditions are evaluated as IAM does for the keys AddPermission writes; a statement with
    a condition key tidal cannot evaluate for a service call (an organization id, an event
    source token, a function URL auth type) does not match, which is the safe reading.
    """
    if statement.get("Effect") != "Allow":
        return False
    actions = statement.get("Action")
    actions = actions if isinstance(actions, list) else [actions]
    if not any(a in _INVOKE_ACTIONS for a in actions):
        return False
    if not _principal_matches(statement.get("Principal"), service):
        return False
    for operator, entries in (statement.get("Condition") or {}).items():
        for key, expected in entries.items():
            if not _condition_holds(operator, key.lower(), expected, source_arn, source_account):
                return False
    return True


def _principal_matches(principal: object, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        services = principal.get("Service")
        if isinstance(services, str):
            return services == service
        if isinstance(services, list):
            return service in services
        return principal.get("AWS") == "*"
    return False


def _condition_holds(operator: str, key: str, expected: object, source_arn: str, source_account: str) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    if key == "aws:sourcearn":
        if operator in ("ArnLike", "StringLike"):
            return any(_arn_like(str(v), source_arn) for v in values)
        if operator in ("ArnEquals", "StringEquals"):
            return source_arn in values
        return False
    if key == "aws:sourceaccount":
        if operator == "StringEquals":
            return source_account in values
        if operator == "StringLike":
            return any(fnmatch.fnmatchcase(source_account, str(v)) for v in values)
        return False
    return False


def _arn_like(pattern: str, arn: str) -> bool:
    """IAM's ArnLike: ``*`` and ``?`` wildcards, compared case-sensitively per ARN part."""
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != len(arn_parts):
        return False
    return all(fnmatch.fnmatchcase(a, _glob(p)) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _glob(pattern: str) -> str:
    # fnmatch also treats [...] as a character class; IAM does not, so escape brackets.
    return pattern.replace("[", "[[]")
