"""Drive tidal's protocol layer with real boto3 clients, no server.

A ``before-send`` hook takes the request boto3 prepared, runs it through
``resolve``/``parse``, asks a test-supplied handler for the result (or an AWSError) and
hands boto3 the bytes ``serialize``/``serialize_error`` produced, so boto3's own parsers
judge them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from tidal.errors import AWSError
from tidal.protocol import Operation, protocol_for
from tidal.protocol.virtual_host import rewrite_virtual_host
from tidal.types import HttpRequest, HttpResponse

Handler = Callable[[Operation, dict[str, Any]], dict[str, Any]]


class _RawBody(io.BytesIO):
    def stream(self, **_: Any):
        yield self.read()


def to_http_request(method: str, url: str, headers: Any, body: Any) -> HttpRequest:
    parts = urlsplit(url)
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        text = value.decode() if isinstance(value, bytes) else str(value)
        lowered[name.lower()] = text
    lowered.setdefault("host", parts.netloc)
    if body is None:
        raw = b""
    elif isinstance(body, bytes | bytearray):
        raw = bytes(body)
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = body.read()
        if isinstance(raw, str):
            raw = raw.encode()
    return HttpRequest(method, parts.path or "/", parts.query, lowered, raw)


def to_aws_response(url: str, response: HttpResponse) -> AWSResponse:
    headers: dict[str, str] = {}
    for name, value in response.headers:
        headers[name] = value
    return AWSResponse(url, response.status, headers, _RawBody(response.body))


class Wire:
    """A boto3 client whose requests end in tidal's protocol layer and a handler."""

    def __init__(self, service: str, endpoint: str = "http://localhost:4566", **config: Any) -> None:
        self.protocol = protocol_for(service)
        self.client = boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 0}, **config),
        )
        self.client.meta.events.register("before-send", self._on_send)
        self.handler: Handler = lambda op, params: {}
        self.requests: list[HttpRequest] = []
        self.operations: list[Operation] = []
        self.params: list[dict[str, Any]] = []
        self.responses: list[HttpResponse] = []
        self.request_id = "c0ffee00-1234-5678-9abc-def012345678"

    @property
    def last_params(self) -> dict[str, Any]:
        return self.params[-1]

    def _on_send(self, request: Any, **_: Any) -> AWSResponse:
        http_request = to_http_request(request.method, request.url, request.headers, request.body)
        if self.protocol.service_name == "s3":
            http_request = rewrite_virtual_host(http_request)
        self.requests.append(http_request)
        op: Operation | None = None
        try:
            op = self.protocol.resolve(http_request)
            self.operations.append(op)
            params = self.protocol.parse(op, http_request)
            self.params.append(params)
            result = self.handler(op, params)
            response = self.protocol.serialize(op, result, self.request_id)
        except AWSError as err:
            response = self.protocol.serialize_error(err, self.request_id, op)
        self.responses.append(response)
        return to_aws_response(request.url, response)


def without_metadata(parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parsed.items() if k != "ResponseMetadata"}


def raw_request(
    method: str = "POST",
    path: str = "/",
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> HttpRequest:
    return HttpRequest(method, path, query, dict(headers or {}), body)
