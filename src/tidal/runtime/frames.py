"""The private parent<->worker wire: length-prefixed frames on two pipes.

A frame is ``>II`` (header length, body length), a JSON header and a raw body. The body
carries the event or the result untouched, so neither side re-encodes a payload it only
passes along. This module is imported by the worker before any user code, so it uses the
standard library only.

Frames (``t`` in the header):
  parent -> worker  ``invoke``      id, deadline_ms, arn, cc (client context JSON), ci, trace; body = event
  worker -> parent  ``ready``       init_ms, rss (MB)                       (once, after the import)
                    ``init_error``  error (the AWS error object)            (then the worker exits)
                    ``ok``/``error`` ms (handler duration), rss; body = result or error JSON
"""

from __future__ import annotations

import struct

PREFIX = struct.Struct(">II")
PREFIX_SIZE = PREFIX.size
# Far above any real frame (Lambda caps payloads at 6 MB); a bigger length means a corrupted
# stream (a handler writing into our fd), which is treated as a crash, never as an allocation.
MAX_HEADER = 1 << 20
MAX_BODY = 256 << 20


def encode(header: bytes, body: bytes = b"") -> bytes:
    return PREFIX.pack(len(header), len(body)) + header + body


class FrameError(Exception):
    """The stream does not hold a valid frame."""


def check_lengths(header_len: int, body_len: int) -> None:
    if header_len > MAX_HEADER or body_len > MAX_BODY:
        raise FrameError(f"frame too large: header {header_len}, body {body_len}")
