"""The S3 service's tables. The server runs :data:`SCHEMA` at start (idempotent).

Object bodies are files in the BlobStore named by tidal's blob ids (the user's key never
becomes a path), except bodies up to ``INLINE_MAX_BYTES``, which live in the row itself
(``blob_id`` NULL, ``inline_body`` set) — see ``tidal.storage.blobs`` for why. ``s3_objects`` is keyed (bucket, key) WITHOUT ROWID, so a bucket's keys are
stored in the byte order of their UTF-8 text, the order ListObjectsV2 returns them in.

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
    etag TEXT NOT NULL,                 -- MD5 hex of the body, without quotes
    last_modified REAL NOT NULL,        -- epoch seconds, millisecond precision
    attributes BLOB,                    -- JSON: content headers, storage class, user metadata
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS s3_notification_configurations (
    bucket TEXT PRIMARY KEY,
    configuration BLOB NOT NULL         -- JSON, as GetBucketNotificationConfiguration returns it
) WITHOUT ROWID;
"""
