"""Typed AWS errors: what a service raises and the protocol layer renders as the wire error."""

from __future__ import annotations

from typing import Any


class AWSError(Exception):
    """An error AWS would return: a code, a message and an HTTP status.

    ``fields`` carries the extra members some errors have on the wire (S3's ``BucketName``
    or ``Key``, DynamoDB's ``Item`` on ConditionalCheckFailedException); ``headers`` extra
    response headers.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        sender_fault: bool | None = None,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = status < 500 if sender_fault is None else sender_fault
        self.fields = fields or {}
        self.headers = headers or {}


def validation_error(message: str) -> AWSError:
    return AWSError("ValidationException", message, 400)
