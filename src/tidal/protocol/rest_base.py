"""What rest-json and rest-xml share: routing, and binding labels, query and headers."""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from tidal.errors import AWSError
from tidal.protocol.base import ServiceProtocol
from tidal.protocol.models import Operation, WireTraits
from tidal.protocol.rest_bindings import RestInputPlan, RestOutputPlan, bind_request, input_plan, output_plan
from tidal.protocol.uri_routing import Query, Route, Router, parse_query
from tidal.types import HttpRequest


class RestProtocol(ServiceProtocol):
    """Routes by method + ``requestUri`` template; subclasses handle the bodies."""

    def __init__(self, service_model: ServiceModel, traits: WireTraits) -> None:
        super().__init__(service_model, traits)
        self._router = Router()
        for name in service_model.operation_names:
            model = service_model.operation_model(name)
            operation = Operation(name, model)
            request_plan = input_plan(model, traits.enum_error)
            route = self._router.add(
                operation,
                model.http.get("method", "POST"),
                model.http.get("requestUri", "/"),
                request_plan.required_query_keys,
                request_plan.required_headers,
                bool(getattr(model, "deprecated", False)),
            )
            operation.plan = self._make_plan(model, route, request_plan, output_plan(model))
            self.operations[name] = operation
        # resolve() matched the path already; parse() of the same request reuses that.
        self._last_match: tuple[HttpRequest, Operation, list[str], Query] | None = None

    def _make_plan(
        self, model: OperationModel, route: Route, request: RestInputPlan, response: RestOutputPlan
    ) -> Any:
        raise NotImplementedError

    def _no_route(self, req: HttpRequest) -> AWSError:
        raise NotImplementedError

    def resolve(self, req: HttpRequest) -> Operation:
        query = parse_query(req.query)
        found = self._router.match(req.method, req.path, query, req.headers)
        if found is None:
            raise self._no_route(req)
        route, labels = found
        self._last_match = (req, route.operation, labels, query)
        return route.operation

    def _labels_and_query(self, op: Operation, req: HttpRequest) -> tuple[list[str], Query]:
        last = self._last_match
        if last is not None and last[0] is req and last[1] is op:
            self._last_match = None  # do not keep the request (and its body) alive
            return last[2], last[3]
        return op.plan.route.label_values(req.path) or [], parse_query(req.query)

    def _bind(self, op: Operation, req: HttpRequest, headers: dict[str, str]) -> dict[str, Any]:
        labels, query = self._labels_and_query(op, req)
        plan = op.plan
        return bind_request(
            plan.request, plan.route.label_names, labels, query, headers, self.traits.bad_parameter_code
        )
