"""A request body as S3 stores it: its MD5 (the ETag), its checksum and, when large, its file.

Hashing and writing a large body take time in proportion to its size (~0.5 s for 200 MB
here). Done inside the write transaction, that time would stall the event loop, and with it
every other request and delivery. So PutObject and UploadPart prepare large bodies on a
worker thread first (``prepare_object_body`` and ``prepare_part_body``, their
``@prepared_by`` hooks) and their transaction only records the result; small bodies,
inline in the row, are stored within the transaction as before. An object's checksum (S3's
default CRC64NVME when none was sent) is computed with its body; a part keeps only the
checksum it was sent, so a part computes none.
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
    checksum: ObjectChecksum | None  # an object's; None for a part

    def discard(self, blobs: BlobStore) -> None:
        """Remove the file of a body whose transaction did not commit."""
        if self.blob_id is not None:
            blobs.delete(self.blob_id)


def request_body(params: dict) -> bytes:
    body = params.get("Body") or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def store_body(blobs: BlobStore, body: bytes, object_params: dict | None = None) -> StoredBody:
    """Hash ``body`` and, when it is too large to sit in its row, write its file. With an
    object's ``object_params``, also its checksum."""
    etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
    checksum = body_checksum(object_params, body) if object_params is not None else None
    if len(body) <= INLINE_MAX_BYTES:
        return StoredBody(etag, len(body), None, body, checksum)
    return StoredBody(etag, len(body), blobs.write(body), None, checksum)


def prepare_object_body(service: Any, call: Any, params: dict) -> Callable[[], StoredBody] | None:
    """``@prepared_by`` hook of PutObject: storing a large body, to run off the loop before
    the transaction; None for a small one."""
    return _large_body_work(service, params, params)


def prepare_part_body(service: Any, call: Any, params: dict) -> Callable[[], StoredBody] | None:
    """``@prepared_by`` hook of UploadPart: as :func:`prepare_object_body`, with no checksum."""
    return _large_body_work(service, params, None)


def _large_body_work(service: Any, params: dict, object_params: dict | None) -> Callable[[], StoredBody] | None:
    body = request_body(params)
    if len(body) <= INLINE_MAX_BYTES:
        return None
    blobs = service.env.blobs
    return lambda: store_body(blobs, body, object_params)
