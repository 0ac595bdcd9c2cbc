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
import logging
import math
import socket
import time
from collections import deque
from collections.abc import Callable

import httptools

from tidal.types import HttpRequest, HttpResponse

log = logging.getLogger("tidal.gateway")

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
    text = "\r\n".join(lines)
    # No header leaves with CR, LF or NUL in it, whatever built it: one would let a request
    # write its own headers (response splitting). Services refuse such input with their own
    # errors; this is the last line, three scans of the joined head rather than a visit per value.
    breaks = len(lines) - 1
    if text.count("\n") != breaks or text.count("\r") != breaks or "\0" in text:
        text = "\r\n".join(_safe_lines(lines))
    # One encode for the whole head: per header it cost as much as the rest of the loop.
    parts = [text.encode("latin-1", "replace"), _date_and_end_of_head()]
    if not head and status != 204:
        parts.append(response.body)
    return b"".join(parts)


def _safe_lines(lines: list[str]) -> list[str]:
    """``lines`` without those that carry CR, LF or NUL (each logged: a service let it through)."""
    kept = []
    for line in lines:
        if "\r" in line or "\n" in line or "\0" in line:
            log.error("dropped a response header carrying CR, LF or NUL: %r", line[:200])
        else:
            kept.append(line)
    return kept


class ConnectionSweeper:
    """Closes connections that hold the server while sending nothing useful.

    A request's head must be whole within ``header_timeout`` seconds of its first byte, and a
    connection that receives nothing for ``idle_timeout`` (between requests, or mid-body) is
    closed, unless the server still owes it an answer (a synchronous Invoke may run for
    minutes). Time is counted in ticks of one second, so a connection pays one attribute
    store per read rather than a timer per request; a timeout is accurate to a second.
    """

    def __init__(self, header_timeout: float, idle_timeout: float) -> None:
        self.tick = 0
        self.header_ticks = max(1, math.ceil(header_timeout))
        self.idle_ticks = max(1, math.ceil(idle_timeout))
        self.connections: set[HttpConnection] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Tick once a second from now on."""
        self._timer = loop.call_later(1.0, self._every_second, loop)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def sweep(self) -> None:
        """One tick: close the connections whose time is up (tests call it by hand)."""
        self.tick += 1
        for connection in list(self.connections):
            connection.check_timeouts(self)

    def _every_second(self, loop: asyncio.AbstractEventLoop) -> None:
        self.sweep()
        self._timer = loop.call_later(1.0, self._every_second, loop)


class HttpConnection(asyncio.Protocol):
    __slots__ = (
        "_app", "_transport", "_parser", "_url", "_headers", "_body", "_queue", "_busy",
        "_client_ip", "_closing", "_body_size", "_eof", "_sweeper", "_last_data", "_head_since", "_in_body",
    )

    def __init__(self, app: Application, sweeper: ConnectionSweeper) -> None:
        self._app = app
        self._sweeper = sweeper
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
        self._eof = False
        self._client_ip = "127.0.0.1"
        # For the sweeper: the tick of the last read, the tick the pending request's head
        # began (None when no head is pending), and whether a body is being received.
        self._last_data = sweeper.tick
        self._head_since: int | None = None
        self._in_body = False

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        if peer:
            self._client_ip = peer[0]
        self._sweeper.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._queue.clear()
        self._sweeper.connections.discard(self)

    def eof_received(self) -> bool:
        # A client may shut its sending side once its requests are sent (HTTP/1.1 allows a
        # half-close): every request that arrived whole is still answered, then the
        # connection is closed. Returning True keeps the transport open for writing.
        self._eof = True
        if not self._busy and not self._queue:
            self._close()
        return True

    def check_timeouts(self, sweeper: ConnectionSweeper) -> None:
        """Called once a tick by the sweeper: close this connection if it is stalling."""
        if self._busy or self._queue or self._transport is None:
            return  # the server owes an answer: the client is waiting, not stalling
        tick = sweeper.tick
        if self._head_since is not None and tick - self._head_since >= sweeper.header_ticks:
            self._reply_and_close(408)
        elif tick - self._last_data >= sweeper.idle_ticks:
            if self._in_body:
                self._reply_and_close(408)
            else:
                self._close()

    def data_received(self, data: bytes) -> None:
        self._last_data = self._sweeper.tick
        if self._head_since is None and not self._in_body:
            self._head_since = self._last_data
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
        self._head_since = None
        self._in_body = True
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
        self._in_body = False
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
                if not keep_alive or (self._eof and not self._queue):
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
            self._close()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None


# How long a request's head may take to arrive, and a connection may send nothing, by default.
HEADER_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0


class HttpServer:
    """A listening server and the sweeper of its connections' timeouts."""

    def __init__(self, server: asyncio.base_events.Server, sweeper: ConnectionSweeper) -> None:
        self._server = server
        self._sweeper = sweeper

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return self._server.sockets

    def close(self) -> None:
        """Stop listening (connections already open are left to finish)."""
        self._sweeper.stop()
        self._server.close()


async def start_http_server(
    app: Application, host: str, port: int, sock: socket.socket | None = None, *,
    header_timeout: float = HEADER_TIMEOUT, idle_timeout: float = IDLE_TIMEOUT,
    sweeper: ConnectionSweeper | None = None,
) -> HttpServer:
    """Serve ``app`` on ``host:port``, or on ``sock`` (already bound and listening) if given.

    A ``sweeper`` given is the caller's to tick (tests); otherwise one ticks every second."""
    loop = asyncio.get_running_loop()
    ticking = sweeper is None
    if sweeper is None:
        sweeper = ConnectionSweeper(header_timeout, idle_timeout)

    def connection() -> HttpConnection:
        return HttpConnection(app, sweeper)

    if sock is not None:
        server = await loop.create_server(connection, sock=sock, backlog=1024)
    else:
        server = await loop.create_server(connection, host, port, reuse_address=True, backlog=1024)
    if ticking:
        sweeper.start(loop)
    return HttpServer(server, sweeper)
