"""A request body as S3 stores it: its MD5 (the ETag), its checksum and, when large, its file.

Hashing and writing a large body take time in proportion to its size (~0.5 s for 200 MB
here). Done inside the write transaction, that time would stall the event loop, and with it
every other request and delivery. So PutObject and UploadPart prepare large bodies on a
worker thread first (``prepare_body``, their ``@prepared_by`` hook) and their transaction
only records the result;
small bodies, inline in the row, are stored within the transaction as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tidal.services.s3.object_checksums import ObjectChecksum, body_checksum
from tidal.storage.blobs import INLINE_MAX_BYTES, BlobStore


@dataclass(frozen=True, slots=True)
class StoredBody:
    """``blob_id`` is the body's file, or None when the body stays ``inline`` in its row."""

    etag: str
    size: int
    blob_id: str | None
    inline: bytes | None
    checksum: ObjectChecksum

    def discard(self, blobs: BlobStore) -> None:
        """Remove the file of a body whose transaction did not commit."""
        if self.blob_id is not None:
            blobs.delete(self.blob_id)


def request_body(params: dict) -> bytes:
    body = params.get("Body") or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def store_body(blobs: BlobStore, body: bytes, params: dict) -> StoredBody:
    """Hash ``body`` and, when it is too large to sit in its row, write its file."""
    etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    checksum = body_checksum(params, body)
    if len(body) <= INLINE_MAX_BYTES:
        return StoredBody(etag, len(body), None, body, checksum)
    return StoredBody(etag, len(body), blobs.write(body), None, checksum)


def prepare_body(service: Any, call: Any, params: dict) -> Callable[[], StoredBody] | None:
    """``@prepared_by`` hook of an operation that stores its ``Body``: storing a large body,
    to run off the loop before the transaction; None for a small one."""
    body = request_body(params)
    if len(body) <= INLINE_MAX_BYTES:
        return None
    blobs = service.env.blobs
    return lambda: store_body(blobs, body, params)
