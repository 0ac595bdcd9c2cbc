"""The Lambda errors tidal raises, with AWS's codes, messages and statuses.

Lambda's modelled errors carry a ``Type`` member that AWS fills with ``"User"`` for client
mistakes (``{"Type": "User", "message": "..."}`` on the wire), so these set it as a field.
Messages are AWS's wording, taken from responses recorded against AWS (LocalStack's
snapshot tests, SDK issue threads quoting live errors) where the API reference is silent.
"""

from __future__ import annotations

from tidal.errors import AWSError

_USER = {"Type": "User"}


def invalid_parameter(message: str) -> AWSError:
    return AWSError("InvalidParameterValueException", message, 400, fields=dict(_USER))


def resource_not_found(message: str) -> AWSError:
    return AWSError("ResourceNotFoundException", message, 404, fields=dict(_USER))


def function_not_found(arn: str) -> AWSError:
    return resource_not_found(f"Function not found: {arn}")


def resource_conflict(message: str) -> AWSError:
    return AWSError("ResourceConflictException", message, 409, fields=dict(_USER))


def precondition_failed(api: str = "GetFunction/GetAlias") -> AWSError:
    return AWSError(
        "PreconditionFailedException",
        f"The Revision Id provided does not match the latest Revision Id. Call the {api} API"
        " to retrieve the latest Revision Id",
        412,
        fields=dict(_USER),
    )


def validation(messages: list[str]) -> AWSError:
    """AWS's front-door constraint failure: ``N validation error(s) detected: a; b``."""
    count = len(messages)
    noun = "error" if count == 1 else "errors"
    return AWSError("ValidationException", f"{count} validation {noun} detected: " + "; ".join(messages), 400)


def request_entity_too_large(message: str) -> AWSError:
    # The model names RequestTooLargeException, but live Lambda answers oversized payloads
    # with RequestEntityTooLargeException (aws/aws-sdk-go#3080, aws/aws-sdk#45), so that is
    # the code clients actually match on.
    return AWSError("RequestEntityTooLargeException", message, 413)


def invalid_request_content(message: str) -> AWSError:
    return AWSError("InvalidRequestContentException", message, 400, fields=dict(_USER))


class ValidationErrors:
    """Collects constraint failures so one ValidationException names them all, as AWS does."""

    __slots__ = ("messages",)

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, value: object, member: str, constraint: str) -> None:
        self.messages.append(f"Value '{value}' at '{member}' failed to satisfy constraint: {constraint}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise validation(self.messages)
