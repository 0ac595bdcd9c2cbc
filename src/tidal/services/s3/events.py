"""The S3 event record (spec 1.2-1.4): its shape, the key encoding, the sequencer, identities.

Records are built when the change is written, inside its transaction, so they carry that
request's id, time and client address exactly as the triggering response did.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

EVENT_VERSION = "2.1"
EVENT_SOURCE = "aws:s3"
S3_SCHEMA_VERSION = "1.0"

OBJECT_CREATED_PUT = "s3:ObjectCreated:Put"
OBJECT_REMOVED_DELETE = "s3:ObjectRemoved:Delete"

SEQUENCER_WIDTH = 18  # hex digits, as in AWS's examples ("0066F1A2B3C4D5E6F7")


def encode_event_key(key: str) -> str:
    """The key as events carry it: form-urlencoded, space → ``+``, ``@`` → ``%40``, ``/`` kept.

    AWS documents the space and shows ``@`` and ``/`` in recorded output (spec 1.3); the
    other reserved characters follow ``quote_plus`` and are unverified. Consumers decode
    with ``unquote_plus``.
    """
    return quote_plus(key, safe="/")


def format_event_time(epoch_seconds: float) -> str:
    """ISO-8601 UTC with milliseconds: ``2025-03-04T10:11:12.345Z``."""
    millis = int(epoch_seconds * 1000)
    seconds, millis = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


# -- sequencer --------------------------------------------------------------------------------


class Sequencer:
    """Fixed-width uppercase hex values, strictly increasing for the life of the process.

    The value is the wall clock in nanoseconds, bumped by one whenever the clock has not
    moved on, so it is monotonic per key (the promise AWS makes) and globally. Across a
    restart it stays monotonic as long as the wall clock does not step back by more than
    the restart took.
    """

    __slots__ = ("_now_ns", "_last", "_lock")

    def __init__(self, now_ns: Callable[[], int] = time.time_ns) -> None:
        self._now_ns = now_ns
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            value = self._now_ns()
            if value <= self._last:
                value = self._last + 1
            self._last = value
        return f"{value:0{SEQUENCER_WIDTH}X}"


def sequencer_compare(a: str, b: str) -> int:
    """AWS's rule (spec 1.4): right-pad the shorter with ``0`` and compare; -1, 0 or 1.

    Only sequencers of the same key are comparable.
    """
    width = max(len(a), len(b))
    a, b = a.upper().ljust(width, "0"), b.upper().ljust(width, "0")
    return (a > b) - (a < b)


# -- identities --------------------------------------------------------------------------------


def host_id_for(request_id: str) -> str:
    """The ``x-amz-id-2`` that goes with an S3 request id.

    Derived, not random, so the response header and the event's ``responseElements`` agree
    without passing it around. It must stay the same derivation as the rest-xml protocol's
    ``tidal.protocol.rest_xml.host_id`` (services may not import the protocol layer; a test
    checks the two agree).
    """
    return base64.b64encode(request_id.encode()).decode("ascii")


@lru_cache(maxsize=64)
def owner_canonical_id(account_id: str) -> str:
    """The bucket owner's canonical user id (64 hex digits), as ListBuckets' ``Owner.ID``."""
    return hashlib.sha256(b"tidal-canonical-user:" + account_id.encode()).hexdigest()


@lru_cache(maxsize=64)
def owner_principal_id(account_id: str) -> str:
    """The short owner id events carry in ``bucket.ownerIdentity.principalId`` (``A2EXAMPLE...``)."""
    digest = hashlib.sha256(b"tidal-owner:" + account_id.encode()).digest()
    return "A" + base64.b32encode(digest).decode()[:13]


@lru_cache(maxsize=64)
def caller_principal_id(account_id: str) -> str:
    """``userIdentity.principalId``: tidal does not model IAM users, so one per account."""
    digest = hashlib.sha256(b"tidal-user:" + account_id.encode()).digest()
    return "AWS:AIDA" + base64.b32encode(digest).decode()[:17]


# -- the record -------------------------------------------------------------------------------


def build_record(
    *,
    event_name: str,
    region: str,
    event_time: float,
    request_id: str,
    source_ip: str,
    account_id: str,
    configuration_id: str,
    bucket: str,
    key: str,
    sequencer: str,
    size: int | None = None,
    etag: str | None = None,
    version_id: str | None = None,
    host_id: str | None = None,
) -> dict[str, Any]:
    """One element of an S3 notification's ``Records`` (spec 1.2).

    ``event_name`` with or without the ``s3:`` prefix; ``etag`` without quotes. ``size`` and
    ``etag`` are left out when ``None`` (ObjectRemoved:Delete), ``versionId`` when the
    bucket is not versioned (recorded AWS output omits it).
    """
    obj: dict[str, Any] = {"key": encode_event_key(key)}
    if size is not None:
        obj["size"] = size
    if etag is not None:
        obj["eTag"] = etag
    if version_id is not None:
        obj["versionId"] = version_id
    obj["sequencer"] = sequencer
    return {
        "eventVersion": EVENT_VERSION,
        "eventSource": EVENT_SOURCE,
        "awsRegion": region,
        "eventTime": format_event_time(event_time),
        "eventName": event_name[3:] if event_name.startswith("s3:") else event_name,
        "userIdentity": {"principalId": caller_principal_id(account_id)},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {
            "x-amz-request-id": request_id,
            "x-amz-id-2": host_id if host_id is not None else host_id_for(request_id),
        },
        "s3": {
            "s3SchemaVersion": S3_SCHEMA_VERSION,
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": owner_principal_id(account_id)},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }
