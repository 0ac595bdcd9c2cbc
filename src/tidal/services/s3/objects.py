"""Object operations: PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2.

PutObject is tidal's hottest write. Its whole cost on the writer is one indexed SELECT (does
the bucket exist, which blob does the key replace), one INSERT OR REPLACE and, only when a
notification configuration matches, one outbox INSERT per matching function. A small body
rides in the row; a large one's file is written on a worker thread before the transaction
(``bodies.py``). The replaced blob is deleted after COMMIT; a reader that raced the
overwrite and finds its blob gone reads the row again.

Unversioned buckets only: an overwrite replaces the row. With versioning, put_object would
insert a new version row instead of replacing, and delete_object would add a delete marker
(ObjectRemoved:DeleteMarkerCreated) instead of deleting.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from tidal.delivery.async_invoke import KIND as ASYNC_INVOKE
from tidal.errors import AWSError
from tidal.services.operation import Call, awaits, prepared_by, reads, writes
from tidal.services.s3 import errors
from tidal.services.s3.bodies import StoredBody, prepare_object_body, request_body, store_body
from tidal.services.s3.events import (
    OBJECT_CREATED_PUT,
    OBJECT_REMOVED_DELETE,
    build_record,
    host_id_for,
    owner_canonical_id,
)
from tidal.services.s3.listing import DEFAULT_MAX_KEYS, invalid_continuation_token, list_page
from tidal.services.s3.object_checksums import ObjectChecksum
from tidal.services.s3.ranges import resolve_range
from tidal.services.s3.write_headers import check_write_headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from tidal.services.environment import ServiceEnv
    from tidal.services.s3.events import Sequencer
    from tidal.services.s3.service import BucketState
    from tidal.storage.database import Connection

MAX_KEY_BYTES = 1024
DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 stores when a PUT names none
STANDARD = "STANDARD"

# Stored with the object and returned by GET/HEAD under the same member names.
_STORED_MEMBERS = (
    "ContentType",
    "ContentEncoding",
    "ContentDisposition",
    "CacheControl",
    "ContentLanguage",
    "WebsiteRedirectLocation",
    "StorageClass",
)
# GetObject's response-* overrides: (request member, response member, query parameter).
_RESPONSE_OVERRIDES = (
    ("ResponseCacheControl", "CacheControl", "response-cache-control"),
    ("ResponseContentDisposition", "ContentDisposition", "response-content-disposition"),
    ("ResponseContentEncoding", "ContentEncoding", "response-content-encoding"),
    ("ResponseContentLanguage", "ContentLanguage", "response-content-language"),
    ("ResponseContentType", "ContentType", "response-content-type"),
)
# What a header value may hold (ISO-8859-1 text and tabs): S3 refuses an override that would
# put anything else in its response's headers, CR and LF among them (response splitting).
_HEADER_TEXT = re.compile(r"[\t\x20-\x7e\x80-\xff]*")

# The bucket, and the blob of the object the put replaces, in one statement. A subquery, not
# a LEFT JOIN: SQLite re-plans that join every time its parameters are rebound (measured
# with SQLite 3.54: 4.5-6.5 µs a statement against 1.6 µs for this form).
_SELECT_FOR_PUT = (
    "SELECT name, (SELECT blob_id FROM s3_objects WHERE bucket = ?2 AND key = ?1)"
    " FROM s3_buckets WHERE name = ?2"
)
_UPSERT_OBJECT = (
    "INSERT OR REPLACE INTO s3_objects (bucket, key, blob_id, inline_body, size, etag, last_modified, attributes)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# A body read from its file on the loop at most this large; a larger one is read on a worker
# thread (measured: a 200 MB GetObject held every other request for ~0.3 s).
_READ_ON_LOOP_BYTES = 1024 * 1024

_SELECT_OBJECT = (
    "SELECT blob_id, size, etag, last_modified, attributes, inline_body FROM s3_objects WHERE bucket = ? AND key = ?"
)


def _timestamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _epoch(value: Any) -> float | None:
    """A request timestamp (datetime, epoch number or HTTP date) as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float):
        return float(value)
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


# In s3_objects.attributes: the object's checksum, as ObjectChecksum.stored() gives it.
CHECKSUM_ATTRIBUTE = "Checksum"


# Every request member an object's attributes keep.
_ATTRIBUTE_MEMBERS = frozenset((*_STORED_MEMBERS, "Expires", "Metadata"))


def _object_attributes(params: dict, checksum: ObjectChecksum | None = None) -> bytes | None:
    attributes: dict[str, Any] = {}
    if checksum is not None:
        attributes[CHECKSUM_ATTRIBUTE] = checksum.stored()
    if not _ATTRIBUTE_MEMBERS.isdisjoint(params):  # not a plain PutObject (boto3's put of bytes)
        _add_request_attributes(attributes, params)
    return orjson.dumps(attributes) if attributes else None


def _add_request_attributes(attributes: dict[str, Any], params: dict) -> None:
    for member in _STORED_MEMBERS:
        value = params.get(member)
        if value:
            attributes[member] = value
    expires = params.get("Expires")
    if expires is not None:
        epoch = _epoch(expires)
        attributes["Expires"] = epoch if epoch is not None else str(expires)
    metadata = params.get("Metadata")
    if metadata:
        # Metadata travels as x-amz-meta-* headers, whose names are case-insensitive:
        # AWS returns them lower-cased.
        attributes["Metadata"] = {str(k).lower(): str(v) for k, v in metadata.items()}


def _etag_matches(condition: str, etag: str) -> bool:
    for candidate in condition.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.strip('"') == etag:
            return True
    return False


def _check_preconditions(params: dict, etag: str, last_modified: float) -> None:
    # RFC 7232 order; HTTP dates have whole seconds, so compare at that precision.
    modified = int(last_modified)
    if_match = params.get("IfMatch")
    if if_match is not None:
        if not _etag_matches(if_match, etag):
            raise errors.precondition_failed("If-Match")
    else:
        unmodified_since = _epoch(params.get("IfUnmodifiedSince"))
        if unmodified_since is not None and modified > unmodified_since:
            raise errors.precondition_failed("If-Unmodified-Since")
    if_none_match = params.get("IfNoneMatch")
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag):
            raise errors.not_modified()
    else:
        modified_since = _epoch(params.get("IfModifiedSince"))
        if modified_since is not None and modified <= modified_since:
            raise errors.not_modified()


def _object_fields(
    size: int, etag: str, last_modified: float, attributes: bytes | None, with_checksum: bool
) -> dict[str, Any]:
    """The members GetObject and HeadObject share; the stored checksum's ``with_checksum``."""
    result: dict[str, Any] = {
        "AcceptRanges": "bytes",
        "LastModified": _timestamp(last_modified),
        "ContentLength": size,
        "ETag": f'"{etag}"',
        "ContentType": DEFAULT_CONTENT_TYPE,
        "Metadata": {},
    }
    if attributes:
        stored = orjson.loads(attributes)
        for member in _STORED_MEMBERS:
            if member in stored:
                result[member] = stored[member]
        if result.get("StorageClass") == STANDARD:
            del result["StorageClass"]  # AWS sends x-amz-storage-class only for other classes
        expires = stored.get("Expires")
        if expires is not None:
            result["Expires"] = _timestamp(expires) if isinstance(expires, int | float) else expires
        if "Metadata" in stored:
            result["Metadata"] = stored["Metadata"]
        if with_checksum:
            checksum = ObjectChecksum.from_stored(stored.get(CHECKSUM_ATTRIBUTE))
            if checksum is not None:
                result.update(checksum.members())
    return result


class ObjectOperations:
    """Mixed into :class:`tidal.services.s3.service.S3Service`, which provides the state."""

    # Provided by S3Service: env, _sequencer, _bucket_state(conn, bucket) -> BucketState | None,
    # _require_bucket(conn, bucket) (raises NoSuchBucket).
    env: ServiceEnv
    _sequencer: Sequencer
    _bucket_state: Callable[[Connection, str], BucketState | None]
    _require_bucket: Callable[[Connection, str], tuple]

    # -- notifications -------------------------------------------------------------------

    def _notify(
        self, call: Call, bucket: str, key: str, event_name: str, size: int | None, etag: str | None
    ) -> int:
        """Write one outbox row per Lambda configuration the event matches; how many were written.

        Queue and topic configurations are matched too but have no deliverer yet.
        """
        state = self._bucket_state(call.db, bucket)
        if state is None or not state.routing:
            return 0
        targets = [t for t in state.routing.matching(event_name, key) if t.kind == "lambda"]
        if not targets:
            return 0
        sequencer = self._sequencer.next()
        host_id = host_id_for(call.request_id)
        outbox = self.env.outbox
        for target in targets:
            record = build_record(
                event_name=event_name,
                region=state.region,
                event_time=call.now,
                request_id=call.request_id,
                host_id=host_id,
                source_ip=call.client_ip,
                account_id=call.account_id,
                configuration_id=target.id,
                bucket=bucket,
                key=key,
                sequencer=sequencer,
                size=size,
                etag=etag,
            )
            outbox.emit(call.tx, ASYNC_INVOKE, target.arn, orjson.dumps({"Records": [record]}), call.now)
        return len(targets)

    def _missing_object(self, conn: Connection, bucket: str, key: str) -> AWSError:
        if conn.execute("SELECT 1 FROM s3_buckets WHERE name = ?", (bucket,)).fetchone() is None:
            return errors.no_such_bucket(bucket)
        return errors.no_such_key(key)

    # -- writes ----------------------------------------------------------------------------

    @prepared_by(prepare_object_body)
    @writes
    def put_object(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        key = params["Key"]
        blobs = self.env.blobs
        stored: StoredBody | None = call.prepared
        try:
            check_write_headers(params, call.now)
            key_bytes = len(key.encode("utf-8"))
            if key_bytes > MAX_KEY_BYTES:
                raise errors.key_too_long(key_bytes)
            conn = call.db
            row = conn.execute(_SELECT_FOR_PUT, (key, bucket)).fetchone()
            if row is None:
                raise errors.no_such_bucket(bucket)
            if stored is None:  # small, or called without the dispatcher's preparation
                stored = store_body(blobs, request_body(params), params)
            conn.execute(_UPSERT_OBJECT, (
                bucket, key, stored.blob_id, stored.inline, stored.size, stored.etag,
                int(call.now * 1000) / 1000, _object_attributes(params, stored.checksum),
            ))
            self._notify(call, bucket, key, OBJECT_CREATED_PUT, stored.size, stored.etag)
        except BaseException:
            if stored is not None:
                stored.discard(blobs)  # the job rolls back: nothing will point at this file
            raise
        if row[1] is not None:  # the replaced object's file
            call.after_commit(partial(blobs.delete, row[1]))
        return {"ETag": f'"{stored.etag}"', **stored.checksum.members()}

    @writes
    def delete_object(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        key = params["Key"]
        conn = call.db
        if conn.execute("SELECT 1 FROM s3_buckets WHERE name = ?", (bucket,)).fetchone() is None:
            raise errors.no_such_bucket(bucket)
        deleted = conn.execute(
            "DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob_id", (bucket, key)
        ).fetchall()
        # Deleting a key that is not there succeeds (204) and, as recorded against AWS for
        # DeleteObjects, still emits ObjectRemoved:Delete.
        self._notify(call, bucket, key, OBJECT_REMOVED_DELETE, None, None)
        if deleted and deleted[0][0] is not None:
            call.after_commit(partial(self.env.blobs.delete, deleted[0][0]))
        return {}

    # -- reads -------------------------------------------------------------------------------

    def _read_object(self, call: Call, params: dict, with_body: bool) -> tuple[dict, tuple | None]:
        """The result of a GetObject (HeadObject without ``with_body``) and, when its body
        is in a file still to be read, ``(blob_id, start, end)`` of what to read."""
        bucket = params["Bucket"]
        key = params["Key"]
        conn = call.db
        row = conn.execute(_SELECT_OBJECT, (bucket, key)).fetchone()
        if row is None:
            raise self._missing_object(conn, bucket, key)
        blob_id, size, etag, last_modified, attributes, inline_body = row
        _check_preconditions(params, etag, last_modified)
        byte_range = resolve_range(params.get("Range"), size)
        # Only a read of all the bytes gets the checksum (a range of all of them too, as on
        # AWS): it is not the checksum of part of them.
        with_checksum = params.get("ChecksumMode") == "ENABLED" and (
            byte_range is None or (byte_range.start == 0 and byte_range.end == size - 1)
        )
        result = _object_fields(size, etag, last_modified, attributes, with_checksum)
        for request_member, response_member, parameter in _RESPONSE_OVERRIDES:
            value = params.get(request_member)
            if value:
                if _HEADER_TEXT.fullmatch(value) is None:
                    raise errors.invalid_argument(
                        "Header value cannot be represented using ISO-8859-1.", parameter, value
                    )
                result[response_member] = value
        if params.get("ResponseExpires") is not None:
            result["Expires"] = params["ResponseExpires"]
        if byte_range is not None:
            result["ContentRange"] = byte_range.content_range(size)
            result["ContentLength"] = byte_range.length
            result["__status__"] = 206
        if not with_body:
            return result, None
        if blob_id is None:
            body = inline_body or b""
            result["Body"] = body if byte_range is None else body[byte_range.start : byte_range.end + 1]
            return result, None
        if byte_range is None:
            return result, (blob_id, 0, None)
        return result, (blob_id, byte_range.start, byte_range.end)

    @awaits
    async def get_object(self, call: Call, params: dict) -> dict:
        return await self._with_body(partial(self._read_object, call, params, True))

    async def _with_body(self, read: Callable[[], tuple[dict, tuple | None]]) -> dict:
        """``read()``'s result with its body read from the file it names, if any (see
        :meth:`_read_object`): on the loop when small, on a worker thread when large."""
        for attempt in range(3):
            result, blob = read()
            if blob is None:
                return result
            blob_id, start, end = blob
            try:
                if result["ContentLength"] <= _READ_ON_LOOP_BYTES:
                    result["Body"] = self.env.blobs.read(blob_id, start, end)
                else:  # a large read on the loop would stall every other request
                    loop = asyncio.get_running_loop()
                    result["Body"] = await loop.run_in_executor(None, self.env.blobs.read, blob_id, start, end)
            except FileNotFoundError:
                if attempt == 2:
                    raise
                continue  # overwritten or deleted since the row was read: read the row again
            return result
        raise AssertionError("unreachable")

    @reads
    def head_object(self, call: Call, params: dict) -> dict:
        # Errors on a HEAD reach the client without a body (boto3 shows "404"), as on AWS.
        return self._read_object(call, params, with_body=False)[0]

    @reads
    def list_objects_v2(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        conn = call.db
        self._require_bucket(conn, bucket)
        encoding = params.get("EncodingType")
        if encoding is not None and encoding != "url":
            raise errors.invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", encoding)
        max_keys = params.get("MaxKeys")
        if max_keys is None:
            max_keys = DEFAULT_MAX_KEYS
        elif not isinstance(max_keys, int) or max_keys < 0:
            raise errors.invalid_argument(
                "Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", max_keys
            )
        token = params.get("ContinuationToken")
        if token is not None and not token:
            raise invalid_continuation_token()  # AWS rejects an empty token too
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        start_after = params.get("StartAfter") or ""
        page = list_page(
            conn,
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            max_keys=min(max_keys, DEFAULT_MAX_KEYS),  # S3 never returns more than 1,000
            start_after=start_after,
            token=token,
        )

        def encode(text: str) -> str:
            # EncodingType=url (which boto3 always asks for, and undoes): keys may hold
            # characters XML 1.0 cannot carry.
            return quote(text, safe="/") if encoding else text

        owner = {"ID": owner_canonical_id(call.account_id)} if params.get("FetchOwner") else None
        contents = []
        for key, size, etag, last_modified, attributes in page.contents:
            storage_class = STANDARD
            if attributes is not None and b"StorageClass" in attributes:
                storage_class = orjson.loads(attributes).get("StorageClass", STANDARD)
            entry = {
                "Key": encode(key),
                "LastModified": _timestamp(last_modified),
                "ETag": f'"{etag}"',
                "Size": size,
                "StorageClass": storage_class,
            }
            if owner is not None:
                entry["Owner"] = owner
            contents.append(entry)
        result: dict[str, Any] = {
            "IsTruncated": page.is_truncated,
            "Name": bucket,
            "Prefix": encode(prefix),
            "MaxKeys": max_keys,
            "KeyCount": len(contents) + len(page.common_prefixes),
        }
        if contents:
            result["Contents"] = contents
        if page.common_prefixes:
            result["CommonPrefixes"] = [{"Prefix": encode(p)} for p in page.common_prefixes]
        if delimiter:
            result["Delimiter"] = encode(delimiter)
        if encoding:
            result["EncodingType"] = encoding
        if token is not None:
            result["ContinuationToken"] = token
        if page.next_token is not None:
            result["NextContinuationToken"] = page.next_token
        if start_after:
            result["StartAfter"] = encode(start_after)
        return result
