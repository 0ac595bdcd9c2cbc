"""rest-json (Lambda): REST routes, members in labels/query/headers, JSON or raw payload bodies.

Errors carry their code in ``X-Amzn-ErrorType`` and a body ``{"Type": "User", "Message": ...}``
(the message key spelled as the modelled error shape spells it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel

from tidal.errors import AWSError
from tidal.protocol import errors as protocol_errors
from tidal.protocol.base import dump_json
from tidal.protocol.json_codec import JsonCodec, Reader, WireTypeError, Writer, type_mismatch
from tidal.protocol.models import Operation, WireTraits
from tidal.protocol.rest_base import RestProtocol
from tidal.protocol.rest_bindings import STREAMING_TYPES, RestInputPlan, RestOutputPlan, bind_response
from tidal.protocol.uri_routing import Route
from tidal.protocol.validation import Validator
from tidal.types import HttpRequest, HttpResponse


@dataclass(slots=True)
class RestJsonPlan:
    route: Route
    request: RestInputPlan
    response: RestOutputPlan
    validator: Validator | None
    body_reader: Reader | None  # the JSON body: payload structure, or the body members
    body_writer: Writer | None
    streaming_input: bool
    streaming_output: bool


class RestJsonProtocol(RestProtocol):
    protocol_name = "rest-json"

    def __init__(self, service_model: ServiceModel, traits: WireTraits) -> None:
        self._codec = JsonCodec(traits.opaque_shapes)
        super().__init__(service_model, traits)

    def _make_plan(
        self, model: OperationModel, route: Route, request: RestInputPlan, response: RestOutputPlan
    ) -> RestJsonPlan:
        body_reader: Reader | None = None
        streaming_input = False
        if request.payload_shape is not None:
            if request.payload_shape.type_name in STREAMING_TYPES:
                streaming_input = True
            else:
                body_reader = self._codec.reader(request.payload_shape)
        elif request.body_members:
            body_reader = self._codec.structure_reader(model.input_shape, request.body_members)
        body_writer: Writer | None = None
        streaming_output = False
        if response.payload_shape is not None:
            if response.payload_shape.type_name in STREAMING_TYPES:
                streaming_output = True
            else:
                body_writer = self._codec.writer(response.payload_shape) or (lambda value: value)
        elif response.body_members:
            body_writer = self._codec.structure_writer(
                model.output_shape, top_level=True, members=response.body_members
            )
        return RestJsonPlan(
            route,
            request,
            response,
            self._input_validator(model),
            body_reader,
            body_writer,
            streaming_input,
            streaming_output,
        )

    def _no_route(self, req: HttpRequest) -> AWSError:
        return protocol_errors.unknown_operation_rest(req.method, req.path)

    def parse(self, op: Operation, req: HttpRequest) -> dict[str, Any]:
        plan: RestJsonPlan = op.plan
        params = self._bind(op, req, req.headers)
        body = req.body
        payload = plan.request.payload
        if plan.streaming_input:
            if payload is not None:
                is_text = plan.request.payload_shape.type_name == "string"  # type: ignore[union-attr]
                params[payload] = body.decode("utf-8", "replace") if is_text else body
        elif plan.body_reader is not None and body and not body.isspace():
            document = self._load_json(body)
            try:
                values = plan.body_reader(document)
            except WireTypeError as exc:
                raise self._bad_json(str(exc)) from None
            except RecursionError:
                raise self._bad_json("Document nested too deeply") from None
            if payload is not None:
                params[payload] = values
            else:
                values.update(params)  # labels, query and headers win over body look-alikes
                params = values
        try:
            self._validate(plan.validator, params)
        except RecursionError:
            raise self._bad_json("Document nested too deeply") from None
        return params

    def _load_json(self, body: bytes) -> Any:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise self._bad_json(str(exc)) from None
        if type(document) is not dict:
            raise self._bad_json(str(type_mismatch(document, "structure")))
        return document

    def _bad_json(self, detail: str) -> AWSError:
        if self.traits.bad_json_code == "SerializationException":
            return protocol_errors.serialization_error(detail)
        return AWSError(self.traits.bad_json_code, self.traits.bad_json_prefix + detail, 400)

    def serialize(self, op: Operation, result: dict[str, Any], request_id: str) -> HttpResponse:
        plan: RestJsonPlan = op.plan
        status, headers, rest = bind_response(plan.response, result or {})
        body = b""
        if plan.streaming_output:
            value = rest.get(plan.response.payload)  # type: ignore[arg-type]
            if value is not None:
                body = value.encode() if isinstance(value, str) else bytes(value)
        elif plan.body_writer is not None:
            if plan.response.payload is not None:
                value = rest.get(plan.response.payload)
                body = dump_json(plan.body_writer(value)) if value is not None else b""
            else:
                body = dump_json(plan.body_writer(rest))
        if not any(name.lower() == "content-type" for name, _ in headers):
            # Lambda labels even raw Invoke payloads application/json.
            headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-RequestId", request_id))
        return HttpResponse(status, headers, body)

    def serialize_error(self, err: AWSError, request_id: str, op: Operation | None = None) -> HttpResponse:
        document: dict[str, Any] = {"Type": "User" if err.sender_fault else "Service"}
        if err.message:
            document[self._message_key(err.code)] = err.message
        document.update(err.fields)
        body = dump_json(document)
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("X-Amzn-ErrorType", err.code),
        ]
        headers.extend(err.headers.items())
        return HttpResponse(err.status, headers, body)
