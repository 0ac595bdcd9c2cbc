"""From an HTTP request to a service operation and back.

route → protocol.resolve → protocol.parse (on a worker thread for a large body) → the
operation (inline for @reads, in the loop's next group commit for @writes, as a task for
@awaits) → protocol.serialize. Client mistakes
become the service's AWS error; anything unexpected becomes a 500 InternalError and a log
line, and the server carries on.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore import xform_name

from tidal.errors import AWSError
from tidal.gateway.host_guard import HostGuard, host_name
from tidal.gateway.http import LARGE_BODY_BYTES
from tidal.gateway.routing import ServiceRouter, query_action
from tidal.gateway.signatures import SignatureVerifier
from tidal.protocol import ServiceProtocol, protocol_for, rewrite_virtual_host
from tidal.protocol.bare_errors import bare_error_response
from tidal.protocol.base import dump_json
from tidal.protocol.service_directory import ServiceInfo
from tidal.services.operation import Call, operation_kind, operation_preparation
from tidal.storage.clock import Clock
from tidal.storage.database import ClosedError, Database
from tidal.storage.ids import IdSource
from tidal.types import HttpRequest, HttpResponse

log = logging.getLogger("tidal.gateway")

Respond = Callable[[HttpResponse], None]
InternalHandler = Callable[[HttpRequest], HttpResponse]


class Dispatcher:
    def __init__(
        self,
        services: dict[str, object],
        db: Database,
        clock: Clock,
        ids: IdSource,
        region: str,
        account_id: str,
        internal: dict[str, InternalHandler] | None = None,
        host_guard: HostGuard | None = None,
        verifier: SignatureVerifier | None = None,
    ) -> None:
        self._services = services
        self._db = db
        self._clock = clock
        self._ids = ids
        self._account_id = account_id
        self._internal = internal or {}
        self._router = ServiceRouter(list(services), region)
        self._host_guard = host_guard
        self._verifier = verifier
        self._protocols: dict[str, ServiceProtocol] = {}
        self._methods: dict[tuple[str, str], tuple[Callable, str, Callable | None] | None] = {}
        # Set when the server stops: requests still arriving on open connections get a 503,
        # which SDKs retry, rather than racing the database's close.
        self.stopping = False

    @property
    def services(self) -> list[str]:
        return list(self._services)

    def protocol(self, service: str) -> ServiceProtocol:
        proto = self._protocols.get(service)
        if proto is None:
            proto = self._protocols[service] = protocol_for(service)
        return proto

    def _method(self, service_name: str, op_name: str) -> tuple[Callable, str, Callable | None] | None:
        key = (service_name, op_name)
        service = self._services.get(service_name)
        method = getattr(service, xform_name(op_name), None) if service is not None else None
        kind = operation_kind(method) if method is not None else None
        found = (method, kind, operation_preparation(method)) if kind else None
        self._methods[key] = found
        return found

    def __call__(self, request: HttpRequest, respond: Respond, parsed: dict | None = None) -> None:
        path = request.path
        if self._host_guard is not None and not self._host_guard.allows(request.headers.get("host")):
            respond(self._refuse_host(request))
            return
        if path.startswith("/_tidal/"):
            handler = self._internal.get(path)
            respond(handler(request) if handler else HttpResponse(404, [], b'{"message":"not found"}'))
            return
        info, region = self._router.route(request)
        service_name = info.name
        received = request
        if service_name == "s3":
            # bucket.localhost:4566/key → /bucket/key, so routing sees one addressing style.
            request = rewrite_virtual_host(request)
        proto = self._protocols.get(service_name)
        if proto is None:
            if service_name not in self._services:
                respond(self._error_in_protocol(info, _not_served(info, request)))
                return
            proto = self.protocol(service_name)
        request_id = self._ids.request_hex() if service_name == "s3" else self._ids.request_id()
        if self.stopping:
            respond(proto.serialize_error(_stopping(), request_id, None))
            return
        op = None
        try:
            op = proto.resolve(request)
            large = parsed is None and len(request.body) > LARGE_BODY_BYTES
            if self._verifier is not None and parsed is None and not large:
                # After resolving, as DynamoDB answers an unknown operation before it looks at
                # the signature; the request as received, since a virtual-hosted one was signed
                # with its own path. A large one is verified off the loop, before its parse.
                self._verifier.verify(received, service_name)
            found = self._methods.get((service_name, op.name), _UNSEEN)
            if found is _UNSEEN:
                found = self._method(service_name, op.name)
            if found is None:
                raise AWSError(
                    "NotImplemented", f"tidal does not implement {op.name} yet", 501,
                )
            method, kind, prepare = found
            if parsed is not None:
                params = parsed
            elif large:
                self._parse_off_loop(proto, op, received, request, request_id, respond)
                return
            else:
                params = proto.parse(op, request)
            call = Call(request_id, region, self._account_id, self._clock.now(), request.client_ip)
            work = prepare(call, params) if prepare is not None else None
        except AWSError as err:
            respond(proto.serialize_error(err, request_id, op))
            return
        except Exception:  # noqa: BLE001 - a parser bug must not take the server down
            respond(self._internal_error(proto, request_id, op))
            return

        # A partial, not a closure: one Python frame fewer on every reply.
        reply = partial(self._reply, proto, op, request_id, respond)

        if kind == "reads":
            call.db = self._db.reader()
            try:
                result = method(call, params)
            except Exception as exc:  # noqa: BLE001 - rendered by _reply
                reply(None, exc)
            else:
                reply(result, None)
        elif kind == "writes":

            def job(tx: Any) -> Any:
                call.db = tx.conn
                call.tx = tx
                return method(call, params)

            if work is None:
                self._db.submit(job, reply)
            else:
                self._submit_prepared(work, call, job, reply)
        else:
            call.database = self._db
            call.db = self._db.reader()
            def task_done(task: asyncio.Future) -> None:
                if task.cancelled():  # only when the server stops under it
                    reply(None, AWSError("ServiceUnavailable", "tidal is shutting down", 503))
                elif task.exception() is not None:
                    reply(None, task.exception())
                else:
                    reply(task.result(), None)

            asyncio.ensure_future(method(call, params)).add_done_callback(task_done)

    def _parse_off_loop(
        self, proto: ServiceProtocol, op: Any, received: HttpRequest, request: HttpRequest, request_id: str,
        respond: Respond,
    ) -> None:
        """Verify (with ``--auth sigv4``) and parse a large ``request`` on a worker thread, then
        handle it as any other (from the request as ``received``: a virtual-hosted one is
        rewritten again, not twice).

        Both hash the body (a signed upload's chunk signatures, its checksums and Content-MD5):
        over a 200 MB body, ~50 ms of CRC32 or ~0.3 s of SHA256 that would hold every other
        request on the loop; zlib, hashlib and anycrc let go of the GIL while they work.
        """
        verifier = self._verifier

        def verify_and_parse() -> dict:
            if verifier is not None:
                verifier.verify(received, proto.service_name)
            return proto.parse(op, request)


        def parsed(future: asyncio.Future) -> None:
            if future.cancelled():  # only when the server stops under it
                respond(proto.serialize_error(_stopping(), request_id, op))
                return
            error = future.exception()
            if error is None:
                self(received, respond, future.result())
            elif isinstance(error, AWSError):
                respond(proto.serialize_error(error, request_id, op))
            else:
                log.error("internal error parsing %s %s", proto.service_name, op.name, exc_info=error)
                respond(self._internal_error(proto, request_id, op, logged=True))

        asyncio.get_running_loop().run_in_executor(None, verify_and_parse).add_done_callback(parsed)

    def _submit_prepared(
        self, work: Callable[[], Any], call: Call, job: Callable[[Any], Any],
        reply: Callable[[Any, BaseException | None], None],
    ) -> None:
        """Run ``work`` on a worker thread, then ``job`` as a write with its result."""

        def prepared(future: asyncio.Future) -> None:
            if future.cancelled():  # only when the server stops under it
                reply(None, _stopping())
            elif future.exception() is not None:
                reply(None, future.exception())
            else:
                call.prepared = future.result()
                self._db.submit(job, reply)

        asyncio.get_running_loop().run_in_executor(None, work).add_done_callback(prepared)

    def _reply(
        self, proto: ServiceProtocol, op: Any, request_id: str, respond: Respond,
        result: Any, error: BaseException | None,
    ) -> None:
        try:
            if error is not None:
                raise error
            response = proto.serialize(op, result, request_id)
        except AWSError as err:
            response = proto.serialize_error(err, request_id, op)
        except ClosedError:  # the request raced the shutdown
            response = proto.serialize_error(_stopping(), request_id, op)
        except Exception:  # noqa: BLE001 - a service or serializer bug must not take the server down
            response = self._internal_error(proto, request_id, op)
        respond(response)

    def _refuse_host(self, request: HttpRequest) -> HttpResponse:
        """403, in the request's protocol, for a Host that a loopback-only tidal does not answer."""
        host = request.headers.get("host", "")
        message = (
            f"tidal listens on loopback and does not answer requests for host {host!r}"
            f" (start it with --allow-host {host_name(host)} to allow it)"
        )
        if request.path.startswith("/_tidal/"):
            return HttpResponse(403, [("Content-Type", "application/json")], dump_json({"message": message}))
        info, _ = self._router.route(request)
        code = "AccessDenied" if info.protocol in ("rest-xml", "query", "ec2") else "AccessDeniedException"
        return self._error_in_protocol(info, AWSError(code, message, 403))

    def _error_in_protocol(self, info: ServiceInfo, err: AWSError) -> HttpResponse:
        """``err`` as the service ``info`` names renders it: its own protocol if served, else bare."""
        request_id = self._ids.request_id()
        if info.name in self._services:
            return self.protocol(info.name).serialize_error(err, request_id)
        return bare_error_response(info.protocol, err, request_id, json_version=info.json_version)

    def _internal_error(self, proto: ServiceProtocol, request_id: str, op: Any, logged: bool = False) -> HttpResponse:
        if not logged:
            log.error("internal error in %s %s:\n%s", proto.service_name, getattr(op, "name", "?"), traceback.format_exc())
        err = AWSError("InternalError", "We encountered an internal error. Please try again.", 500)
        try:
            return proto.serialize_error(err, request_id, op)
        except Exception:  # noqa: BLE001
            return HttpResponse(500, [], b"internal error")


_UNSEEN = object()


def _not_served(info: ServiceInfo, request: HttpRequest) -> AWSError:
    """501 NotImplemented for a service tidal does not serve, naming the operation as the
    request's protocol carries it."""
    if info.protocol == "json":
        operation = request.headers.get("x-amz-target", "")
    elif info.protocol == "smithy-rpc-v2-cbor":
        operation = request.path.rsplit("/", 1)[-1]
    elif info.protocol == "query":
        operation = query_action(request) or ""
    else:
        operation = f"{request.method} {request.path}"
    service = info.name or "this service"
    return AWSError("NotImplemented", f"tidal does not serve {service} ({operation}) yet", 501)


def _stopping() -> AWSError:
    return AWSError("ServiceUnavailable", "tidal is stopping; retry once it is back", 503)
