"""Which AWS service a request is for, told by what the request is.

In order:

1. ``X-Amz-Target``'s prefix (the json protocols: DynamoDB, SQS, Kinesis ...);
2. smithy rpc-v2-cbor's ``/service/<Service>/operation/<Operation>`` path (CloudWatch);
3. the SigV4 credential scope's signing name, from the Authorization header or a presigned
   URL's query;
4. for unsigned requests: the first path segment of a served REST service's routes (Lambda's
   ``/2015-03-31/...``), or a query-protocol ``Action`` (STS, SNS ...);
5. S3, whose paths are any bucket and key.

Names and protocols come from botocore's metadata, never from hand-typed tables, so a
request for a service tidal does not serve is still known for what it is and can be answered
in its protocol. A bucket named like a Lambda path segment ("2015-03-31") is reachable only
by signed requests: unsigned, the segment reads as Lambda's.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from urllib.parse import unquote

from tidal.protocol.models import load_service_model
from tidal.protocol.service_directory import ServiceDirectory, ServiceInfo, service_directory, service_info
from tidal.types import HttpRequest

_S3 = ServiceInfo("s3", "rest-xml", "s3")


def credential_scope(request: HttpRequest) -> tuple[str, str] | None:
    """(region, signing service) from the Authorization header or a presigned URL's query."""
    auth = request.headers.get("authorization")
    scope = None
    if auth:
        start = auth.find("Credential=")
        if start >= 0:
            end = auth.find(",", start)
            scope = auth[start + 11 : end if end >= 0 else len(auth)].strip()
    elif "X-Amz-Credential=" in request.query:
        for pair in request.query.split("&"):
            if pair.startswith("X-Amz-Credential="):
                scope = unquote(pair[17:])
                break
    if not scope:
        return None
    parts = scope.split("/")
    if len(parts) < 5:
        return None
    return parts[2], parts[3]


def query_action(request: HttpRequest) -> str | None:
    """The ``Action`` of a query-protocol request (form body or query string), if it is one."""
    for text in (request.query, _form_body(request)):
        if text and "Action=" in text:
            for pair in text.split("&"):
                if pair.startswith("Action="):
                    return unquote(pair[7:].replace("+", " "))
    return None


def _form_body(request: HttpRequest) -> str:
    if "x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return ""
    return request.body[:65536].decode("latin-1")


class ServiceRouter:
    """Routes requests among the ``served`` services (botocore names) and all others."""

    def __init__(self, served: list[str], default_region: str) -> None:
        self._default_region = default_region
        self._served = {name: service_info(name) or ServiceInfo(name, "", name) for name in served}
        self._directory = ServiceDirectory(list(self._served.values()))
        self._s3 = self._served.get("s3", _S3)

    def route(self, request: HttpRequest) -> tuple[ServiceInfo, str]:
        """(the service, the region the client signed for or the default)."""
        scope = credential_scope(request)
        region = scope[0] if scope else self._default_region
        target = request.headers.get("x-amz-target")
        if target:
            prefix = target.partition(".")[0]
            return self._directory.by_target_prefix(prefix) or self._foreign_target(prefix, request), region
        if scope:
            info = self._directory.by_signing_name(scope[1])
            if info is not None:
                return info, region
        if request.path.startswith("/service/") and "smithy-protocol" in request.headers:
            name = request.path.split("/")[2]
            return service_directory().by_target_prefix(name) or ServiceInfo(name, "smithy-rpc-v2-cbor", ""), region
        if scope:
            return service_directory().by_signing_name(scope[1]) or ServiceInfo(scope[1], "", scope[1]), region
        path = request.path
        end = path.find("/", 1)
        info = self._rest_segments.get(path[1:end] if end > 0 else path[1:])
        if info is not None:
            return info, region
        if query_action(request) is not None:
            return ServiceInfo("", "query", ""), region
        return self._s3, region

    @staticmethod
    def _foreign_target(prefix: str, request: HttpRequest) -> ServiceInfo:
        # A service may offer several protocols (CloudWatch: rpc-v2-cbor, json, query); the
        # answer takes the one this request used: a target header means json.
        version = "1.1" if "json-1.1" in request.headers.get("content-type", "") else "1.0"
        info = service_directory().by_target_prefix(prefix)
        if info is None:
            return ServiceInfo(prefix, "json", "", prefix, version)
        return replace(info, protocol="json", json_version=version)

    @cached_property
    def _rest_segments(self) -> dict[str, ServiceInfo]:
        """First path segments of the served REST services' routes (S3's are any bucket)."""
        segments: dict[str, ServiceInfo] = {}
        for info in self._served.values():
            if info.protocol != "rest-json":
                continue
            model = load_service_model(info.name)
            for name in model.operation_names:
                uri = model.operation_model(name).http.get("requestUri", "/")
                segment = uri.split("?", 1)[0].strip("/").split("/", 1)[0]
                if segment and "{" not in segment:
                    segments[segment] = info
        return segments
