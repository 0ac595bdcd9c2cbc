"""The errors the protocol layer itself raises, worded as AWS words them.

Services raise their own AWSErrors; these are the ones a request earns before any service
sees it: unparsable bodies, unknown operations, failed integrity checks.
"""

from __future__ import annotations

from tidal.errors import AWSError

# Codes Coral (the framework behind DynamoDB, Kinesis, Lambda ...) raises itself. In JSON
# 1.0 error bodies of services with Coral namespaces they carry Coral's namespace rather
# than the service's: `com.amazon.coral.service#SerializationException`.
CORAL_VALIDATE_CODES = frozenset({"ValidationException"})
CORAL_SERVICE_CODES = frozenset(
    {
        "SerializationException",
        "UnknownOperationException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
        "AccessDeniedException",
        "ThrottlingException",
        "RequestExpired",
        "InternalFailure",
        "ServiceUnavailableException",
        "MalformedQueryString",
        "InvalidAction",
        "MissingAction",
        "OptInRequired",
        "InvalidClientTokenId",
        "NotAuthorized",
    }
)

MALFORMED_XML_MESSAGE = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)


def serialization_error(message: str = "") -> AWSError:
    # Coral sends no message for a body that is not JSON at all (observed by dynalite
    # against live DynamoDB); type mismatches get one ("Start of list found where not expected").
    return AWSError("SerializationException", message, 400)


def unknown_operation_json() -> AWSError:
    # Live DynamoDB answers a missing or unknown X-Amz-Target with 400 and this code, no message.
    return AWSError("UnknownOperationException", "", 400)


def unknown_operation_rest(method: str, path: str) -> AWSError:
    # A rest-json service (Lambda) answers a path it has no route for with 404.
    return AWSError("UnknownOperationException", f"Unknown operation {method} {path}", 404)


def validation_error(messages: list[str]) -> AWSError:
    count = len(messages)
    noun = "error" if count == 1 else "errors"
    return AWSError("ValidationException", f"{count} validation {noun} detected: " + "; ".join(messages), 400)


def malformed_xml() -> AWSError:
    return AWSError("MalformedXML", MALFORMED_XML_MESSAGE, 400)


def method_not_allowed(method: str, resource_type: str) -> AWSError:
    return AWSError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        fields={"Method": method, "ResourceType": resource_type},
    )


def invalid_digest(content_md5: str) -> AWSError:
    return AWSError(
        "InvalidDigest",
        "The Content-MD5 you specified was invalid.",
        400,
        fields={"Content-MD5": content_md5},
    )


def bad_md5_digest(expected: str, calculated: str) -> AWSError:
    return AWSError(
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        400,
        fields={"ExpectedDigest": expected, "CalculatedDigest": calculated},
    )


def bad_checksum_digest(display_name: str) -> AWSError:
    return AWSError(
        "BadDigest", f"The {display_name} you specified did not match the calculated checksum.", 400
    )


def multiple_checksum_headers() -> AWSError:
    message = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
    return AWSError("InvalidRequest", message, 400)


def invalid_checksum_header(header: str) -> AWSError:
    return AWSError("InvalidRequest", f"Value for {header} header is invalid.", 400)


def incomplete_body(expected: int | None = None, provided: int | None = None) -> AWSError:
    if expected is None:
        return AWSError("IncompleteBody", "The request body terminated unexpectedly", 400)
    return AWSError(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
        400,
        fields={"NumberBytesExpected": expected, "NumberBytesProvided": provided},
    )


def json_error_type(code: str, namespace: str | None, coral_namespaces: bool) -> str:
    """The ``__type`` of a JSON 1.0/1.1 error body."""
    if coral_namespaces:
        if code in CORAL_VALIDATE_CODES:
            return "com.amazon.coral.validate#" + code
        if code in CORAL_SERVICE_CODES:
            return "com.amazon.coral.service#" + code
    if namespace:
        return f"{namespace}#{code}"
    return code
