"""GetObject and HeadObject of one part of a multipart object (``?partNumber=N``).

A completed multipart object's attributes record its part sizes (and, when its checksum is
COMPOSITE, each part's checksum), so a part is served as a range of the object's body: 206,
``x-amz-mp-parts-count``, and with ``ChecksumMode=ENABLED`` that part's checksum. An object
stored in one piece is its own part 1.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import orjson

from tidal.errors import AWSError
from tidal.services.operation import Call, awaits, reads
from tidal.services.s3 import errors
from tidal.services.s3.object_checksums import COMPOSITE, ObjectChecksum
from tidal.services.s3.objects import CHECKSUM_ATTRIBUTE

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tidal.storage.database import Connection

MAX_PART_NUMBER = 10000
PARTS_ATTRIBUTE = "MultipartParts"  # in s3_objects.attributes: part sizes as [[size, repeat], ...]
# In s3_objects.attributes of a COMPOSITE object: each part's checksum, for a read by PartNumber.
PART_CHECKSUMS_ATTRIBUTE = "MultipartChecksums"


def part_sizes(etag: str, attributes: bytes | None) -> list[int] | None:
    """The part sizes of a multipart object, ``None`` for an object stored in one piece."""
    if "-" not in etag or not attributes or PARTS_ATTRIBUTE.encode() not in attributes:
        return None
    runs = orjson.loads(attributes).get(PARTS_ATTRIBUTE) or []
    sizes = [size for size, repeat in runs for _ in range(repeat)]
    return sizes if etag.endswith(f"-{len(sizes)}") else None


def _part_checksum_fields(result: dict, attributes: bytes | None, number: int) -> None:
    """A read of one part of a multipart object carries that part's checksum when the object
    is COMPOSITE, as AWS does (the whole object's is not that part's)."""
    stored = orjson.loads(attributes) if attributes else {}
    whole = ObjectChecksum.from_stored(stored.get(CHECKSUM_ATTRIBUTE))
    parts = stored.get(PART_CHECKSUMS_ATTRIBUTE)
    if whole is not None and parts and number <= len(parts):
        result.update(ObjectChecksum(whole.algorithm, parts[number - 1], COMPOSITE).members())


class PartReads:
    """Mixed in ahead of ObjectOperations, whose ``_read_object``, ``_with_body`` and
    ``_missing_object`` it uses and whose GetObject/HeadObject it extends."""

    _missing_object: Callable[[Connection, str, str], AWSError]
    _read_object: Callable[[Call, dict, bool], tuple[dict, tuple | None]]
    _with_body: Callable[[Callable[[], tuple[dict, tuple | None]]], Awaitable[dict]]

    @awaits
    async def get_object(self, call: Call, params: dict) -> dict:
        if params.get("PartNumber") is None:
            return await super().get_object(call, params)  # type: ignore[misc]
        return await self._with_body(partial(self._read_part, call, params, True))

    @reads
    def head_object(self, call: Call, params: dict) -> dict:
        if params.get("PartNumber") is None:
            return super().head_object(call, params)  # type: ignore[misc]
        return self._read_part(call, params, with_body=False)[0]

    def _read_part(self, call: Call, params: dict, with_body: bool) -> tuple[dict, tuple | None]:
        """One part of a multipart object as a 206; an object stored whole is its own part 1.
        With the body's file still to be read, as :meth:`_read_object` returns it."""
        number = params["PartNumber"]
        if not isinstance(number, int) or not 1 <= number <= MAX_PART_NUMBER:
            raise errors.invalid_part_number_argument(number)
        if params.get("Range"):
            raise errors.invalid_request("Cannot specify both Range header and partNumber query parameter")
        bucket, key = params["Bucket"], params["Key"]
        conn = call.db
        for attempt in range(3):
            row = conn.execute(
                "SELECT size, etag, attributes FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key)
            ).fetchone()
            if row is None:
                raise self._missing_object(conn, bucket, key)
            size, etag, attributes = row
            sizes = part_sizes(etag, attributes)
            count = 1 if sizes is None else len(sizes)
            if number > count:
                raise errors.invalid_part_number(number, count)
            start = 0 if sizes is None else sum(sizes[: number - 1])
            length = size if sizes is None else sizes[number - 1]
            # A part of a multipart object is read without the object's checksum (which is
            # not the part's); an object stored whole is its own part 1 and keeps it.
            dropped = ("PartNumber",) if sizes is None else ("PartNumber", "ChecksumMode")
            inner = {name: value for name, value in params.items() if name not in dropped}
            if length:
                inner["Range"] = f"bytes={start}-{start + length - 1}"
            # An empty last part is read as a HEAD of the object, then given its empty body.
            read_body = with_body and (bool(length) or sizes is None)
            try:
                # The row is read again there: if the object changed since, its ETag says so.
                result, blob = self._read_object(call, inner, read_body)
            except AWSError as err:
                if err.code == "InvalidRange" and attempt < 2:
                    continue  # overwritten by a smaller object meanwhile
                raise
            if result["ETag"] != f'"{etag}"' and attempt < 2:
                continue
            if sizes is not None:
                result["PartsCount"] = count
                if not length:  # an empty last part
                    result.update(ContentLength=0, __status__=206)
                    if with_body:
                        result["Body"] = b""
                if params.get("ChecksumMode") == "ENABLED":
                    _part_checksum_fields(result, attributes, number)
            return result, blob
        raise AssertionError("unreachable")

