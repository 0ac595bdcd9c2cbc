"""Object Lock and append headers on PutObject and CreateMultipartUpload, refused as S3 refuses
them: tidal's buckets have no Object Lock configuration and are not directory buckets.

The messages and their order are S3's as recorded by LocalStack's snapshot tests and in raw
S3 answers quoted by versitygw's issues: the mode and the retain-until date must come
together (checked before the mode's value), then each value, then the bucket's lack of a
lock configuration. An append (``x-amz-write-offset-bytes``) to a general-purpose bucket is
501, as mountpoint-s3's tests against S3 find.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tidal.errors import AWSError
from tidal.services.s3 import errors

_EVENT_HOLD = ("ObjectLockEventHold", "ObjectLockEventHoldDurationDays", "ObjectLockEventHoldDurationYears")
_MEMBERS = frozenset(
    {"ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus", "WriteOffsetBytes", *_EVENT_HOLD}
)
_MODES = ("GOVERNANCE", "COMPLIANCE")
_HOLDS = ("ON", "OFF")
MODE_HEADER = "x-amz-object-lock-mode"
UNTIL_HEADER = "x-amz-object-lock-retain-until-date"


def check_write_headers(params: dict, now: float) -> None:
    """Raise S3's error for the Object Lock or append headers of a write, if it has any."""
    if _MEMBERS.isdisjoint(params):
        return
    mode = params.get("ObjectLockMode")
    until = params.get("ObjectLockRetainUntilDate")
    hold = params.get("ObjectLockLegalHoldStatus")
    if (mode is None) != (until is None):
        raise errors.invalid_argument(
            f"{UNTIL_HEADER} and {MODE_HEADER} must both be supplied", UNTIL_HEADER if until is None else MODE_HEADER
        )
    if mode is not None and mode not in _MODES:
        raise errors.invalid_argument("Unknown wormMode directive.", MODE_HEADER, mode)
    if isinstance(until, datetime) and until.timestamp() <= now:
        shown = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        raise errors.invalid_argument("The retain until date must be in the future!", UNTIL_HEADER, shown)
    if hold is not None and hold not in _HOLDS:
        raise errors.invalid_argument(
            "Legal Hold must be either of 'ON' or 'OFF'", "x-amz-object-lock-legal-hold", hold
        )
    if params.get("WriteOffsetBytes") is not None:
        raise AWSError(
            "NotImplemented", "A header you provided implies functionality that is not implemented", 501,
            fields={"Header": "x-amz-write-offset-bytes"},
        )
    if mode is not None or hold is not None or any(params.get(member) is not None for member in _EVENT_HOLD):
        raise errors.invalid_request("Bucket is missing ObjectLockConfiguration")
