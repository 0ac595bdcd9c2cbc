"""AWS JSON 1.0 / 1.1: POST /, operation named by ``X-Amz-Target``, JSON bodies both ways.

DynamoDB, DynamoDB Streams, SQS (json 1.0); Kinesis, Firehose (json 1.1).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import ServiceModel

from tidal.errors import AWSError
from tidal.protocol import errors as protocol_errors
from tidal.protocol.base import ServiceProtocol, dump_json
from tidal.protocol.json_codec import JsonCodec, Reader, WireTypeError, Writer, type_mismatch
from tidal.protocol.models import Operation, WireTraits
from tidal.protocol.validation import Validator
from tidal.types import HttpRequest, HttpResponse


@dataclass(slots=True)
class JsonRpcPlan:
    reader: Reader | None
    validator: Validator | None
    writer: Writer | None


class JsonRpcProtocol(ServiceProtocol):
    protocol_name = "json"

    def __init__(self, service_model: ServiceModel, traits: WireTraits) -> None:
        super().__init__(service_model, traits)
        prefix = service_model.metadata["targetPrefix"]
        self.content_type = f"application/x-amz-json-{service_model.metadata.get('jsonVersion', '1.0')}"
        self._codec = JsonCodec(traits.opaque_shapes)
        self._by_target: dict[str, Operation] = {}
        for name in service_model.operation_names:
            model = service_model.operation_model(name)
            input_shape, output_shape = model.input_shape, model.output_shape
            plan = JsonRpcPlan(
                reader=self._codec.reader(input_shape) if input_shape is not None else None,
                validator=self._input_validator(model),
                writer=(
                    self._codec.structure_writer(output_shape, top_level=True)
                    if output_shape is not None
                    else None
                ),
            )
            operation = Operation(name, model, plan)
            self.operations[name] = operation
            self._by_target[f"{prefix}.{name}"] = operation
        # SQS speaks JSON but keeps its query-protocol error codes in a header.
        self._query_compatible = bool(service_model.metadata.get("awsQueryCompatible") is not None)
        self._query_codes: dict[str, tuple[str, str]] = {}
        for shape in service_model.error_shapes:
            error = shape.metadata.get("error") or {}
            query_code = error.get("code", shape.name)
            fault = "Sender" if error.get("senderFault", True) else "Receiver"
            self._query_codes[shape.name] = (shape.name, f"{query_code};{fault}")
            self._query_codes[query_code] = (shape.name, f"{query_code};{fault}")

    def resolve(self, req: HttpRequest) -> Operation:
        operation = self._by_target.get(req.headers.get("x-amz-target", ""))
        if operation is None:
            raise protocol_errors.unknown_operation_json()
        return operation

    def parse(self, op: Operation, req: HttpRequest) -> dict[str, Any]:
        plan: JsonRpcPlan = op.plan
        body = req.body
        if not body or body.isspace():
            document: Any = {}
        else:
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise protocol_errors.serialization_error() from None
        if type(document) is not dict:
            raise protocol_errors.serialization_error(str(type_mismatch(document, "structure")))
        if plan.reader is None:
            return {}
        try:
            params = plan.reader(document)
            self._validate(plan.validator, params)
        except WireTypeError as exc:
            raise protocol_errors.serialization_error(str(exc)) from None
        except RecursionError:  # nesting deeper than Python's stack (orjson allows 1024 levels)
            raise protocol_errors.serialization_error("Document nested too deeply") from None
        return params

    def serialize(self, op: Operation, result: dict[str, Any], request_id: str) -> HttpResponse:
        result = result or {}
        writer = op.plan.writer
        body = dump_json(writer(result)) if writer is not None else b"{}"
        status = result.get("__status__", 200)
        return HttpResponse(status, self._headers(request_id, body), body)

    def serialize_error(self, err: AWSError, request_id: str, op: Operation | None = None) -> HttpResponse:
        code = err.code
        extra_headers: list[tuple[str, str]] = []
        if self._query_compatible and "x-amzn-query-error" not in err.headers:
            shape_name, query_error = self._query_codes.get(
                code, (code, f"{code};{'Sender' if err.sender_fault else 'Receiver'}")
            )
            code = shape_name
            extra_headers.append(("x-amzn-query-error", query_error))
        document: dict[str, Any] = {
            "__type": protocol_errors.json_error_type(
                code, self.traits.json_error_namespace, self.traits.coral_error_namespaces
            )
        }
        if err.message:
            # Coral's SerializationException says "Message"; modelled errors as modelled.
            default = "Message" if code == "SerializationException" else "message"
            document[self._message_key(code, default)] = err.message
        document.update(err.fields)
        body = dump_json(document)
        headers = self._headers(request_id, body)
        headers.extend(extra_headers)
        headers.extend(err.headers.items())
        return HttpResponse(err.status, headers, body)

    def _headers(self, request_id: str, body: bytes) -> list[tuple[str, str]]:
        headers = [("Content-Type", self.content_type), ("x-amzn-RequestId", request_id)]
        if self.traits.crc32_header:
            headers.append(("x-amz-crc32", str(zlib.crc32(body))))
        return headers
