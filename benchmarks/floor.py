"""The HTTP floor: tidal's own HTTP layer answering every request with a canned reply.

This VM's speed drifts by up to ~1.7× within an hour, so an absolute µs figure means little
alone. Run in the same benchmark as tidal, the floor shows how much of a request's server
CPU is socket, kernel and HTTP parsing (which no service work can remove) and how much is
tidal's own. ``python -m benchmarks.floor PORT`` serves it; ``start_floor`` runs it.
"""

from __future__ import annotations

import asyncio
import sys
import zlib
from pathlib import Path

from benchmarks.targets import Target, start_process
from tidal.cli import event_loop_factory
from tidal.gateway.http import start_http_server
from tidal.testing import free_port
from tidal.types import HttpRequest, HttpResponse

# What tidal answers to the two benchmarked operations, minus the work.
_PUT_OBJECT = HttpResponse(200, [("x-amz-request-id", "0" * 16), ("x-amz-id-2", "0" * 76),
                                 ("ETag", '"d41d8cd98f00b204e9800998ecf8427e"')], b"")
_UPDATE_BODY = b'{"Attributes":{"count":{"N":"1"}}}'
_UPDATE_ITEM = HttpResponse(200, [("x-amzn-RequestId", "0" * 52), ("x-amz-crc32", str(zlib.crc32(_UPDATE_BODY))),
                                  ("Content-Type", "application/x-amz-json-1.0")], _UPDATE_BODY)
_CREATED = HttpResponse(200, [("Content-Type", "application/x-amz-json-1.0")], b"{}")


def _answer(request: HttpRequest, respond) -> None:
    target = request.headers.get("x-amz-target", "")
    if target.endswith("UpdateItem"):
        respond(_UPDATE_ITEM)
    elif target:  # CreateTable
        respond(_CREATED)
    else:  # CreateBucket, PutObject
        respond(_PUT_OBJECT)


async def _serve(port: int) -> None:
    server = await start_http_server(_answer, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def start_floor(tmp: Path) -> Target:
    port = free_port()
    argv = [sys.executable, "-m", "benchmarks.floor", str(port)]
    return start_process("floor", argv, {}, port, tmp, lambda_ok=False, cwd=Path(__file__).parent.parent)


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(_serve(int(sys.argv[1])))
