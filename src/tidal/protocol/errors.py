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


def missing_content_length() -> AWSError:
    # S3's answer to an x-amz-decoded-content-length that is not a length (versitygw#1656).
    return AWSError("MissingContentLength", "You must provide the Content-Length HTTP header.", 411)


def malformed_trailer() -> AWSError:
    # A declared trailer that never arrives, another one, or one never declared (raw AWS
    # answers quoted in versitygw#1600, #1626 and scality/Arsenal#2596).
    return AWSError(
        "MalformedTrailerError",
        "The request contained trailing data that was not well-formed or did not conform to our"
        " published schema.",
        400,
    )


def unsupported_trailer() -> AWSError:
    return AWSError("InvalidRequest", "The value specified in the x-amz-trailer header is not supported", 400)


STREAMING_PAYLOADS = (
    "UNSIGNED-PAYLOAD",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
)


def invalid_content_sha256(value: str) -> AWSError:
    # Worded as recorded against S3 (versitygw#1352).
    return AWSError(
        "InvalidArgument",
        "x-amz-content-sha256 must be " + ", ".join(STREAMING_PAYLOADS[:-1])
        + f" or {STREAMING_PAYLOADS[-1]} or a valid sha256 value.",
        400,
        fields={"ArgumentName": "x-amz-content-sha256", "ArgumentValue": value},
    )


def content_sha256_mismatch(claimed: str, computed: str) -> AWSError:
    return AWSError(
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400,
        fields={"ClientComputedContentSHA256": claimed, "S3ComputedContentSHA256": computed},
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


# S3 headers whose enum S3 does not enforce, or whose value the S3 service checks itself
# (with messages that depend on other headers: object lock, checksums).
_S3_UNCHECKED_ENUMS = frozenset({
    "x-amz-request-payer",  # any value is taken (no recording of an error anywhere)
    "x-amz-checksum-mode",
    "x-amz-checksum-algorithm",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-checksum-type",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-legal-hold",
})


def s3_enum_error(name: str, value: str) -> AWSError | None:
    """S3's answer to a header or query value outside its modelled enum (None: taken as is).

    Worded as recorded against S3 by LocalStack's snapshot tests (storage class, object
    ownership, encoding type, canned ACL: InvalidArgument with an empty message) and in raw S3
    answers quoted by SDK issues (server-side encryption)."""
    if name in _S3_UNCHECKED_ENUMS:
        return None
    if name == "x-amz-storage-class":
        return AWSError(
            "InvalidStorageClass", "The storage class you specified is not valid", 400,
            fields={"StorageClassRequested": value},
        )
    if name == "x-amz-server-side-encryption":
        message = "The encryption method specified is not supported"
    elif name == "x-amz-object-ownership":
        return AWSError(
            "InvalidArgument", f"Invalid x-amz-object-ownership header: {value}", 400, fields={"ArgumentName": name}
        )
    elif name == "encoding-type":
        return AWSError(
            "InvalidArgument", "Invalid Encoding Method specified in Request", 400, fields={"ArgumentName": name}
        )
    else:
        message = ""
    return AWSError("InvalidArgument", message, 400, fields={"ArgumentName": name, "ArgumentValue": value})
