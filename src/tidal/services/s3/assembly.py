"""Joining a multipart upload's parts into the object's one blob file, file to file.

``copy_file_range`` copies in the kernel: the bytes never pass through Python. It still
takes time in proportion to the object (about a second per GB here), so
CompleteMultipartUpload runs it on a worker thread before its transaction when it can
(see ``multipart.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

from tidal.checksums import b64_crc, crc
from tidal.storage.blobs import BlobStore, write_all

_COPY_CHUNK = 8 * 1024 * 1024

# One part as the assembly reads it: its blob id, or its inline body; and its size.
Piece = tuple[str | None, bytes | None, int]


def assemble(blobs: BlobStore, pieces: list[Piece]) -> str:
    """A new blob holding ``pieces`` end to end; its id. Nothing is left behind on failure."""
    blob_id, fd = blobs.create()
    try:
        for part_blob, inline, size in pieces:
            if part_blob is None:
                write_all(fd, inline or b"")
            else:
                _copy_into(fd, blobs.path(part_blob), size)
    except BaseException:
        os.close(fd)
        blobs.delete(blob_id)
        raise
    os.close(fd)
    return blob_id


def _copy_into(out_fd: int, path: os.PathLike, size: int) -> None:
    """Append ``size`` bytes of the file at ``path`` to ``out_fd``, kernel to kernel where it can."""
    with open(path, "rb") as source:
        in_fd = source.fileno()
        remaining = size
        try:
            while remaining:
                copied = os.copy_file_range(in_fd, out_fd, min(remaining, 1 << 30))
                if not copied:
                    break
                remaining -= copied
        except (AttributeError, OSError):
            # Not Linux, or a pair of files the kernel will not copy between: plain reads,
            # carrying on from where copy_file_range left both offsets.
            for chunk in _chunks(source, remaining, path):
                write_all(out_fd, chunk)
            return
        if remaining:
            raise OSError(f"blob {path} is shorter than its recorded size")


def _chunks(source: BinaryIO, size: int, path: os.PathLike) -> Iterator[bytes]:
    """The next ``size`` bytes of ``source``, a chunk at a time; OSError if it holds fewer."""
    while size:
        chunk = source.read(min(size, _COPY_CHUNK))
        if not chunk:
            raise OSError(f"blob {path} is shorter than its recorded size")
        yield chunk
        size -= len(chunk)


def pieces_crc(blobs: BlobStore, pieces: list[Piece], algorithm: str) -> str:
    """The base64 CRC (``crc64nvme``, ...) of ``pieces`` end to end, read a chunk at a time."""
    value = crc(algorithm, b"")
    for part_blob, inline, size in pieces:
        if part_blob is None:
            value = crc(algorithm, inline or b"", value)
            continue
        path = blobs.path(part_blob)
        with open(path, "rb") as source:
            for chunk in _chunks(source, size, path):
                value = crc(algorithm, chunk, value)
    return b64_crc(algorithm, value)
