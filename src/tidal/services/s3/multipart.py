"""Multipart uploads: Create/Complete/AbortMultipartUpload, UploadPart (listings: :mod:`.multipart_listing`).

An upload is an ``s3_multipart_uploads`` row holding what the finished object will carry
(content headers, metadata, checksum algorithm); each part an ``s3_multipart_parts`` row with
its body inline (up to INLINE_MAX_BYTES) or in a blob file, exactly as objects keep theirs, so
an upload in progress survives a restart. Re-sending a part number replaces the part.

CompleteMultipartUpload validates the whole part list before it touches anything (a refused
complete leaves the upload as it was), then joins the parts file to file into one new blob
(:mod:`.assembly`), writes the object row as PutObject does, emits
``s3:ObjectCreated:CompleteMultipartUpload`` through PutObject's outbox path and drops the
upload; the part blobs and any blob the object replaced go after COMMIT. The copy takes
about a second per GB, so it runs on a worker thread before the transaction, from the parts
as they were then; the transaction uses it only if it chose the very same parts (a part
re-sent meanwhile makes it copy again itself).

The object row's ETag is AWS's multipart ETag (MD5 of the parts' binary MD5s, ``-<count>``), and
its attributes record the part sizes (and a COMPOSITE object's part checksums), so
GetObject/HeadObject with ``PartNumber`` serve one part (:mod:`.part_reads`).

Flexible checksums (rules in :mod:`.multipart_checksums`): a part's checksum (already verified
by the protocol layer) is stored, echoed and listed; the completed object gets its COMPOSITE or
FULL_OBJECT checksum from the parts', or S3's default CRC64NVME of the whole object, computed
off the loop with the copy. Messages are AWS's as recorded by LocalStack's snapshot tests and moto's.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from tidal.errors import AWSError
from tidal.services.operation import Call, prepared_by, writes
from tidal.services.s3 import errors
from tidal.services.s3.assembly import Piece, assemble, pieces_crc
from tidal.services.s3.bodies import StoredBody, prepare_part_body, request_body, store_body
from tidal.services.s3.multipart_checksums import (
    check_complete_entry,
    check_complete_mode,
    completed_checksum,
    part_checksum,
    upload_checksum_mode,
)
from tidal.services.s3.multipart_listing import MultipartListings
from tidal.services.s3.object_checksums import COMPOSITE, DEFAULT_ALGORITHM, ObjectChecksum
from tidal.services.s3.objects import (
    _SELECT_FOR_PUT,
    _UPSERT_OBJECT,
    CHECKSUM_ATTRIBUTE,
    MAX_KEY_BYTES,
    _object_attributes,
)
from tidal.services.s3.part_reads import MAX_PART_NUMBER, PART_CHECKSUMS_ATTRIBUTE, PARTS_ATTRIBUTE, PartReads
from tidal.services.s3.write_headers import check_write_headers
from tidal.storage.blobs import INLINE_MAX_BYTES, BlobStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from tidal.services.environment import ServiceEnv
    from tidal.storage.database import Connection

OBJECT_CREATED_COMPLETE_MULTIPART = "s3:ObjectCreated:CompleteMultipartUpload"
MIN_PART_SIZE = 5 * 1024 * 1024  # every part but the last


_SELECT_UPLOAD = (
    "SELECT attributes, checksum_algorithm, checksum_type, initiated FROM s3_multipart_uploads"
    " WHERE upload_id = ? AND bucket = ? AND key = ?"
)
_UPSERT_PART = (
    "INSERT OR REPLACE INTO s3_multipart_parts (upload_id, part_number, blob_id, inline_body, size, etag,"
    " last_modified, checksum_algorithm, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# -- helpers ------------------------------------------------------------------------------------


def _size_runs(sizes: list[int]) -> list[list[int]]:
    """[8, 8, 8, 3] → [[8, 3], [3, 1]]: TransferManager's parts are all one size but the last."""
    runs: list[list[int]] = []
    for size in sizes:
        if runs and runs[-1][0] == size:
            runs[-1][1] += 1
        else:
            runs.append([size, 1])
    return runs


class _Choice:
    """The parts a complete uses: (part number, blob id, size) each, their MD5s, their flexible
    checksums with their sizes, total size."""

    __slots__ = ("parts", "digests", "checksums", "total")

    def __init__(self) -> None:
        self.parts: list[tuple[int, str | None, int]] = []
        self.digests = bytearray()
        self.checksums: list[tuple[str | None, int]] = []
        self.total = 0


def _needs_copy(choice: _Choice) -> bool:
    """Whether the object needs a new file: not when it fits its row, nor when it is one part's file."""
    parts = choice.parts
    return choice.total > INLINE_MAX_BYTES and not (len(parts) == 1 and parts[0][1] is not None)


def _inline_part(conn: Connection, upload_id: str, number: int) -> bytes:
    row = conn.execute(
        "SELECT inline_body FROM s3_multipart_parts WHERE upload_id = ? AND part_number = ?", (upload_id, number)
    ).fetchone()
    return row[0] or b""


def _pieces(conn: Connection, upload_id: str, choice: _Choice) -> list[Piece]:
    """What the assembly copies: each chosen part's file, or its inline body read now."""
    return [(blob_id, None if blob_id else _inline_part(conn, upload_id, number), size)
            for number, blob_id, size in choice.parts]


def _default_checksum(blobs: BlobStore, pieces: list[Piece]) -> ObjectChecksum:
    """S3's default checksum of an object uploaded without one: CRC64NVME of all its bytes."""
    return ObjectChecksum(DEFAULT_ALGORITHM, pieces_crc(blobs, pieces, DEFAULT_ALGORITHM.lower()))


# What a complete prepared off the loop: the parts it read, the object's new file (None: no
# copy needed) and its default checksum (None: the upload names an algorithm).
_Prepared = tuple[list, str | None, ObjectChecksum | None]


class MultipartOperations(MultipartListings, PartReads):
    """Mixed into :class:`tidal.services.s3.service.S3Service` ahead of ObjectOperations.

    Relies on S3Service for ``env``, ``_require_bucket`` and on ObjectOperations for ``_notify``;
    GetObject/HeadObject by PartNumber are :class:`.part_reads.PartReads`'.
    """

    env: ServiceEnv
    _notify: Callable[..., int]

    # -- uploads ---------------------------------------------------------------------------

    def _new_upload_id(self) -> str:
        # Unguessable, unless a seed asks for a replayable run.
        raw = self.env.ids.token(48) if self.env.config.seed is not None else secrets.token_bytes(48)
        return base64.urlsafe_b64encode(raw).decode("ascii")

    @staticmethod
    def _require_upload(conn: Connection, bucket: str, key: str, upload_id: str) -> tuple:
        row = conn.execute(_SELECT_UPLOAD, (upload_id, bucket, key)).fetchone()
        if row is None:
            raise errors.no_such_upload(upload_id)
        return row

    def _drop_uploads(self, call: Call, bucket: str) -> None:
        """Forget every upload in progress in ``bucket`` (DeleteBucket), part blobs after COMMIT."""
        conn = call.db
        blob_ids = [
            row[0]
            for row in conn.execute(
                "DELETE FROM s3_multipart_parts WHERE upload_id IN"
                " (SELECT upload_id FROM s3_multipart_uploads WHERE bucket = ?) RETURNING blob_id",
                (bucket,),
            ).fetchall()
            if row[0] is not None
        ]
        conn.execute("DELETE FROM s3_multipart_uploads WHERE bucket = ?", (bucket,))
        for blob_id in blob_ids:
            call.after_commit(partial(self.env.blobs.delete, blob_id))

    @writes
    def create_multipart_upload(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        key = params["Key"]
        check_write_headers(params, call.now)
        key_bytes = len(key.encode("utf-8"))
        if key_bytes > MAX_KEY_BYTES:
            raise errors.key_too_long(key_bytes)
        conn = call.db
        self._require_bucket(conn, bucket)
        algorithm, checksum_type = upload_checksum_mode(params)
        upload_id = self._new_upload_id()
        conn.execute(
            "INSERT INTO s3_multipart_uploads (upload_id, bucket, key, initiated, attributes, checksum_algorithm,"
            " checksum_type) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (upload_id, bucket, key, call.now, _object_attributes(params), algorithm, checksum_type),
        )
        result: dict[str, Any] = {"Bucket": bucket, "Key": key, "UploadId": upload_id}
        if algorithm:
            result["ChecksumAlgorithm"] = algorithm
            result["ChecksumType"] = checksum_type
        return result

    @prepared_by(prepare_part_body)
    @writes
    def upload_part(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        key = params["Key"]
        upload_id = params["UploadId"]
        blobs = self.env.blobs
        stored: StoredBody | None = call.prepared
        try:
            conn = call.db
            self._require_bucket(conn, bucket)
            _, upload_algorithm, _, _ = self._require_upload(conn, bucket, key, upload_id)
            number = params.get("PartNumber")
            if not isinstance(number, int) or not 1 <= number <= MAX_PART_NUMBER:
                raise errors.invalid_part_number_argument(number)
            algorithm, checksum = part_checksum(params, upload_algorithm)
            if stored is None:  # small, or called without the dispatcher's preparation
                stored = store_body(blobs, request_body(params))
            replaced = conn.execute(
                "SELECT blob_id FROM s3_multipart_parts WHERE upload_id = ? AND part_number = ?", (upload_id, number)
            ).fetchone()
            conn.execute(_UPSERT_PART, (
                upload_id, number, stored.blob_id, stored.inline, stored.size, stored.etag,
                int(call.now * 1000) / 1000, algorithm, checksum,
            ))
        except BaseException:
            if stored is not None:
                stored.discard(blobs)  # the job rolls back: nothing will point at this file
            raise
        if replaced is not None and replaced[0] is not None:
            call.after_commit(partial(blobs.delete, replaced[0]))
        result = {"ETag": f'"{stored.etag}"'}
        if checksum is not None:
            result[f"Checksum{algorithm}"] = checksum
        return result

    @staticmethod
    def _choose_parts(
        conn: Connection, upload_id: str, params: dict, upload_algorithm: str | None, upload_type: str | None
    ) -> _Choice:
        """The parts a complete names, checked against the stored ones; AWS's errors otherwise."""
        document = params.get("MultipartUpload")
        if document is None:
            raise errors.malformed_xml()  # no body at all (our choice; an empty list is InvalidRequest)
        requested = document.get("Parts") or []
        if not requested:
            raise errors.invalid_request("You must specify at least one part")
        previous = 0
        for entry in requested:
            number = entry.get("PartNumber")
            # Strictly ascending: a part named twice is out of order too (our reading of AWS).
            if not isinstance(number, int) or number <= previous:
                raise errors.invalid_part_order(upload_id)
            previous = number
        stored = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT part_number, blob_id, size, etag, checksum_algorithm, checksum"
                " FROM s3_multipart_parts WHERE upload_id = ?",
                (upload_id,),
            )
        }
        choice = _Choice()
        last = len(requested) - 1
        for index, entry in enumerate(requested):
            number = entry["PartNumber"]
            given = str(entry.get("ETag") or "").strip().strip('"')
            part = stored.get(number)
            if part is None or part[2] != given.lower():
                raise errors.invalid_part(upload_id, number, given)
            blob_id, size, etag, algorithm, checksum = part
            check_complete_entry(entry, algorithm, checksum, upload_algorithm, upload_type, upload_id, given)
            if index != last and size < MIN_PART_SIZE:
                raise errors.entity_too_small(number, given, size, MIN_PART_SIZE)
            choice.digests += bytes.fromhex(etag)
            choice.checksums.append((checksum if algorithm == upload_algorithm else None, size))
            choice.total += size
            choice.parts.append((number, blob_id, size))
        return choice

    def _prepare_complete(self, call: Call, params: dict) -> Callable[[], _Prepared] | None:
        """What a large complete reads and copies, to run off the loop: the parts it used, the
        object's new file (if it needs one) and S3's default checksum (if it gets it)."""
        upload_id = params["UploadId"]
        conn = self.env.db.reader()
        try:
            _, algorithm, checksum_type, _ = self._require_upload(conn, params["Bucket"], params["Key"], upload_id)
            choice = self._choose_parts(conn, upload_id, params, algorithm, checksum_type)
        except AWSError:
            return None  # the transaction finds the same fault and answers with it
        copy = _needs_copy(choice)
        default = algorithm is None and choice.total > INLINE_MAX_BYTES
        if not copy and not default:
            return None
        pieces = _pieces(conn, upload_id, choice)
        blobs = self.env.blobs

        def work() -> _Prepared:
            checksum = _default_checksum(blobs, pieces) if default else None
            return choice.parts, assemble(blobs, pieces) if copy else None, checksum

        return work

    @prepared_by(_prepare_complete)
    @writes
    def complete_multipart_upload(self, call: Call, params: dict) -> dict:
        prepared: _Prepared | None = call.prepared
        copy = prepared[1] if prepared is not None else None
        try:
            result, used_prepared = self._complete(call, params, prepared)
        except BaseException:
            if copy is not None:
                self.env.blobs.delete(copy)  # nothing will point at it
            raise
        if copy is not None and not used_prepared:
            self.env.blobs.delete(copy)  # the parts changed since: the copy is stale
        return result

    def _complete(self, call: Call, params: dict, prepared: _Prepared | None) -> tuple[dict, bool]:
        bucket = params["Bucket"]
        key = params["Key"]
        upload_id = params["UploadId"]
        conn = call.db
        row = conn.execute(_SELECT_FOR_PUT, (key, bucket)).fetchone()
        if row is None:
            raise errors.no_such_bucket(bucket)
        replaced_blob = row[1]
        attributes, algorithm, checksum_type, _ = self._require_upload(conn, bucket, key, upload_id)
        check_complete_mode(params, checksum_type)
        choice = self._choose_parts(conn, upload_id, params, algorithm, checksum_type)
        chosen, total = choice.parts, choice.total
        expected_size = params.get("MpuObjectSize")
        if expected_size is not None and expected_size != total:
            raise errors.invalid_request(
                f"The provided 'x-amz-mp-object-size' header value {expected_size} does not match what was"
                f" computed: {total}"
            )
        checksum = completed_checksum(params, algorithm, checksum_type, choice.checksums)
        etag = f"{hashlib.md5(bytes(choice.digests), usedforsecurity=False).hexdigest()}-{len(chosen)}"
        stored_attributes = orjson.loads(attributes) if attributes else {}
        stored_attributes[PARTS_ATTRIBUTE] = _size_runs([size for _, _, size in chosen])
        blobs = self.env.blobs
        ready = prepared if prepared is not None and prepared[0] == chosen else None
        if algorithm is None:  # S3's default: the whole object's CRC64NVME
            if ready is not None and ready[2] is not None:
                checksum = ready[2]
            else:  # small, or the parts changed since the preparation read them
                checksum = _default_checksum(blobs, _pieces(conn, upload_id, choice))
        if ready is not None and ready[1] is not None:
            blob_id, inline_body, new_blob = ready[1], None, False  # the caller cleans up
        else:
            blob_id, inline_body, new_blob = self._assemble(conn, upload_id, choice)
        if checksum is not None:
            stored_attributes[CHECKSUM_ATTRIBUTE] = checksum.stored()
            if checksum.type == COMPOSITE:
                stored_attributes[PART_CHECKSUMS_ATTRIBUTE] = [value for value, _ in choice.checksums]
        try:
            conn.execute(
                _UPSERT_OBJECT,
                (bucket, key, blob_id, inline_body, total, etag, int(call.now * 1000) / 1000,
                 orjson.dumps(stored_attributes)),
            )
            part_blobs = conn.execute(
                "DELETE FROM s3_multipart_parts WHERE upload_id = ? RETURNING blob_id", (upload_id,)
            ).fetchall()
            conn.execute("DELETE FROM s3_multipart_uploads WHERE upload_id = ?", (upload_id,))
            self._notify(call, bucket, key, OBJECT_CREATED_COMPLETE_MULTIPART, total, etag)
        except BaseException:
            if new_blob:
                blobs.delete(blob_id)  # type: ignore[arg-type]
            raise
        for (part_blob,) in part_blobs:
            if part_blob is not None and part_blob != blob_id:
                call.after_commit(partial(blobs.delete, part_blob))
        if replaced_blob is not None:
            call.after_commit(partial(blobs.delete, replaced_blob))
        # Path-style, as tidal serves it (AWS answers with its virtual-hosted URL).
        location = f"{self.env.config.endpoint}/{bucket}/{quote(key, safe='/')}"
        result = {"Location": location, "Bucket": bucket, "Key": key, "ETag": f'"{etag}"'}
        if checksum is not None:
            result.update(checksum.members())
        return result, ready is not None

    def _assemble(
        self, conn: Connection, upload_id: str, choice: _Choice
    ) -> tuple[str | None, bytes | None, bool]:
        """The object's body from its parts: (blob id, inline body, whether the blob is new)."""
        chosen = choice.parts
        if choice.total <= INLINE_MAX_BYTES:
            body = b"".join(
                _inline_part(conn, upload_id, number) if blob_id is None else self.env.blobs.read(blob_id)
                for number, blob_id, _ in chosen
            )
            return None, body, False
        if not _needs_copy(choice):
            return chosen[0][1], None, False  # one part in a blob of its own: the object's body as it is
        return assemble(self.env.blobs, _pieces(conn, upload_id, choice)), None, True

    @writes
    def abort_multipart_upload(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        upload_id = params["UploadId"]
        conn = call.db
        self._require_bucket(conn, bucket)
        self._require_upload(conn, bucket, params["Key"], upload_id)
        part_blobs = conn.execute(
            "DELETE FROM s3_multipart_parts WHERE upload_id = ? RETURNING blob_id", (upload_id,)
        ).fetchall()
        conn.execute("DELETE FROM s3_multipart_uploads WHERE upload_id = ?", (upload_id,))
        for (blob_id,) in part_blobs:
            if blob_id is not None:
                call.after_commit(partial(self.env.blobs.delete, blob_id))
        return {}
