"""An AWS error in any wire protocol, without the service's model.

For requests to services tidal does not serve (and requests too malformed to tell which
service they are for): the answer must still be an error the caller's SDK parses, in the
shape of the protocol the request used. botocore's parsers read the code and message from:

- json: ``{"__type": code, "message": ...}`` (``__type`` may carry a ``namespace#``);
- rest-json: the ``X-Amzn-ErrorType`` header and ``{"message": ...}``;
- rest-xml: ``<Error><Code/><Message/><RequestId/></Error>`` (S3's form; botocore reads it for
  every rest-xml service);
- query (STS, SNS, IAM ...): ``<ErrorResponse><Error><Type/><Code/><Message/></Error>
  <RequestId/></ErrorResponse>``;
- smithy-rpc-v2-cbor (CloudWatch in current SDKs): a CBOR map ``{"__type", "message"}`` with
  ``smithy-protocol: rpc-v2-cbor``.
"""

from __future__ import annotations

from tidal.errors import AWSError
from tidal.protocol.base import dump_json
from tidal.protocol.xml_codec import escape_text
from tidal.types import HttpResponse


def bare_error_response(protocol: str, err: AWSError, request_id: str, *, json_version: str = "1.0") -> HttpResponse:
    """``err`` as ``protocol`` ("json", "rest-json", "rest-xml", "query", "ec2",
    "smithy-rpc-v2-cbor") renders it."""
    request_id_header = ("x-amzn-RequestId", request_id)
    if protocol == "json":
        document = {"__type": err.code, "message": err.message}
        content_type = f"application/x-amz-json-{json_version}"
        return _response(err, [("Content-Type", content_type), request_id_header], dump_json(document))
    if protocol == "rest-json":
        headers = [("Content-Type", "application/json"), request_id_header, ("X-Amzn-ErrorType", err.code)]
        return _response(err, headers, dump_json({"message": err.message}))
    if protocol == "smithy-rpc-v2-cbor":
        body = cbor_text_map({"__type": err.code, "message": err.message})
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), request_id_header]
        return _response(err, headers, body)
    code, message = escape_text(err.code), escape_text(err.message)
    if protocol in ("query", "ec2"):
        fault = "Sender" if err.sender_fault else "Receiver"
        xml = (
            f"<ErrorResponse><Error><Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{escape_text(request_id)}</RequestId></ErrorResponse>"
        )
        return _response(err, [("Content-Type", "text/xml"), request_id_header], xml.encode())
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{escape_text(request_id)}</RequestId></Error>"
    )
    headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    return _response(err, headers, xml.encode())


def _response(err: AWSError, headers: list[tuple[str, str]], body: bytes) -> HttpResponse:
    headers.extend(err.headers.items())
    return HttpResponse(err.status, headers, body)


def cbor_text_map(items: dict[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949): all an error body needs."""
    out = bytearray(_cbor_head(5, len(items)))
    for key, value in items.items():
        for text in (key, value):
            raw = text.encode("utf-8")
            out += _cbor_head(3, len(raw))
            out += raw
    return bytes(out)


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    raise ValueError("too long for CBOR")
