"""Wire formats of the AWS APIs tidal serves, driven by botocore's service models.

``protocol_for("s3")`` gives the service's ServiceProtocol: ``resolve`` a request to an
Operation, ``parse`` it into boto3-style params, ``serialize`` a service's result (or
``serialize_error`` an AWSError) into an HttpResponse. Nothing here knows storage or what
an operation means.

Params are keyed by the input shape's member names, as boto3 takes them: blobs as bytes,
timestamps as aware UTC datetimes, S3 ``Bucket``/``Key`` decoded from the URI and the
payload (``Body``, Lambda's ``Payload``) as bytes, even when empty. Exceptions, kept in
wire form: DynamoDB AttributeValues (``{"B": "<base64>"}`` stays a string). For S3,
``aws-chunked`` bodies arrive decoded, every ``Content-MD5`` / ``x-amz-checksum-*``
(header or trailer) is already verified and the trailer's checksum shows up as the member
(``ChecksumCRC32`` ...); :mod:`tidal.checksums` computes the ones a client did not send.

Results are keyed by the output shape's member names: blobs as bytes, timestamps as
datetimes or epoch numbers, streaming payloads as bytes. Members the model places in
headers or the status code go there (Lambda Invoke's ``StatusCode``); a ``"__status__"``
key overrides the status (S3's 206 for a range GET). A ``ContentLength`` result member
becomes the Content-Length header (HEAD responses), which the HTTP layer must keep.

S3 requests addressed virtual-host style must pass through ``rewrite_virtual_host`` first.
"""

from __future__ import annotations

from functools import cache

from tidal.protocol.aws_chunked import decode_aws_chunked, plain_body, verify_integrity
from tidal.protocol.base import ServiceProtocol
from tidal.protocol.json_rpc import JsonRpcProtocol
from tidal.protocol.models import Operation, load_service_model, traits_for
from tidal.protocol.rest_json import RestJsonProtocol
from tidal.protocol.rest_xml import RestXmlProtocol
from tidal.protocol.virtual_host import rewrite_virtual_host, virtual_host_bucket

_PROTOCOLS: dict[str, type[ServiceProtocol]] = {
    "json": JsonRpcProtocol,
    "rest-json": RestJsonProtocol,
    "rest-xml": RestXmlProtocol,
}


@cache
def protocol_for(service_name: str) -> ServiceProtocol:
    """The (cached) ServiceProtocol of a botocore service name: "s3", "dynamodb", "lambda" ..."""
    model = load_service_model(service_name)
    protocol_class = _PROTOCOLS.get(model.protocol)
    if protocol_class is None:
        raise ValueError(f"{service_name}: protocol {model.protocol!r} is not supported")
    return protocol_class(model, traits_for(service_name))


__all__ = [
    "Operation",
    "ServiceProtocol",
    "decode_aws_chunked",
    "plain_body",
    "protocol_for",
    "rewrite_virtual_host",
    "verify_integrity",
    "virtual_host_bucket",
]
