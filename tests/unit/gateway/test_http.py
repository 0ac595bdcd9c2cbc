"""The HTTP server itself, with a small application standing in for the dispatcher."""

import asyncio
import hashlib
import os
import socket

import pytest

from tidal.gateway.http import LARGE_BODY_BYTES, ConnectionSweeper, start_http_server
from tidal.types import HttpResponse


def echo_app(request, respond):
    body = f"{request.method} {request.path}?{request.query} {len(request.body)}".encode()
    if request.path == "/later":
        asyncio.get_running_loop().call_later(0.01, respond, HttpResponse(200, [], b"later"))
    else:
        respond(HttpResponse(200, [("X-Test", "1")], body))


def final_responses(data: bytes) -> int:
    """How many complete final (non-1xx) responses ``data`` holds, bodies by Content-Length."""
    count = pos = 0
    while (end := data.find(b"\r\n\r\n", pos)) != -1:
        head = data[pos:end].split(b"\r\n")
        status = int(head[0].split(b" ", 2)[1])
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        pos = end + 4 + (0 if status < 200 else length)
        if pos > len(data):
            break
        if status >= 200:
            count += 1
    return count


async def exchange(raw: bytes, responses: int = 1) -> bytes:
    """Sends ``raw`` and reads until ``responses`` final responses have arrived whole, or EOF."""
    server = await start_http_server(echo_app, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    data = await read_responses(reader, responses)
    writer.close()
    server.close()
    return data


async def read_responses(reader: asyncio.StreamReader, responses: int) -> bytes:
    """What arrives until ``responses`` final responses are whole, or EOF (10 s per read)."""
    data = b""
    while final_responses(data) < responses:
        chunk = await asyncio.wait_for(reader.read(65536), 10)
        if not chunk:
            break
        data += chunk
    return data


def run(coro):
    return asyncio.run(coro)


def test_keep_alive_two_requests_on_one_connection():
    data = run(exchange(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPUT /b?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 2))
    assert data.count(b"HTTP/1.1 200 OK") == 2
    assert b"GET /a? 0" in data and b"PUT /b?q=1 3" in data


def test_pipelined_responses_stay_in_order_when_the_first_answers_later():
    data = run(exchange(b"GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /now HTTP/1.1\r\nHost: x\r\n\r\n", 2))
    assert data.index(b"later") < data.index(b"GET /now")


def test_expect_100_continue_gets_an_interim_response():
    data = run(exchange(b"PUT /k HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"))
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    assert b"PUT /k? 2" in data


def test_expect_100_continue_with_an_empty_body_gets_the_final_response_only():
    data = run(exchange(b"PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"))
    assert data.startswith(b"HTTP/1.1 200 OK") and b"100 Continue" not in data
    assert b"PUT /e? 0" in data


def test_chunked_request_body():
    data = run(exchange(b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"))
    assert b"PUT /c? 5" in data


def test_garbage_gets_400_and_close():
    data = run(exchange(b"\x00\x01\x02 not http\r\n\r\n"))
    assert data.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in data


def test_head_response_has_no_body():
    async def main():
        def app(request, respond):
            respond(HttpResponse(200, [("Content-Length", "10")], b"0123456789"))

        server = await start_http_server(app, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        await loop.sock_sendall(sock, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.1)
        data = await loop.sock_recv(sock, 65536)
        sock.close()
        server.close()
        return data

    data = run(main())
    assert data.endswith(b"\r\n\r\n") and b"Content-Length: 10" in data


@pytest.mark.parametrize("close_header", [b"Connection: close\r\n"])
def test_connection_close_is_honoured(close_header):
    data = run(exchange(b"GET / HTTP/1.1\r\nHost: x\r\n" + close_header + b"\r\n"))
    assert b"Connection: close" in data


def hashing_app(request, respond):
    respond(HttpResponse(200, [], f"{request.path} {hashlib.sha256(request.body).hexdigest()}".encode()))


def test_a_large_body_joined_off_the_loop_arrives_whole_and_in_order():
    """A body over the off-loop threshold, sent in pieces, then a small request pipelined
    behind it: the large one is answered first, with every byte."""
    large = os.urandom(LARGE_BODY_BYTES + 300_000)

    async def go() -> bytes:
        server = await start_http_server(hashing_app, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"PUT /large HTTP/1.1\r\nHost: x\r\nContent-Length: {len(large)}\r\n\r\n".encode())
        for start in range(0, len(large), 65536):
            writer.write(large[start:start + 65536])
            await writer.drain()
        writer.write(b"PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        await writer.drain()
        data = await read_responses(reader, 2)
        writer.close()
        server.close()
        return data

    data = run(go())
    assert f"/large {hashlib.sha256(large).hexdigest()}".encode() in data
    assert data.index(b"/large ") < data.index(b"/small ")


def delayed_app(request, respond):
    asyncio.get_running_loop().call_later(0.05, respond, HttpResponse(200, [], b"late answer"))


@pytest.mark.parametrize("app", [echo_app, delayed_app], ids=["answered at once", "answered later"])
def test_a_half_closed_connection_gets_every_complete_request_answered(app):
    """The client shuts its sending side after two pipelined requests (SHUT_WR): both are
    answered, then the server closes."""

    async def go() -> bytes:
        server = await start_http_server(app, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        writer.write_eof()
        data = await asyncio.wait_for(reader.read(), 10)  # to EOF: the server closes
        writer.close()
        server.close()
        return data

    data = run(go())
    assert final_responses(data) == 2


def test_no_header_leaves_with_cr_lf_or_nul():
    """Whatever a service put in a header value, the head keeps its lines: the value that
    would split the response is dropped, the rest is sent."""

    def app(request, respond):
        respond(HttpResponse(200, [
            ("Content-Type", "x\r\nX-Injected: yes"), ("X-Bare-LF", "a\nb"), ("X-Nul", "a\0b"), ("X-Fine", "1"),
        ], b"body"))

    async def go() -> bytes:
        server = await start_http_server(app, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = await read_responses(reader, 1)
        writer.close()
        server.close()
        return data

    data = run(go())
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"X-Injected" not in head and b"X-Bare-LF" not in head and b"\0" not in head
    assert b"X-Fine: 1" in head and body == b"body"
    assert all(line.count(b":") >= 1 for line in head.split(b"\r\n")[1:])


async def _open(app, sweeper):
    server = await start_http_server(app, "127.0.0.1", 0, sweeper=sweeper)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return server, reader, writer


async def _settle():
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_head_that_does_not_complete_in_time_gets_408_and_close():
    async def go():
        sweeper = ConnectionSweeper(header_timeout=2, idle_timeout=100)
        server, reader, writer = await _open(echo_app, sweeper)
        writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n")  # the head never ends
        await writer.drain()
        await _settle()
        sweeper.sweep()
        await _settle()
        assert len(sweeper.connections) == 1  # one tick is not two seconds
        sweeper.sweep()
        data = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        server.close()
        return data

    data = run(go())
    assert data.startswith(b"HTTP/1.1 408") and b"Connection: close" in data


def test_an_idle_keep_alive_connection_is_closed_but_not_one_owed_an_answer():
    async def go():
        sweeper = ConnectionSweeper(header_timeout=100, idle_timeout=2)
        owed: list = []

        def app(request, respond):
            if request.path == "/owed":
                owed.append(respond)  # answered only when the test says so
            else:
                echo_app(request, respond)

        server, reader, writer = await _open(app, sweeper)
        writer.write(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        first = await read_responses(reader, 1)
        reader2, writer2 = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        writer2.write(b"GET /owed HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer2.drain()
        await _settle()
        for _ in range(3):
            sweeper.sweep()
        idle_end = await asyncio.wait_for(reader.read(), 10)  # closed without a word
        owed[0](HttpResponse(200, [], b"worth the wait"))
        late = await read_responses(reader2, 1)
        writer.close()
        writer2.close()
        server.close()
        return first, idle_end, late

    first, idle_end, late = run(go())
    assert final_responses(first) == 1 and idle_end == b""
    assert late.endswith(b"worth the wait")
