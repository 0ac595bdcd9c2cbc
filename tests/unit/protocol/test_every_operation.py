"""Every operation of every supported service: botocore's serializer -> tidal -> same params,
and tidal's serializer -> botocore's parser -> same result.

Example values fill every member, so this exercises each location, type and XML name the
models use. Validation (constraints, enums, XML schemas) and checksum verification are off here (example strings do not
match model patterns); other tests cover those.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence
from shape_examples import example

from tidal.protocol import protocol_for
from tidal.protocol.json_rpc import JsonRpcProtocol
from tidal.protocol.models import load_service_model, traits_for
from tidal.protocol.rest_json import RestJsonProtocol
from tidal.protocol.rest_xml import RestXmlProtocol
from tidal.types import HttpRequest

SERVICES = ["s3", "dynamodb", "lambda", "dynamodbstreams", "kinesis", "sqs", "firehose"]
CLASSES = {"json": JsonRpcProtocol, "rest-json": RestJsonProtocol, "rest-xml": RestXmlProtocol}

# Operations that share their whole wire form with another one; tidal picks the other.
ROUTED_ELSEWHERE = {
    ("s3", "GetBucketLifecycle"): "GetBucketLifecycleConfiguration",  # deprecated twin
    ("s3", "PutBucketLifecycle"): "PutBucketLifecycleConfiguration",
    ("s3", "GetBucketNotification"): "GetBucketNotificationConfiguration",
    ("s3", "PutBucketNotification"): "PutBucketNotificationConfiguration",
    ("s3", "ListDirectoryBuckets"): "ListBuckets",  # S3 Express answers it on another host
}


def _lenient(service: str):
    model = load_service_model(service)
    traits = replace(
        traits_for(service), validate_input=False, verify_checksums=False, opaque_shapes=frozenset(),
        enum_error=None, xml_schema=False,
    )
    return CLASSES[model.protocol](model, traits)


_PROTOCOLS: dict[str, Any] = {}


def lenient_protocol(service: str):
    if service not in _PROTOCOLS:
        _PROTOCOLS[service] = _lenient(service)
    return _PROTOCOLS[service]


def _cases():
    for service in SERVICES:
        model = load_service_model(service)
        for name in model.operation_names:
            yield pytest.param(service, name, id=f"{service}.{name}")


def to_request(serialized: dict[str, Any]) -> HttpRequest:
    path, _, query = serialized["url_path"].partition("?")
    extra = percent_encode_sequence(serialized["query_string"]) if serialized["query_string"] else ""
    query = "&".join(part for part in (query, extra) if part)
    headers = {k.lower(): str(v) for k, v in serialized["headers"].items()}
    body = serialized["body"]
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(serialized["method"], path, query, headers, bytes(body or b""))


def _has_event_stream(shape) -> bool:
    return shape is not None and any(m.serialization.get("eventstream") for m in shape.members.values())


@pytest.mark.parametrize(("service", "name"), list(_cases()))
def test_request_round_trip(service: str, name: str) -> None:
    protocol = lenient_protocol(service)
    operation_model = protocol.model.operation_model(name)
    params = example(operation_model.input_shape) if operation_model.input_shape is not None else {}
    serializer = create_serializer(protocol.model.protocol, include_validation=False)
    request = to_request(serializer.serialize_to_request(params, operation_model))
    op = protocol.resolve(request)
    assert op.name == ROUTED_ELSEWHERE.get((service, name), name)
    if op.name != name:
        return
    parsed = protocol.parse(op, request)
    payload = (
        operation_model.input_shape.serialization.get("payload") if operation_model.input_shape else None
    )
    if payload and params.get(payload) is None and parsed.get(payload) == b"":
        parsed.pop(payload)
    assert parsed == params


@pytest.mark.parametrize(("service", "name"), list(_cases()))
def test_response_round_trip(service: str, name: str) -> None:
    protocol = lenient_protocol(service)
    operation_model = protocol.model.operation_model(name)
    output = operation_model.output_shape
    if output is None or _has_event_stream(output) or (service, name) == ("s3", "GetBucketLocation"):
        pytest.skip("no output, an event stream, or parsed by a botocore handler (tested elsewhere)")
    if (service, name) in ROUTED_ELSEWHERE:
        pytest.skip("never served: requests route to its twin")
    result = example(output)
    response = protocol.serialize(protocol.operation(name), result, "req-1")
    payload = output.serialization.get("payload")
    expected = dict(result)
    if payload and output.members[payload].type_name in ("blob", "string"):
        value = expected.pop(payload)
        assert response.body == (value.encode() if isinstance(value, str) else value)
        response_body = b""
    else:
        response_body = response.body
    parser = create_parser(protocol.model.protocol)
    parsed = parser.parse(
        {"status_code": response.status, "headers": HeadersDict(response.headers), "body": response_body},
        output,
    )
    parsed.pop("ResponseMetadata", None)
    if payload and output.members[payload].type_name in ("blob", "string"):
        parsed.pop(payload, None)
    assert parsed == expected


def test_the_public_factory_caches() -> None:
    assert protocol_for("s3") is protocol_for("s3")
