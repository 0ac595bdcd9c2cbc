"""Wire formats of the AWS APIs tidal serves, driven by botocore's service models.

``protocol_for("s3")`` gives the service's ServiceProtocol: ``resolve`` a request to an
Operation, ``parse`` it into boto3-style params, ``serialize`` a service's result (or
``serialize_error`` an AWSError) into an HttpResponse. Nothing here knows storage or what
an operation means.
"""

from __future__ import annotations

from functools import cache

from tidal.protocol.aws_chunked import decode_aws_chunked, plain_body, verify_integrity
from tidal.protocol.base import ServiceProtocol
from tidal.protocol.checksums import b64_checksum
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
    "b64_checksum",
    "decode_aws_chunked",
    "plain_body",
    "protocol_for",
    "rewrite_virtual_host",
    "verify_integrity",
    "virtual_host_bucket",
]
