"""The interface every wire protocol implements, and what they share."""

from __future__ import annotations

from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel

from tidal.errors import AWSError
from tidal.protocol import errors as protocol_errors
from tidal.protocol.json_codec import _write_blob
from tidal.protocol.models import Operation, WireTraits
from tidal.protocol.validation import Validator, ValidatorBuilder, first_errors
from tidal.protocol.wire_values import epoch
from tidal.types import HttpRequest, HttpResponse


def json_default(value: Any) -> Any:
    """orjson's fallback: what a service may leave unconverted in unmodelled places."""
    if isinstance(value, bytes | bytearray | memoryview):
        return _write_blob(bytes(value))
    if hasattr(value, "isoformat"):  # datetime; orjson is told to pass these through
        return epoch(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dump_json(document: Any) -> bytes:
    return orjson.dumps(document, default=json_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


class ServiceProtocol:
    """Parses requests to and serializes responses of one AWS service.

    Built once per service (see ``protocol_for``); per-operation plans are precomputed then,
    so ``resolve``/``parse``/``serialize`` do flat dict work only.
    """

    protocol_name = ""

    def __init__(self, service_model: ServiceModel, traits: WireTraits) -> None:
        self.service_name: str = service_model.service_name
        self.model = service_model
        self.traits = traits
        self.operations: dict[str, Operation] = {}
        self._validators = ValidatorBuilder(traits.opaque_shapes) if traits.validate_input else None
        # Error shapes by code, to find how a modelled error names its message member.
        self._error_shapes = {shape.name: shape for shape in service_model.error_shapes}

    # -- the public interface --------------------------------------------------------------

    def resolve(self, req: HttpRequest) -> Operation:
        raise NotImplementedError

    def parse(self, op: Operation, req: HttpRequest) -> dict[str, Any]:
        raise NotImplementedError

    def serialize(self, op: Operation, result: dict[str, Any], request_id: str) -> HttpResponse:
        raise NotImplementedError

    def serialize_error(self, err: AWSError, request_id: str, op: Operation | None = None) -> HttpResponse:
        raise NotImplementedError

    def operation(self, name: str) -> Operation:
        """The operation called ``name`` ("PutObject"); KeyError if the model has none."""
        return self.operations[name]

    # -- shared helpers --------------------------------------------------------------------

    def _input_validator(self, model: OperationModel) -> Validator | None:
        if self._validators is None or model.input_shape is None:
            return None
        return self._validators.validator(model.input_shape)

    @staticmethod
    def _validate(validator: Validator | None, params: dict[str, Any]) -> None:
        if validator is None:
            return
        problems: list[str] = []
        validator(params, "", problems)
        if problems:
            raise protocol_errors.validation_error(first_errors(problems))

    def _message_key(self, code: str, default: str = "message") -> str:
        """``message`` or ``Message``, as the modelled error shape spells it."""
        shape = self._error_shapes.get(code)
        if shape is not None:
            for name in shape.members:
                if name.lower() == "message":
                    return name
        return default
