"""The S3 service's tables. The server runs :data:`SCHEMA` at start (idempotent).

Object bodies are files in the BlobStore named by tidal's blob ids (the user's key never
becomes a path), except bodies up to ``INLINE_MAX_BYTES``, which live in the row itself
(``blob_id`` NULL, ``inline_body`` set) — see ``tidal.storage.blobs`` for why. ``s3_objects`` is keyed (bucket, key) WITHOUT ROWID, so a bucket's keys are
stored in the byte order of their UTF-8 text, the order ListObjectsV2 returns them in.

Multipart uploads in progress are ``s3_multipart_uploads`` rows (what the object will carry)
and their ``s3_multipart_parts`` (bodies inline or blob files, like objects); both go when the
upload completes or is aborted.

Versioning is not modelled yet: one row per key, and an overwrite replaces it. Versioned
buckets will need a version id in the object key (and delete markers), with the current
version found by the highest sequence per (bucket, key).
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS s3_buckets (
    name TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    location_constraint TEXT,           -- as given (so 'EU' reads back 'EU'); NULL in us-east-1
    created_at REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS s3_objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    blob_id TEXT,                       -- NULL when the body is inline
    inline_body BLOB,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,                 -- MD5 hex of the body, without quotes; "<md5>-<parts>" when multipart
    last_modified REAL NOT NULL,        -- epoch seconds, millisecond precision
    attributes BLOB,                    -- JSON: content headers, storage class, user metadata, part sizes
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS s3_notification_configurations (
    bucket TEXT PRIMARY KEY,
    configuration BLOB NOT NULL         -- JSON, as GetBucketNotificationConfiguration returns it
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS s3_multipart_uploads (
    seq INTEGER PRIMARY KEY,            -- creation order: uploads of one key list oldest first
    upload_id TEXT NOT NULL UNIQUE,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    initiated REAL NOT NULL,            -- epoch seconds
    attributes BLOB,                    -- JSON, as s3_objects.attributes: for the completed object
    checksum_algorithm TEXT,            -- as CreateMultipartUpload named it (CRC32, SHA256, ...)
    checksum_type TEXT
);
CREATE INDEX IF NOT EXISTS s3_multipart_uploads_by_key ON s3_multipart_uploads (bucket, key, seq);

CREATE TABLE IF NOT EXISTS s3_multipart_parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    blob_id TEXT,                       -- NULL when the body is inline
    inline_body BLOB,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,                 -- MD5 hex of the part, without quotes
    last_modified REAL NOT NULL,
    checksum_algorithm TEXT,            -- the flexible checksum the part was sent with, if any
    checksum TEXT,                      -- its base64 value (verified by the protocol layer)
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
"""
