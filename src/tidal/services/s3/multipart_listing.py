"""ListParts and ListMultipartUploads: the listings of :mod:`.multipart`'s uploads in progress.

Both page at most 1,000 entries (also the default); a larger MaxParts/MaxUploads is served at
the cap and echoed capped, a negative one is InvalidArgument with AWS's message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import orjson

from tidal.services.operation import Call, reads
from tidal.services.s3 import errors
from tidal.services.s3.events import owner_canonical_id
from tidal.services.s3.objects import STANDARD

if TYPE_CHECKING:
    from collections.abc import Callable

    from tidal.storage.database import Connection

MAX_LISTED = 1000  # the most parts / uploads one page lists, and the default
INT32_MAX = 2147483647


def _count_argument(params: dict, member: str, name: str, default: int) -> int:
    value = params.get(member)
    if value is None:
        return default
    if not isinstance(value, int) or not 0 <= value <= INT32_MAX:
        raise errors.invalid_argument(f"Argument {name} must be an integer between 0 and {INT32_MAX}", name, value)
    return value


def _timestamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _owner(account_id: str) -> dict[str, str]:
    return {"ID": owner_canonical_id(account_id)}


def _storage_class(attributes: bytes | None) -> str:
    return (orjson.loads(attributes).get("StorageClass") if attributes else None) or STANDARD


def _url_encode(text: str) -> str:
    # AWS's encoding-type=url on this listing: space as '+', '/' and '*' kept (recorded against
    # S3); unlike AWS, quote_plus also keeps '~'.
    return quote_plus(text, safe="/*")


class MultipartListings:
    """Base of :class:`.multipart.MultipartOperations`, which provides ``_require_upload``;
    S3Service provides ``_require_bucket``."""

    _require_bucket: Callable[[Connection, str], tuple]
    _require_upload: Callable[[Connection, str, str, str], tuple]

    @reads
    def list_parts(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        key = params["Key"]
        upload_id = params["UploadId"]
        conn = call.db
        self._require_bucket(conn, bucket)
        attributes, algorithm, checksum_type, _ = self._require_upload(conn, bucket, key, upload_id)
        max_parts = min(_count_argument(params, "MaxParts", "max-parts", MAX_LISTED), MAX_LISTED)
        marker = _count_argument(params, "PartNumberMarker", "part-number-marker", 0)
        rows = conn.execute(
            "SELECT part_number, last_modified, etag, size, checksum_algorithm, checksum FROM s3_multipart_parts"
            " WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
            (upload_id, marker, max_parts + 1),
        ).fetchall()
        truncated = len(rows) > max_parts
        rows = rows[:max_parts]
        parts = []
        for number, modified, etag, size, part_algorithm, checksum in rows:
            part: dict[str, Any] = {
                "PartNumber": number, "LastModified": _timestamp(modified), "ETag": f'"{etag}"', "Size": size,
            }
            if checksum is not None:
                part[f"Checksum{part_algorithm}"] = checksum
            parts.append(part)
        owner = _owner(call.account_id)
        result: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumberMarker": marker,
            "NextPartNumberMarker": parts[-1]["PartNumber"] if parts else 0,
            "MaxParts": max_parts,
            "IsTruncated": truncated,
            "Initiator": owner,
            "Owner": owner,
            "StorageClass": _storage_class(attributes),
        }
        if parts:
            result["Parts"] = parts
        if algorithm:
            result["ChecksumAlgorithm"] = algorithm
            result["ChecksumType"] = checksum_type
        return result

    @reads
    def list_multipart_uploads(self, call: Call, params: dict) -> dict:
        """Uploads by key, then oldest first within a key (AWS's order); KeyMarker alone resumes
        after that key, with UploadIdMarker after that upload of it, as AWS's NextKeyMarker and
        NextUploadIdMarker say. An UploadIdMarker that names no upload of KeyMarker is
        InvalidArgument, as LocalStack records of AWS."""
        bucket = params["Bucket"]
        conn = call.db
        self._require_bucket(conn, bucket)
        encoding = params.get("EncodingType")
        if encoding is not None and encoding != "url":
            raise errors.invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", encoding)
        limit = min(_count_argument(params, "MaxUploads", "max-uploads", MAX_LISTED), MAX_LISTED)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        key_marker = params.get("KeyMarker") or ""
        upload_id_marker = params.get("UploadIdMarker") or ""
        sql = (
            "SELECT key, upload_id, initiated, attributes, checksum_algorithm, checksum_type"
            " FROM s3_multipart_uploads WHERE bucket = ? AND key >= ?"
        )
        args: list[Any] = [bucket, prefix]
        if key_marker and upload_id_marker:
            found = conn.execute(
                "SELECT seq FROM s3_multipart_uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
                (upload_id_marker, bucket, key_marker),
            ).fetchone()
            if found is None:
                raise errors.invalid_argument("Invalid uploadId marker", "upload-id-marker", upload_id_marker)
            sql += " AND (key > ? OR (key = ? AND seq > ?))"
            args += [key_marker, key_marker, found[0]]
        elif key_marker:
            sql += " AND key > ?"
            args.append(key_marker)
        sql += " ORDER BY key, seq"
        encode = _url_encode if encoding else (lambda text: text)
        owner = _owner(call.account_id)
        uploads: list[dict[str, Any]] = []
        prefixes: list[str] = []
        last: tuple[str, str] | None = None  # (NextKeyMarker, NextUploadIdMarker)
        truncated = False
        for key, upload_id, initiated, attributes, algorithm, checksum_type in conn.execute(sql, args):
            if not key.startswith(prefix):
                break  # keys are in order from the prefix on: past it, nothing more matches
            common = None
            if delimiter:
                head, found_delimiter, _ = key[len(prefix) :].partition(delimiter)
                if found_delimiter:
                    common = prefix + head + delimiter
                    if (prefixes and prefixes[-1] == common) or (key_marker and common <= key_marker):
                        continue  # rolled up already, on this page or an earlier one
            if len(uploads) + len(prefixes) >= limit:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
                last = (common, "")
                continue
            upload: dict[str, Any] = {
                "UploadId": upload_id,
                "Key": encode(key),
                "Initiated": _timestamp(initiated),
                "StorageClass": _storage_class(attributes),
                "Owner": owner,
                "Initiator": owner,
            }
            if algorithm:
                upload["ChecksumAlgorithm"] = algorithm
                upload["ChecksumType"] = checksum_type
            uploads.append(upload)
            last = (key, upload_id)
        result: dict[str, Any] = {
            "Bucket": bucket,
            "KeyMarker": encode(key_marker),
            "UploadIdMarker": upload_id_marker if key_marker else "",
            "Prefix": encode(prefix),
            "MaxUploads": limit,
            "IsTruncated": truncated,
        }
        if last is not None:
            result["NextKeyMarker"] = encode(last[0])
            result["NextUploadIdMarker"] = last[1]
        if delimiter:
            result["Delimiter"] = encode(delimiter)
        if uploads:
            result["Uploads"] = uploads
        if prefixes:
            result["CommonPrefixes"] = [{"Prefix": encode(p)} for p in prefixes]
        if encoding:
            result["EncodingType"] = encoding
        return result
