"""The S3 service: buckets, objects and notification configurations, on plain dicts.

Operations follow :mod:`tidal.services.operation`: ``method(call, params) -> dict`` with
boto3's member names in and out. Object operations live in :mod:`.objects`, multipart uploads
in :mod:`.multipart`; this module holds the service's state and the bucket-level operations.

In-memory state mirrors committed data only: each bucket's region and parsed notification
configuration are cached so the PutObject/DeleteObject hot path needs no extra query, and
the cache changes only in ``call.after_commit`` callbacks, so a rolled-back write can never
leave it ahead of the database.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from tidal.services.environment import ServiceEnv
from tidal.services.operation import Call, reads, writes
from tidal.services.s3 import errors
from tidal.services.s3.bucket_names import validate_bucket_name
from tidal.services.s3.events import Sequencer, owner_canonical_id
from tidal.services.s3.multipart import MultipartOperations
from tidal.services.s3.notifications import (
    EMPTY_ROUTING,
    FunctionPermits,
    NotificationRouting,
    normalise_notification_configuration,
)
from tidal.services.s3.objects import ObjectOperations
from tidal.services.s3.schema import SCHEMA
from tidal.storage.database import Connection

__all__ = ["SCHEMA", "S3Service", "BucketState", "VALID_LOCATION_CONSTRAINTS"]

US_EAST_1 = "us-east-1"

# botocore's BucketLocationConstraint enum (s3 2006-03-01, botocore 1.44). 'EU' is the
# legacy name of eu-west-1.
VALID_LOCATION_CONSTRAINTS = frozenset({
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
    "ca-west-1", "cn-north-1", "cn-northwest-1", "EU", "eu-central-1", "eu-central-2",
    "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-2",
    "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
})

MAX_BUCKETS_LIMIT = 10000


@dataclass(slots=True)
class BucketState:
    """What the write path needs to know about a bucket without a query."""

    name: str
    region: str
    routing: NotificationRouting = EMPTY_ROUTING


def _timestamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class S3Service(MultipartOperations, ObjectOperations):  # multipart first: it adds ?partNumber to GET/HEAD
    SCHEMA = SCHEMA

    def __init__(self, env: ServiceEnv, function_permits: FunctionPermits | None = None) -> None:
        self.env = env
        self.function_permits = function_permits
        self._sequencer = Sequencer()
        self._buckets: dict[str, BucketState] = {}
        self._load_bucket_states(env.db.reader())

    # -- committed state ------------------------------------------------------------------

    def _load_bucket_states(self, conn: Connection) -> None:
        configurations = dict(conn.execute("SELECT bucket, configuration FROM s3_notification_configurations"))
        for name, region in conn.execute("SELECT name, region FROM s3_buckets"):
            raw = configurations.get(name)
            routing = NotificationRouting.from_configuration(orjson.loads(raw)) if raw else EMPTY_ROUTING
            self._buckets[name] = BucketState(name, region, routing)

    def _bucket_state(self, conn: Connection, bucket: str) -> BucketState | None:
        """The bucket as this connection sees it: the cache, or (for a bucket created in the
        same uncommitted group of writes) the database."""
        state = self._buckets.get(bucket)
        if state is not None:
            return state
        row = conn.execute("SELECT region FROM s3_buckets WHERE name = ?", (bucket,)).fetchone()
        if row is None:
            return None
        raw = conn.execute(
            "SELECT configuration FROM s3_notification_configurations WHERE bucket = ?", (bucket,)
        ).fetchone()
        routing = NotificationRouting.from_configuration(orjson.loads(raw[0])) if raw else EMPTY_ROUTING
        return BucketState(bucket, row[0], routing)

    @staticmethod
    def _require_bucket(conn: Connection, bucket: str) -> tuple:
        row = conn.execute(
            "SELECT account_id, region, location_constraint, created_at FROM s3_buckets WHERE name = ?", (bucket,)
        ).fetchone()
        if row is None:
            raise errors.no_such_bucket(bucket)
        return row

    def _new_configuration_id(self) -> str:
        # AWS's generated Ids are base64 of a UUID string.
        return base64.b64encode(self.env.ids.uuid4().encode()).decode()

    # -- buckets ----------------------------------------------------------------------------

    @staticmethod
    def _placement(endpoint_region: str, configuration: dict | None) -> tuple[str, str | None]:
        """(bucket region, location constraint as stored) for a CreateBucket sent to ``endpoint_region``.

        AWS: the us-east-1 endpoint creates a bucket in any region its LocationConstraint
        names, but rejects naming us-east-1 itself (InvalidLocationConstraint); every other
        regional endpoint requires the constraint to be its own region
        (IllegalLocationConstraintException, "unspecified" when there is none).
        """
        constraint = (configuration or {}).get("LocationConstraint") or None
        if endpoint_region == US_EAST_1:
            if constraint is None:
                return US_EAST_1, None
            if constraint == US_EAST_1 or constraint not in VALID_LOCATION_CONSTRAINTS:
                raise errors.invalid_location_constraint(constraint)
            return ("eu-west-1" if constraint == "EU" else constraint), constraint
        if constraint is None:
            raise errors.illegal_location_constraint(None)
        if constraint == endpoint_region or (constraint == "EU" and endpoint_region == "eu-west-1"):
            return endpoint_region, constraint
        if constraint not in VALID_LOCATION_CONSTRAINTS:
            raise errors.invalid_location_constraint(constraint)
        raise errors.illegal_location_constraint(constraint)

    @writes
    def create_bucket(self, call: Call, params: dict) -> dict:
        name = validate_bucket_name(params.get("Bucket"))
        region, constraint = self._placement(call.region, params.get("CreateBucketConfiguration"))
        conn = call.db
        existing = conn.execute("SELECT account_id, region FROM s3_buckets WHERE name = ?", (name,)).fetchone()
        if existing is not None:
            owner, existing_region = existing
            if owner != call.account_id:
                raise errors.bucket_already_exists(name)
            # AWS, for legacy compatibility: re-creating your own bucket in us-east-1 is a 200.
            if existing_region == US_EAST_1 and region == US_EAST_1:
                return {"Location": f"/{name}"}
            raise errors.bucket_already_owned_by_you(name)
        conn.execute(
            "INSERT INTO s3_buckets (name, account_id, region, location_constraint, created_at) VALUES (?, ?, ?, ?, ?)",
            (name, call.account_id, region, constraint, call.now),
        )
        state = BucketState(name, region)
        call.after_commit(lambda: self._buckets.__setitem__(name, state))
        location = f"/{name}" if region == US_EAST_1 else f"http://{name}.s3.amazonaws.com/"
        return {"Location": location}

    @reads
    def head_bucket(self, call: Call, params: dict) -> dict:
        # A missing bucket is NoSuchBucket/404; on a HEAD the wire carries no body, so boto3
        # reports the code as "404", as it does against AWS.
        bucket = params["Bucket"]
        _, region, _, _ = self._require_bucket(call.db, bucket)
        return {"BucketRegion": region, "AccessPointAlias": False}

    @reads
    def get_bucket_location(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        _, _, constraint, _ = self._require_bucket(call.db, bucket)
        # us-east-1 buckets have an empty LocationConstraint, which boto3 reads as None.
        return {"LocationConstraint": constraint}

    @reads
    def list_buckets(self, call: Call, params: dict) -> dict:
        prefix = params.get("Prefix") or ""
        region_filter = params.get("BucketRegion")
        max_buckets = params.get("MaxBuckets")
        if max_buckets is not None and not (
            isinstance(max_buckets, int) and 1 <= max_buckets <= MAX_BUCKETS_LIMIT
        ):
            raise errors.invalid_argument(
                "Argument max-buckets must be an integer between 1 and 10000", "max-buckets", max_buckets
            )
        after = ""
        token = params.get("ContinuationToken")
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
            except (binascii.Error, UnicodeError, ValueError):
                after = ""
            if not after:
                raise errors.invalid_argument("The continuation token provided is incorrect", "continuation-token")
        sql = "SELECT name, created_at, region FROM s3_buckets WHERE account_id = ? AND name > ?"
        args: list[Any] = [call.account_id, after]
        if prefix:
            sql += " AND substr(name, 1, ?) = ?"
            args += [len(prefix), prefix]
        if region_filter:
            sql += " AND region = ?"
            args.append(region_filter)
        sql += " ORDER BY name"
        limit = max_buckets or MAX_BUCKETS_LIMIT
        sql += " LIMIT ?"
        args.append(limit + 1)
        rows = call.db.execute(sql, args).fetchall()
        result: dict[str, Any] = {
            "Buckets": [
                {"Name": name, "CreationDate": _timestamp(created), "BucketRegion": region}
                for name, created, region in rows[:limit]
            ],
            "Owner": {"ID": owner_canonical_id(call.account_id)},
        }
        if prefix:
            result["Prefix"] = prefix
        if len(rows) > limit:
            result["ContinuationToken"] = base64.urlsafe_b64encode(rows[limit - 1][0].encode()).decode()
        return result

    @writes
    def delete_bucket(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        conn = call.db
        self._require_bucket(conn, bucket)
        if conn.execute("SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1", (bucket,)).fetchone():
            raise errors.bucket_not_empty(bucket)
        conn.execute("DELETE FROM s3_buckets WHERE name = ?", (bucket,))
        conn.execute("DELETE FROM s3_notification_configurations WHERE bucket = ?", (bucket,))
        self._drop_uploads(call, bucket)  # uploads in progress do not keep a bucket alive
        call.after_commit(lambda: self._buckets.pop(bucket, None))
        return {}

    # -- notification configuration ---------------------------------------------------------

    @writes
    def put_bucket_notification_configuration(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        conn = call.db
        _, region, _, _ = self._require_bucket(conn, bucket)
        configuration = normalise_notification_configuration(
            params.get("NotificationConfiguration"),
            bucket=bucket,
            account_id=call.account_id,
            new_id=self._new_configuration_id,
            function_permits=self.function_permits,
            skip_destination_validation=bool(params.get("SkipDestinationValidation")),
        )
        if configuration:
            conn.execute(
                "INSERT OR REPLACE INTO s3_notification_configurations (bucket, configuration) VALUES (?, ?)",
                (bucket, orjson.dumps(configuration)),
            )
        else:
            # An empty configuration turns notifications off.
            conn.execute("DELETE FROM s3_notification_configurations WHERE bucket = ?", (bucket,))
        state = BucketState(bucket, region, NotificationRouting.from_configuration(configuration))
        call.after_commit(lambda: self._buckets.__setitem__(bucket, state))
        return {}

    @reads
    def get_bucket_notification_configuration(self, call: Call, params: dict) -> dict:
        bucket = params["Bucket"]
        conn = call.db
        self._require_bucket(conn, bucket)
        row = conn.execute(
            "SELECT configuration FROM s3_notification_configurations WHERE bucket = ?", (bucket,)
        ).fetchone()
        return orjson.loads(row[0]) if row else {}

    # -- housekeeping -------------------------------------------------------------------------

    def referenced_blob_ids(self, conn: Connection | None = None) -> set[str]:
        """Blob ids the S3 tables point at (for the sweep of blobs orphaned by a crash).

        One read transaction: CompleteMultipartUpload moves a part's blob into the objects
        table, and a blob read between the two SELECTs would otherwise be in neither.
        """
        conn = conn or self.env.db.reader()
        conn.execute("BEGIN")
        try:
            return {
                row[0]
                for table in ("s3_objects", "s3_multipart_parts")
                for row in conn.execute(f"SELECT blob_id FROM {table} WHERE blob_id IS NOT NULL")
            }
        finally:
            conn.execute("COMMIT")
