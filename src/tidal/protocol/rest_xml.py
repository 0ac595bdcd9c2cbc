"""rest-xml (S3): REST routes, members in labels/query/headers, XML or raw payload bodies.

Errors are S3's ``<Error><Code/><Message/>...<RequestId/><HostId/></Error>`` documents with
``x-amz-request-id`` / ``x-amz-id-2`` headers; errors of HEAD requests have no body.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, ServiceModel

from tidal.errors import AWSError
from tidal.protocol import errors as protocol_errors
from tidal.protocol.aws_chunked import plain_body
from tidal.protocol.models import Operation, WireTraits
from tidal.protocol.rest_base import RestProtocol
from tidal.protocol.rest_bindings import STREAMING_TYPES, RestInputPlan, RestOutputPlan, bind_response
from tidal.protocol.uri_routing import Route
from tidal.protocol.validation import Validator, ValidatorBuilder
from tidal.protocol.wire_values import format_text
from tidal.protocol.xml_codec import (
    XmlCodec,
    XmlReader,
    XmlShapeError,
    XmlWriter,
    escape_text,
    local_name,
    parse_document,
)
from tidal.types import HttpRequest, HttpResponse

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(slots=True)
class RestXmlPlan:
    route: Route
    request: RestInputPlan
    response: RestOutputPlan
    body_root: str | None  # expected root element of an XML request body
    body_reader: XmlReader | None
    body_validator: Validator | None  # the payload's schema: required members, enum values
    body_required: bool
    streaming_input: bool
    response_root: str | None
    response_writer: XmlWriter | None
    streaming_output: bool
    scalar_root: tuple[str, str] | None  # (member, type): GetBucketLocation's bare root
    head: bool
    # Whether x-amz-checksum-* headers are the body's checksum: not where the model binds them
    # to members without declaring a request checksum (CompleteMultipartUpload: the object's).
    body_checksums: bool


def service_namespace(service_model: ServiceModel) -> str:
    """The XML namespace the service's documents use (S3: http://s3.amazonaws.com/doc/2006-03-01/)."""
    for name in service_model.operation_names:
        shape = service_model.operation_model(name).input_shape
        payload = shape.serialization.get("payload") if shape is not None else None
        if payload:
            namespace = shape.members[payload].serialization.get("xmlNamespace")  # type: ignore[union-attr]
            if isinstance(namespace, dict) and namespace.get("uri"):
                return namespace["uri"]
    return service_model.metadata.get("xmlNamespace", "")


class RestXmlProtocol(RestProtocol):
    protocol_name = "rest-xml"

    def __init__(self, service_model: ServiceModel, traits: WireTraits) -> None:
        self._xml = XmlCodec()
        self._schema = (
            ValidatorBuilder(schema_only=True, unchecked_enums=traits.service_checked_enums)
            if traits.xml_schema else None
        )
        uri = service_namespace(service_model)
        self._namespace_attribute = f' xmlns="{uri}"' if uri else ""
        super().__init__(service_model, traits)

    def _make_plan(
        self, model: OperationModel, route: Route, request: RestInputPlan, response: RestOutputPlan
    ) -> RestXmlPlan:
        body_root = body_reader = body_validator = None
        streaming_input = False
        body_required = False
        if request.payload_shape is not None:
            if request.payload_shape.type_name in STREAMING_TYPES:
                streaming_input = True
            else:
                body_root = request.payload_shape.serialization.get("name", request.payload)
                body_reader = self._xml.reader(request.payload_shape)
                if self._schema is not None:
                    body_validator = self._schema.validator(request.payload_shape)
                body_required = request.payload in model.input_shape.required_members
        elif request.body_members:
            # No payload member: the body members form the root (SelectObjectContentRequest).
            body_root = model.input_shape.serialization.get("name", model.input_shape.name)
            body_reader = self._xml.structure_reader(model.input_shape, request.body_members)
            body_required = bool(set(request.body_members) & set(model.input_shape.required_members))
        response_root = response_writer = scalar_root = None
        streaming_output = False
        output_shape = model.output_shape
        if response.payload_shape is not None:
            if response.payload_shape.type_name in STREAMING_TYPES:
                streaming_output = True
            else:
                response_root = response.payload_shape.serialization.get("name", response.payload)
                response_writer = self._xml.structure_writer(
                    response.payload_shape, namespace=self._namespace_attribute
                )
        elif response.body_members and output_shape is not None:
            response_root = self.traits.xml_root_names.get(model.name) or output_shape.serialization.get(
                "name", output_shape.name
            )
            if response.body_members == [response_root]:
                # GetBucketLocation: the root element is the member itself.
                scalar_root = (response_root, output_shape.members[response_root].type_name)
            else:
                response_writer = self._xml.structure_writer(
                    output_shape, namespace=self._namespace_attribute, members=response.body_members
                )
        return RestXmlPlan(
            route,
            request,
            response,
            body_root,
            body_reader,
            body_validator,
            body_required,
            streaming_input,
            response_root,
            response_writer,
            streaming_output,
            scalar_root,
            model.http.get("method") == "HEAD",
            bool(model.http_checksum) or "x-amz-checksum-crc32" not in request.headers,
        )

    def _no_route(self, req: HttpRequest) -> AWSError:
        # S3 answers a method it has no operation for on a resource with 405.
        resource = "SERVICE" if req.path in ("", "/") else "BUCKET" if req.path.count("/") <= 1 else "OBJECT"
        return protocol_errors.method_not_allowed(req.method, resource)

    def parse(self, op: Operation, req: HttpRequest) -> dict[str, Any]:
        plan: RestXmlPlan = op.plan
        headers, body = req.headers, req.body
        if self.traits.verify_checksums:
            headers, body = plain_body(headers, body, plan.body_checksums)
        params = self._bind(op, req, headers)
        payload = plan.request.payload
        if plan.streaming_input:
            is_text = plan.request.payload_shape.type_name == "string"  # type: ignore[union-attr]
            params[payload] = body.decode("utf-8", "replace") if is_text else body  # type: ignore[index]
        elif plan.body_reader is not None:
            if body and not body.isspace():
                try:
                    root = parse_document(body)
                    if local_name(root.tag) != plan.body_root:
                        raise XmlShapeError(f"unexpected root element {root.tag}")
                    values = plan.body_reader(root)
                except (XmlShapeError, RecursionError):
                    raise protocol_errors.malformed_xml() from None
                problems: list[str] = []
                if plan.body_validator is not None:
                    plan.body_validator(values, "", problems)
                if problems:  # "did not validate against our published schema"
                    raise protocol_errors.malformed_xml()
                if payload is not None:
                    params[payload] = values
                else:
                    values.update(params)
                    params = values
            elif plan.body_required:
                raise protocol_errors.malformed_xml()
        return params

    def serialize(self, op: Operation, result: dict[str, Any], request_id: str) -> HttpResponse:
        plan: RestXmlPlan = op.plan
        status, headers, rest = bind_response(plan.response, result or {})
        body = b""
        if plan.streaming_output:
            value = rest.get(plan.response.payload)  # type: ignore[arg-type]
            if value is not None:
                body = value.encode() if isinstance(value, str) else bytes(value)
        elif plan.response_writer is not None:
            value = rest if plan.response.payload is None else rest.get(plan.response.payload)
            if value is not None:
                parts = [XML_DECLARATION]
                plan.response_writer(parts, value, plan.response_root)  # type: ignore[arg-type]
                body = "".join(parts).encode()
        elif plan.scalar_root is not None:
            member, kind = plan.scalar_root
            value = rest.get(member)
            text = escape_text(format_text(kind, value, "iso8601")) if value not in (None, "") else ""
            body = f"{XML_DECLARATION}<{member}{self._namespace_attribute}>{text}</{member}>".encode()
        if body and not plan.streaming_output:
            headers.append(("Content-Type", "application/xml"))
        headers.append(("x-amz-request-id", request_id))
        headers.append(("x-amz-id-2", host_id(request_id)))
        return HttpResponse(status, headers, body)

    def serialize_error(self, err: AWSError, request_id: str, op: Operation | None = None) -> HttpResponse:
        headers = [("x-amz-request-id", request_id), ("x-amz-id-2", host_id(request_id))]
        headers.extend(err.headers.items())
        if op is not None and op.plan.head:
            return HttpResponse(err.status, headers, b"")  # HEAD responses carry no body
        parts = [XML_DECLARATION, "<Error><Code>", escape_text(err.code), "</Code><Message>"]
        parts.append(escape_text(err.message))
        parts.append("</Message>")
        for name, value in err.fields.items():
            if value is None:
                continue
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            parts.append(f"<{name}>{escape_text(text)}</{name}>")
        parts.append(f"<RequestId>{escape_text(request_id)}</RequestId>")
        parts.append(f"<HostId>{host_id(request_id)}</HostId></Error>")
        headers.append(("Content-Type", "application/xml"))
        return HttpResponse(err.status, headers, "".join(parts).encode())


def host_id(request_id: str) -> str:
    """S3's ``x-amz-id-2``: an opaque base64 token; derived from the request id, so free."""
    return binascii.b2a_base64(request_id.encode(), newline=False).decode("ascii")
