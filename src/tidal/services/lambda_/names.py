"""Function names and ARNs: the forms ``FunctionName`` accepts and the ARNs tidal answers with.

Every operation takes a function as a name (``my-function``), a partial ARN
(``123456789012:function:my-function``) or a full ARN
(``arn:aws:lambda:us-east-1:123456789012:function:my-function``), each optionally followed by
``:<qualifier>``. tidal has no published versions or aliases, so the only qualifier that
names something is ``$LATEST``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tidal.errors import AWSError
from tidal.services.lambda_.errors import (
    ValidationErrors,
    invalid_parameter,
    resource_not_found,
    validation,
)

LATEST = "$LATEST"

# The patterns as botocore's model (and so AWS's own error messages) spell them.
# FunctionName of CreateFunction / UpdateFunctionCode / UpdateFunctionConfiguration: no dots.
FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
# NamespacedFunctionName of every other operation.
NAMESPACED_FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)
# AWS's messages show this form of the qualifier pattern (recorded by LocalStack's tests).
QUALIFIER_PATTERN_TEXT = "(|[a-zA-Z0-9$_-]+)"

# A function's own name: 1-64 characters. The longer limits apply to the ARN forms only.
MAX_NAME_LENGTH = 64

_REF = re.compile(
    r"(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?P<function>function:)?"
    r"(?P<name>[a-zA-Z0-9\-_.]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?"
)
_QUALIFIER = re.compile(r"\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_$]+")


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """What a FunctionName string names; parts it does not give are None."""

    name: str
    qualifier: str | None
    region: str | None
    account: str | None


@dataclass(frozen=True, slots=True)
class ResolvedName:
    """A FunctionName resolved against the request: where to look, and for what."""

    region: str
    account: str
    name: str
    qualifier: str | None

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account, self.name)

    @property
    def requested_arn(self) -> str:
        """The ARN AWS quotes back in errors: qualified when the request was."""
        return function_arn(self.region, self.account, self.name, self.qualifier)


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


@lru_cache(maxsize=4096)
def parse_function_ref(text: str) -> FunctionRef | None:
    """Split a name, partial ARN or full ARN into its parts; None if it is none of them.

    Cached: delivery resolves the same few ARNs for every event it hands over.
    """
    match = _REF.fullmatch(text)
    if match is None:
        return None
    # "arn:...:lambda:" must be followed by a region and an account, and a partial ARN
    # ("<account>:function:<name>") must say "function:"; other mixtures are not ARNs.
    if text.startswith("arn:") and (match["region"] is None or match["account"] is None):
        return None
    if match["account"] is not None and match["function"] is None:
        return None
    return FunctionRef(match["name"], match["qualifier"], match["region"], match["account"])


def validate_qualifier(qualifier: str | None) -> None:
    if qualifier is None:
        return
    if not (1 <= len(qualifier) <= 128) or not _QUALIFIER.fullmatch(qualifier):
        errors = ValidationErrors()
        errors.add(
            qualifier,
            "qualifier",
            f"Member must satisfy regular expression pattern: {QUALIFIER_PATTERN_TEXT}",
        )
        errors.raise_if_any()


def resolve_function_name(
    text: object,
    qualifier: str | None,
    region: str,
    account: str,
    *,
    pattern: str = NAMESPACED_FUNCTION_NAME_PATTERN,
    max_length: int = 256,
) -> ResolvedName:
    """Resolve FunctionName (+ the separate ``Qualifier`` parameter) against the request."""
    if not isinstance(text, str) or not text:
        raise invalid_parameter("FunctionName is required.") if not text else _not_a_name(text, pattern)
    errors = ValidationErrors()
    if len(text) > max_length:
        errors.add(text, "functionName", f"Member must have length less than or equal to {max_length}")
        errors.raise_if_any()
    ref = parse_function_ref(text)
    if ref is None or (pattern is FUNCTION_NAME_PATTERN and "." in ref.name):
        raise _not_a_name(text, pattern)
    validate_qualifier(qualifier)
    if qualifier is not None and ref.qualifier is not None and qualifier != ref.qualifier:
        raise invalid_parameter(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    if ref.region is not None and ref.region != region:
        raise resource_not_found(
            f"Functions from '{ref.region}' are not reachable in this region ('{region}')"
        )
    return ResolvedName(ref.region or region, ref.account or account, ref.name, qualifier or ref.qualifier)


def resolve_new_function_name(text: object, region: str, account: str) -> str:
    """CreateFunction's FunctionName: a name, a partial ARN or an unqualified full ARN."""
    if not isinstance(text, str) or not text:
        raise (
            invalid_parameter("FunctionName is required.")
            if not text
            else _not_a_name(text, FUNCTION_NAME_PATTERN)
        )
    ref = parse_function_ref(text)
    if ref is None or "." in ref.name or ref.qualifier is not None:
        raise _not_a_name(text, FUNCTION_NAME_PATTERN)
    if len(text) > 140:
        errors = ValidationErrors()
        errors.add(text, "functionName", "Member must have length less than or equal to 140")
        errors.raise_if_any()
    if len(ref.name) > MAX_NAME_LENGTH:
        # AWS words this as a validation error but sends it as InvalidParameterValueException
        # (recorded by LocalStack's create-function exception snapshots).
        raise invalid_parameter(
            f"1 validation error detected: Value '{ref.name}' at 'functionName' failed to satisfy"
            f" constraint: Member must have length less than or equal to {MAX_NAME_LENGTH}"
        )
    if ref.region is not None and ref.region != region:
        raise resource_not_found(
            f"Functions from '{ref.region}' are not reachable in this region ('{region}')"
        )
    if ref.account is not None and ref.account != account:
        # tidal serves one account; creating into another is what IAM would refuse.
        raise AWSError(
            "AccessDeniedException",
            f"User: arn:aws:iam::{account}:root is not authorized to perform: lambda:CreateFunction"
            f" on resource: {function_arn(region, ref.account, ref.name)}",
            403,
        )
    return ref.name


def _not_a_name(text: object, pattern: str) -> AWSError:
    return validation(
        [
            f"Value '{text}' at 'functionName' failed to satisfy constraint: Member must satisfy regular"
            f" expression pattern: {pattern}"
        ]
    )
