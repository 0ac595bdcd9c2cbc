"""The HTTP/1.1 server: an asyncio protocol over httptools, keep-alive, ``Expect: 100-continue``.

The hot path is kept flat on purpose: DESIGN.md measured a bare asyncio protocol at ~90 µs
of server CPU per boto3 request against ~125 µs for uvicorn, out of a 150 µs budget for a
whole PutObject. So there is no ASGI layer and no task per request: the application gets a
request and a ``respond`` callback, and answers synchronously or later (after a commit).
Requests on one connection are answered strictly in order.
"""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from collections import deque
from collections.abc import Callable

import httptools

from tidal.types import HttpRequest, HttpResponse

Respond = Callable[[HttpResponse], None]
Application = Callable[[HttpRequest, Respond], None]

_REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    206: "Partial Content", 301: "Moved Permanently", 304: "Not Modified", 307: "Temporary Redirect",
    400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
    415: "Unsupported Media Type", 416: "Range Not Satisfiable", 429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
}

_date_cache: list = [0, b""]

# A request body larger than this is handled off the loop: joined here from its pieces on a
# worker thread (bytes.join lets go of the GIL for large joins; joining 200 MB on the loop
# stalled every other request and delivery for ~0.3 s, measured), then parsed and verified
# on one by the dispatcher. Below it both take well under a millisecond.
LARGE_BODY_BYTES = 4 * 1024 * 1024

# A response body larger than this is written after its head rather than copied behind it.
_WRITE_APART_BYTES = 256 * 1024

# Header names as sent → their lower-case str: clients send the same few names on every
# request, and a lookup costs less than decoding and lower-casing each. Bounded, since the
# names come from clients.
_HEADER_NAMES: dict[bytes, str] = {}
_HEADER_NAMES_KEPT = 512


def _date_and_end_of_head() -> bytes:
    """The head's last line, ``Date``, and the blank line after it (made once a second)."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = b"\r\nDate: " + email.utils.formatdate(now, usegmt=True).encode() + b"\r\n\r\n"
    return _date_cache[1]


def encode_response(response: HttpResponse, *, head: bool, keep_alive: bool) -> bytes:
    status = response.status
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
    has_length = False
    for name, value in response.headers:
        if len(name) == 14 and name.lower() == "content-length":
            has_length = True
        lines.append(f"{name}: {value}")
    if not has_length and status != 204 and status >= 200:
        lines.append(f"Content-Length: {len(response.body)}")
    if not keep_alive:
        lines.append("Connection: close")
    lines.append("Server: tidal")
    # One encode for the whole head: per header it cost as much as the rest of the loop.
    parts = ["\r\n".join(lines).encode("latin-1", "replace"), _date_and_end_of_head()]
    if not head and status != 204:
        parts.append(response.body)
    return b"".join(parts)


class HttpConnection(asyncio.Protocol):
    __slots__ = (
        "_app", "_transport", "_parser", "_url", "_headers", "_body", "_queue", "_busy",
        "_client_ip", "_closing", "_body_size",
    )

    def __init__(self, app: Application) -> None:
        self._app = app
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._body_size = 0
        # (request, keep-alive, the join of its body while that runs on a worker thread)
        self._queue: deque[tuple[HttpRequest, bool, asyncio.Future | None]] = deque()
        self._busy = False
        self._closing = False
        self._client_ip = "127.0.0.1"

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        if peer:
            self._client_ip = peer[0]

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._queue.clear()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reply_and_close(400)
        except httptools.HttpParserError:
            self._reply_and_close(400)

    # -- httptools callbacks ------------------------------------------------------------

    # No on_message_begin: a message's state is reset when the one before it completes,
    # which saves a call from the parser per request.

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = _HEADER_NAMES.get(name)
        if key is None:
            key = name.decode("latin-1").lower()
            if len(_HEADER_NAMES) < _HEADER_NAMES_KEPT:
                _HEADER_NAMES[name] = key
        headers = self._headers
        if key in headers:
            headers[key] = headers[key] + "," + value.decode("latin-1")
        else:
            headers[key] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        headers = self._headers
        if (
            headers.get("expect", "").lower() == "100-continue"
            and headers.get("content-length") != "0"
            and self._transport is not None
        ):
            # With an empty body the request is already complete, so the final response is
            # the answer (RFC 9110 §10.1.1 lets a server omit the 100). boto3 sends Expect on
            # every PutObject, empty ones included; this saves a round trip on each.
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._body_size += len(body)

    def on_message_complete(self) -> None:
        url = self._url.decode("latin-1")
        path, _, query = url.partition("?")
        request = HttpRequest(
            self._parser.get_method().decode("ascii"), path, query, self._headers, b"", self._client_ip
        )
        chunks = self._body
        joining = None
        if self._body_size > LARGE_BODY_BYTES and len(chunks) > 1:
            joining = asyncio.get_running_loop().run_in_executor(None, b"".join, chunks)
            joining.add_done_callback(self._joined)
        elif chunks:
            request.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._queue.append((request, self._parser.should_keep_alive(), joining))
        self._url = b""
        self._headers = {}
        self._body = []
        self._body_size = 0
        if not self._busy:
            self._next()

    def _joined(self, _: asyncio.Future) -> None:
        if not self._busy:
            self._next()

    # -- answering ----------------------------------------------------------------------

    def _next(self) -> None:
        while self._queue and not self._busy and self._transport is not None:
            request, keep_alive, joining = self._queue[0]
            if joining is not None:
                if not joining.done():
                    return  # _joined carries on
                if joining.cancelled() or joining.exception() is not None:
                    self._reply_and_close(500)  # out of memory, or the server is stopping
                    return
                request.body = joining.result()
            self._queue.popleft()
            self._busy = True
            head = request.method == "HEAD"
            answered = False

            def respond(response: HttpResponse, head: bool = head, keep_alive: bool = keep_alive) -> None:
                nonlocal answered
                if answered:
                    return
                answered = True
                self._busy = False
                transport = self._transport
                if transport is None:
                    return
                if head or len(response.body) <= _WRITE_APART_BYTES or response.status == 204:
                    transport.write(encode_response(response, head=head, keep_alive=keep_alive))
                else:
                    # The head alone (as for a HEAD request), then the body as it is: a 200 MB
                    # GetObject is not copied once more, on the loop, to put a head before it.
                    transport.write(encode_response(response, head=True, keep_alive=keep_alive))
                    transport.write(response.body)
                if not keep_alive:
                    transport.close()
                    self._transport = None
                elif self._queue:
                    # answered from a callback (after a commit): carry on with the next request
                    asyncio.get_running_loop().call_soon(self._next)

            self._app(request, respond)

    def _reply_and_close(self, status: int) -> None:
        if self._transport is not None and not self._closing:
            self._closing = True
            self._transport.write(encode_response(HttpResponse(status), head=False, keep_alive=False))
            self._transport.close()
            self._transport = None


async def start_http_server(
    app: Application, host: str, port: int, sock: socket.socket | None = None,
) -> asyncio.base_events.Server:
    """Serve ``app`` on ``host:port``, or on ``sock`` (already bound and listening) if given."""
    loop = asyncio.get_running_loop()
    if sock is not None:
        return await loop.create_server(lambda: HttpConnection(app), sock=sock, backlog=1024)
    return await loop.create_server(lambda: HttpConnection(app), host, port, reuse_address=True, backlog=1024)
