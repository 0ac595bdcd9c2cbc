"""S3Service in-process, called as the dispatcher calls it (see conftest.S3Harness)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

import orjson
import pytest

from tidal.checksums import b64_checksum
from tidal.errors import AWSError
from tidal.services.s3.events import host_id_for, sequencer_compare
from tidal.storage.blobs import INLINE_MAX_BYTES

FN = "arn:aws:lambda:us-east-1:000000000000:function:thumbs"
FN2 = "arn:aws:lambda:us-east-1:000000000000:function:audit"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:audit"


def error(s3, operation, params=None, **call_options) -> AWSError:
    with pytest.raises(AWSError) as err:
        s3(operation, params, **call_options)
    return err.value


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def bucket(s3):
    s3("create_bucket", {"Bucket": "photos"})
    return "photos"


def put(s3, key, body=b"data", bucket="photos", **params):
    return s3("put_object", {"Bucket": bucket, "Key": key, "Body": body, **params})


def notify(s3, *configs, bucket="photos", **params):
    return s3("put_bucket_notification_configuration",
              {"Bucket": bucket, "NotificationConfiguration": {"LambdaFunctionConfigurations": list(configs)}, **params})


def config(events=("s3:ObjectCreated:*",), prefix=None, suffix=None, arn=FN, **extra):
    entry = {"LambdaFunctionArn": arn, "Events": list(events), **extra}
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v is not None]
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


# -- buckets ------------------------------------------------------------------------------------


def test_create_bucket_and_head_it(s3):
    assert s3("create_bucket", {"Bucket": "photos"}) == {"Location": "/photos"}
    assert s3("head_bucket", {"Bucket": "photos"}) == {"BucketRegion": "us-east-1", "AccessPointAlias": False}
    assert s3("get_bucket_location", {"Bucket": "photos"}) == {"LocationConstraint": None}


def test_create_bucket_rejects_invalid_names(s3):
    err = error(s3, "create_bucket", {"Bucket": "Bad_Name"})
    assert (err.code, err.status, err.fields) == ("InvalidBucketName", 400, {"BucketName": "Bad_Name"})


def test_us_east_1_rejects_naming_itself_as_location_constraint(s3):
    err = error(s3, "create_bucket", {"Bucket": "photos", "CreateBucketConfiguration": {"LocationConstraint": "us-east-1"}})
    assert (err.code, err.message, err.status) == (
        "InvalidLocationConstraint", "The specified location-constraint is not valid", 400)
    err = error(s3, "create_bucket", {"Bucket": "photos", "CreateBucketConfiguration": {"LocationConstraint": "mars-1"}})
    assert err.code == "InvalidLocationConstraint"


def test_us_east_1_creates_buckets_in_the_region_the_constraint_names(s3):
    result = s3("create_bucket", {"Bucket": "euro", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}})
    assert result == {"Location": "http://euro.s3.amazonaws.com/"}
    assert s3("head_bucket", {"Bucket": "euro"})["BucketRegion"] == "eu-west-1"
    assert s3("get_bucket_location", {"Bucket": "euro"}) == {"LocationConstraint": "eu-west-1"}


def test_regional_endpoint_requires_its_own_region(s3):
    err = error(s3, "create_bucket", {"Bucket": "photos"}, region="eu-west-1")
    assert (err.code, err.status) == ("IllegalLocationConstraintException", 400)
    assert err.message == ("The unspecified location constraint is incompatible for the region specific endpoint"
                           " this request was sent to.")
    err = error(s3, "create_bucket", {"Bucket": "photos", "CreateBucketConfiguration": {"LocationConstraint": "us-west-2"}},
                region="eu-west-1")
    assert err.message.startswith("The us-west-2 location constraint is incompatible")
    s3("create_bucket", {"Bucket": "photos", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
       region="eu-west-1")
    assert s3("head_bucket", {"Bucket": "photos"})["BucketRegion"] == "eu-west-1"


def test_recreating_your_bucket_is_200_in_us_east_1_and_409_elsewhere(s3):
    s3("create_bucket", {"Bucket": "photos"})
    assert s3("create_bucket", {"Bucket": "photos"}) == {"Location": "/photos"}
    eu = {"Bucket": "euro", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}
    s3("create_bucket", eu, region="eu-west-1")
    err = error(s3, "create_bucket", eu, region="eu-west-1")
    assert (err.code, err.status, err.fields) == ("BucketAlreadyOwnedByYou", 409, {"BucketName": "euro"})


def test_another_accounts_bucket_already_exists(s3):
    s3("create_bucket", {"Bucket": "photos"})
    err = error(s3, "create_bucket", {"Bucket": "photos"}, account_id="111111111111")
    assert (err.code, err.status) == ("BucketAlreadyExists", 409)


def test_missing_bucket_is_no_such_bucket_for_every_operation(s3):
    for operation, extra in [
        ("head_bucket", {}), ("get_bucket_location", {}), ("delete_bucket", {}),
        ("put_object", {"Key": "k", "Body": b"x"}), ("get_object", {"Key": "k"}), ("head_object", {"Key": "k"}),
        ("delete_object", {"Key": "k"}), ("list_objects_v2", {}),
        ("get_bucket_notification_configuration", {}),
        ("put_bucket_notification_configuration", {"NotificationConfiguration": {}}),
    ]:
        err = error(s3, operation, {"Bucket": "nope", **extra})
        assert (err.code, err.status, err.fields) == ("NoSuchBucket", 404, {"BucketName": "nope"}), operation
        assert err.message == "The specified bucket does not exist"


def test_list_buckets(s3):
    for name in ["zeta", "alpha", "mid"]:
        s3("create_bucket", {"Bucket": name})
    s3("create_bucket", {"Bucket": "theirs"}, account_id="111111111111")
    result = s3("list_buckets")
    assert [b["Name"] for b in result["Buckets"]] == ["alpha", "mid", "zeta"]
    assert all(b["CreationDate"].tzinfo is not None and b["BucketRegion"] == "us-east-1" for b in result["Buckets"])
    assert re.fullmatch(r"[0-9a-f]{64}", result["Owner"]["ID"])
    assert "ContinuationToken" not in result

    first = s3("list_buckets", {"MaxBuckets": 2})
    assert [b["Name"] for b in first["Buckets"]] == ["alpha", "mid"]
    rest = s3("list_buckets", {"MaxBuckets": 2, "ContinuationToken": first["ContinuationToken"]})
    assert [b["Name"] for b in rest["Buckets"]] == ["zeta"] and "ContinuationToken" not in rest
    assert [b["Name"] for b in s3("list_buckets", {"Prefix": "m"})["Buckets"]] == ["mid"]
    assert error(s3, "list_buckets", {"MaxBuckets": 0}).code == "InvalidArgument"
    assert error(s3, "list_buckets", {"ContinuationToken": "!!"}).message == "The continuation token provided is incorrect"


def test_delete_bucket(s3, bucket):
    put(s3, "k")
    err = error(s3, "delete_bucket", {"Bucket": bucket})
    assert (err.code, err.status, err.fields) == ("BucketNotEmpty", 409, {"BucketName": bucket})
    s3("delete_object", {"Bucket": bucket, "Key": "k"})
    assert s3("delete_bucket", {"Bucket": bucket}) == {}
    assert error(s3, "head_bucket", {"Bucket": bucket}).code == "NoSuchBucket"
    assert "photos" not in s3.service._buckets


# -- objects ------------------------------------------------------------------------------------


def test_put_and_get_object(s3, bucket):
    body = b"hello world"
    before = datetime.now(UTC) - timedelta(seconds=1)
    result = put(s3, "greeting.txt", body, ContentType="text/plain", Metadata={"Color": "blue"},
                 CacheControl="max-age=60", ContentEncoding="identity", ContentDisposition="inline",
                 ContentLanguage="en", Expires=datetime(2030, 1, 1, tzinfo=UTC))
    # No flexible checksum sent: S3 stores its default CRC64NVME and says so.
    assert result == {"ETag": f'"{md5(body)}"', "ChecksumCRC64NVME": b64_checksum("crc64nvme", body),
                      "ChecksumType": "FULL_OBJECT"}
    got = s3("get_object", {"Bucket": bucket, "Key": "greeting.txt"})
    assert got["Body"] == body
    assert got["ContentLength"] == len(body)
    assert got["ETag"] == f'"{md5(body)}"'
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"color": "blue"}
    assert (got["CacheControl"], got["ContentEncoding"], got["ContentDisposition"], got["ContentLanguage"]) == (
        "max-age=60", "identity", "inline", "en")
    assert got["Expires"] == datetime(2030, 1, 1, tzinfo=UTC)
    assert got["AcceptRanges"] == "bytes"
    assert before <= got["LastModified"] <= datetime.now(UTC) and got["LastModified"].tzinfo is not None
    assert "__status__" not in got and "ContentRange" not in got and "StorageClass" not in got


# -- checksums ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [11, INLINE_MAX_BYTES + 1], ids=["inline", "blob"])
def test_an_object_keeps_the_checksum_it_was_sent_with(s3, bucket, size):
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    sent = b64_checksum("sha256", body)
    result = put(s3, "k", body, ChecksumSHA256=sent)
    assert (result["ChecksumSHA256"], result["ChecksumType"]) == (sent, "FULL_OBJECT")
    assert "ChecksumCRC64NVME" not in result
    for operation in ("get_object", "head_object"):
        got = s3(operation, {"Bucket": bucket, "Key": "k", "ChecksumMode": "ENABLED"})
        assert (got["ChecksumSHA256"], got["ChecksumType"]) == (sent, "FULL_OBJECT"), operation
        assert not any(name.startswith("Checksum") and name not in ("ChecksumSHA256", "ChecksumType") for name in got)


def test_the_checksum_shows_only_when_asked_and_only_for_all_the_bytes(s3, bucket):
    body = b"0123456789"
    put(s3, "k", body)
    default = b64_checksum("crc64nvme", body)
    plain = s3("get_object", {"Bucket": bucket, "Key": "k"})
    assert not [name for name in plain if name.startswith("Checksum")]
    whole = s3("get_object", {"Bucket": bucket, "Key": "k", "ChecksumMode": "ENABLED"})
    assert (whole["ChecksumCRC64NVME"], whole["ChecksumType"]) == (default, "FULL_OBJECT")
    ranged = s3("get_object", {"Bucket": bucket, "Key": "k", "ChecksumMode": "ENABLED", "Range": "bytes=0-3"})
    assert ranged["Body"] == b"0123"
    assert not [name for name in ranged if name.startswith("Checksum")]
    # A range of every byte is the whole object: AWS sends the checksum with it.
    every_byte = s3("get_object", {"Bucket": bucket, "Key": "k", "ChecksumMode": "ENABLED", "Range": "bytes=0-"})
    assert every_byte["__status__"] == 206 and every_byte["ChecksumCRC64NVME"] == default


def test_an_overwrite_replaces_the_checksum(s3, bucket):
    put(s3, "k", b"first", ChecksumCRC32=b64_checksum("crc32", b"first"))
    put(s3, "k", b"second")
    got = s3("head_object", {"Bucket": bucket, "Key": "k", "ChecksumMode": "ENABLED"})
    assert got["ChecksumCRC64NVME"] == b64_checksum("crc64nvme", b"second")
    assert "ChecksumCRC32" not in got


def test_defaults_of_a_bare_put(s3, bucket):
    put(s3, "bare", b"")
    got = s3("get_object", {"Bucket": bucket, "Key": "bare"})
    assert got["Body"] == b""
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert got["ContentType"] == "binary/octet-stream"
    assert got["Metadata"] == {}


def test_head_object_has_no_body(s3, bucket):
    put(s3, "k", b"12345", StorageClass="STANDARD_IA")
    head = s3("head_object", {"Bucket": bucket, "Key": "k"})
    assert "Body" not in head
    assert head["ContentLength"] == 5 and head["StorageClass"] == "STANDARD_IA"


def test_no_such_key(s3, bucket):
    for operation in ("get_object", "head_object"):
        err = error(s3, operation, {"Bucket": bucket, "Key": "missing/key"})
        assert (err.code, err.status, err.fields) == ("NoSuchKey", 404, {"Key": "missing/key"})
        assert err.message == "The specified key does not exist."


def test_key_too_long(s3, bucket):
    err = error(s3, "put_object", {"Bucket": bucket, "Key": "k" * 1025, "Body": b""})
    assert (err.code, err.status) == ("KeyTooLongError", 400)
    put(s3, "k" * 1024)


LARGE = b"L" * (INLINE_MAX_BYTES + 1)  # large enough to be a blob file, not inline


def test_overwrite_replaces_the_object_and_its_blob(s3, bucket):
    put(s3, "k", LARGE + b"first")
    [(_, _, first_blob, _)] = s3.object_rows()
    put(s3, "k", LARGE + b"second version")
    [(_, _, second_blob, size)] = s3.object_rows()
    assert size == len(LARGE + b"second version") and second_blob != first_blob
    assert s3.blobs.ids() == {second_blob}
    assert s3("get_object", {"Bucket": bucket, "Key": "k"})["Body"] == LARGE + b"second version"
    put(s3, "k", b"small now")
    assert s3.object_rows()[0][2] is None and s3.blobs.ids() == set()
    assert s3("get_object", {"Bucket": bucket, "Key": "k", "Range": "bytes=2-4"})["Body"] == b"all"


@pytest.mark.parametrize("body_size", [len(LARGE), 2 * 1024 * 1024])  # read on the loop / off it
@pytest.mark.parametrize("change", ["overwrite", "delete"])
def test_get_object_whose_blob_goes_between_row_and_file_reads_the_row_again(s3, bucket, body_size, change):
    # GetObject reads the row, then the file it names; a large file is read on a worker
    # thread, while the loop commits other writes. An overwrite or delete committed in
    # between removes that file: the reply must come from the row as it is now (the new
    # body, or NoSuchKey), never a 500 and never a mix of the two versions.
    put(s3, "k", b"1" * body_size)
    service = s3.service
    call = s3.new_call()
    call.db = s3.db.reader()
    params = {"Bucket": bucket, "Key": "k"}
    reads = []

    def read_then_change():
        reads.append(call)
        found = service._read_object(call, params, True)
        if len(reads) == 1:
            if change == "overwrite":
                put(s3, "k", b"2" * (body_size + 1))
            else:
                s3("delete_object", {"Bucket": bucket, "Key": "k"})
            assert s3.blobs.ids() == ({s3.object_rows()[0][2]} if change == "overwrite" else set())
        return found

    if change == "overwrite":
        result = asyncio.run(service._with_body(read_then_change))
        assert result["Body"] == b"2" * (body_size + 1) and result["ContentLength"] == body_size + 1
        assert result["ETag"] == f'"{hashlib.md5(result["Body"]).hexdigest()}"'
    else:
        with pytest.raises(AWSError) as raised:
            asyncio.run(service._with_body(read_then_change))
        assert raised.value.code == "NoSuchKey"
    assert len(reads) == 2


def test_small_bodies_are_inline_and_make_no_file(s3, bucket):
    put(s3, "tiny", b"x" * INLINE_MAX_BYTES)
    assert s3.object_rows()[0][2] is None and s3.blobs.ids() == set()
    assert s3("get_object", {"Bucket": bucket, "Key": "tiny"})["Body"] == b"x" * INLINE_MAX_BYTES


def test_bodies_are_stored_under_tidal_ids_never_the_key(s3, bucket):
    put(s3, "../../escape.txt", LARGE + b"x")
    put(s3, "/etc/passwd", LARGE + b"y")
    assert len(s3.blobs.ids()) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", blob) for blob in s3.blobs.ids())
    assert not (s3.root.parent / "escape.txt").exists()
    assert s3("get_object", {"Bucket": bucket, "Key": "../../escape.txt"})["Body"] == LARGE + b"x"


def test_delete_object(s3, bucket):
    put(s3, "k")
    assert s3("delete_object", {"Bucket": bucket, "Key": "k"}) == {}
    assert s3.object_rows() == [] and s3.blobs.ids() == set()
    assert error(s3, "get_object", {"Bucket": bucket, "Key": "k"}).code == "NoSuchKey"
    assert s3("delete_object", {"Bucket": bucket, "Key": "never-was"}) == {}


# -- ranges and conditions --------------------------------------------------------------------


BODY = bytes(range(100))


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-9", 0, 9), ("bytes=-5", 95, 99), ("bytes=10-", 10, 99), ("bytes=90-500", 90, 99)],
)
def test_ranged_get(s3, bucket, header, start, end):
    put(s3, "r", BODY)
    got = s3("get_object", {"Bucket": bucket, "Key": "r", "Range": header})
    assert got["__status__"] == 206
    assert got["Body"] == BODY[start : end + 1]
    assert got["ContentLength"] == end - start + 1
    assert got["ContentRange"] == f"bytes {start}-{end}/100"
    head = s3("head_object", {"Bucket": bucket, "Key": "r", "Range": header})
    assert head["__status__"] == 206 and head["ContentRange"] == got["ContentRange"]


def test_unsatisfiable_range(s3, bucket):
    put(s3, "r", BODY)
    err = error(s3, "get_object", {"Bucket": bucket, "Key": "r", "Range": "bytes=100-"})
    assert (err.code, err.status) == ("InvalidRange", 416)
    assert err.fields == {"RangeRequested": "bytes=100-", "ActualObjectSize": "100"}


def test_range_s3_ignores_serves_everything(s3, bucket):
    put(s3, "r", BODY)
    got = s3("get_object", {"Bucket": bucket, "Key": "r", "Range": "bytes=0-1,5-6"})
    assert got["Body"] == BODY and "__status__" not in got


def test_conditional_get(s3, bucket):
    etag = put(s3, "c", b"v")["ETag"]
    assert s3("get_object", {"Bucket": bucket, "Key": "c", "IfMatch": etag})["Body"] == b"v"
    err = error(s3, "get_object", {"Bucket": bucket, "Key": "c", "IfMatch": '"0000"'})
    assert (err.code, err.status, err.fields) == ("PreconditionFailed", 412, {"Condition": "If-Match"})
    assert error(s3, "get_object", {"Bucket": bucket, "Key": "c", "IfNoneMatch": etag}).status == 304
    future = datetime.now(UTC) + timedelta(days=1)
    assert error(s3, "head_object", {"Bucket": bucket, "Key": "c", "IfModifiedSince": future}).status == 304
    past = datetime.now(UTC) - timedelta(days=1)
    assert error(s3, "get_object", {"Bucket": bucket, "Key": "c", "IfUnmodifiedSince": past}).status == 412


def test_response_overrides(s3, bucket):
    put(s3, "o", b"v", ContentType="text/plain")
    got = s3("get_object", {"Bucket": bucket, "Key": "o", "ResponseContentType": "application/json",
                            "ResponseContentDisposition": "attachment"})
    assert (got["ContentType"], got["ContentDisposition"]) == ("application/json", "attachment")


# -- listing --------------------------------------------------------------------------------------


def keys_of(result):
    return [c["Key"] for c in result.get("Contents", [])]


def prefixes_of(result):
    return [p["Prefix"] for p in result.get("CommonPrefixes", [])]


def test_list_objects_v2_basics(s3, bucket):
    for key in ["b", "a", "c/1", "c/2", "d"]:
        put(s3, key, key.encode())
    result = s3("list_objects_v2", {"Bucket": bucket})
    assert keys_of(result) == ["a", "b", "c/1", "c/2", "d"]
    assert (result["Name"], result["Prefix"], result["MaxKeys"], result["KeyCount"], result["IsTruncated"]) == (
        bucket, "", 1000, 5, False)
    first = result["Contents"][0]
    assert first["ETag"] == f'"{md5(b"a")}"' and first["Size"] == 1 and first["StorageClass"] == "STANDARD"
    assert first["LastModified"].tzinfo is not None
    assert "NextContinuationToken" not in result and "Owner" not in first
    assert "Owner" in s3("list_objects_v2", {"Bucket": bucket, "FetchOwner": True})["Contents"][0]


def test_list_prefix_delimiter_and_start_after(s3, bucket):
    for key in ["photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photos/top.jpg", "videos/v.mp4", "readme"]:
        put(s3, key)
    result = s3("list_objects_v2", {"Bucket": bucket, "Delimiter": "/"})
    assert keys_of(result) == ["readme"] and prefixes_of(result) == ["photos/", "videos/"]
    assert result["KeyCount"] == 3 and result["Delimiter"] == "/"
    result = s3("list_objects_v2", {"Bucket": bucket, "Prefix": "photos/", "Delimiter": "/"})
    assert keys_of(result) == ["photos/top.jpg"] and prefixes_of(result) == ["photos/2024/", "photos/2025/"]
    result = s3("list_objects_v2", {"Bucket": bucket, "Prefix": "photos/2024/"})
    assert keys_of(result) == ["photos/2024/a.jpg", "photos/2024/b.jpg"]
    result = s3("list_objects_v2", {"Bucket": bucket, "StartAfter": "photos/2025/c.jpg"})
    assert keys_of(result) == ["photos/top.jpg", "readme", "videos/v.mp4"] and result["StartAfter"] == "photos/2025/c.jpg"
    assert keys_of(s3("list_objects_v2", {"Bucket": bucket, "Prefix": "nothing"})) == []


def page_through(s3, bucket, **params):
    seen_keys, seen_prefixes, token, pages = [], [], None, 0
    while True:
        request = {"Bucket": bucket, **params}
        if token:
            request["ContinuationToken"] = token
        result = s3("list_objects_v2", request)
        pages += 1
        assert result["KeyCount"] == len(keys_of(result)) + len(prefixes_of(result)) <= params.get("MaxKeys", 1000)
        seen_keys += keys_of(result)
        seen_prefixes += prefixes_of(result)
        if not result["IsTruncated"]:
            assert "NextContinuationToken" not in result
            return seen_keys, seen_prefixes, pages
        token = result["NextContinuationToken"]


@pytest.mark.parametrize("max_keys", [1, 2, 3, 7, 1000])
def test_pagination_visits_everything_once(s3, bucket, max_keys):
    keys = sorted([f"k{i:03d}" for i in range(20)] + [f"dir{d}/f{i}" for d in range(3) for i in range(4)] + ["dir9/"])
    for key in keys:
        put(s3, key, b"")
    all_keys, _, pages = page_through(s3, bucket, MaxKeys=max_keys)
    assert all_keys == keys
    assert pages == -(-len(keys) // max_keys) if max_keys < len(keys) else pages == 1
    flat, folders, _ = page_through(s3, bucket, MaxKeys=max_keys, Delimiter="/")
    assert flat == [f"k{i:03d}" for i in range(20)]
    assert folders == ["dir0/", "dir1/", "dir2/", "dir9/"]


def test_max_keys_zero_and_over_1000(s3, bucket):
    put(s3, "a")
    result = s3("list_objects_v2", {"Bucket": bucket, "MaxKeys": 0})
    assert (result["KeyCount"], result["IsTruncated"], result["MaxKeys"]) == (0, False, 0) and "Contents" not in result
    assert s3("list_objects_v2", {"Bucket": bucket, "MaxKeys": 5000})["KeyCount"] == 1


@pytest.mark.parametrize("token", ["", "garbage!", "Zm9v", "MVh4eA=="])
def test_invalid_continuation_token(s3, bucket, token):
    err = error(s3, "list_objects_v2", {"Bucket": bucket, "ContinuationToken": token})
    assert (err.code, err.message, err.status) == ("InvalidArgument", "The continuation token provided is incorrect", 400)


def test_encoding_type_url(s3, bucket):
    put(s3, "dir one/a+b@c.txt")
    put(s3, "dir one/x y")
    result = s3("list_objects_v2", {"Bucket": bucket, "EncodingType": "url", "Delimiter": "/"})
    assert result["EncodingType"] == "url"
    assert [unquote_plus(p) for p in prefixes_of(result)] == ["dir one/"]
    result = s3("list_objects_v2", {"Bucket": bucket, "EncodingType": "url", "Prefix": "dir one/"})
    assert [unquote_plus(k) for k in keys_of(result)] == ["dir one/a+b@c.txt", "dir one/x y"]
    assert unquote_plus(result["Prefix"]) == "dir one/"
    assert error(s3, "list_objects_v2", {"Bucket": bucket, "EncodingType": "base64"}).code == "InvalidArgument"


def test_listing_order_is_utf8_byte_order(s3, bucket):
    keys = ["a", "Z", "é", "€", "\U0001f600", "a/b", "a-b", "a b"]
    for key in keys:
        put(s3, key)
    assert keys_of(s3("list_objects_v2", {"Bucket": bucket})) == sorted(keys, key=lambda k: k.encode())


# -- notification configuration ---------------------------------------------------------------


def test_notification_configuration_round_trip(s3, bucket):
    assert s3("get_bucket_notification_configuration", {"Bucket": bucket}) == {}
    notify(s3, config(prefix="uploads/", suffix=".jpg"), SkipDestinationValidation=True)
    stored = s3("get_bucket_notification_configuration", {"Bucket": bucket})
    [entry] = stored["LambdaFunctionConfigurations"]
    assert entry["LambdaFunctionArn"] == FN and entry["Events"] == ["s3:ObjectCreated:*"]
    assert entry["Filter"] == {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "uploads/"},
                                                       {"Name": "Suffix", "Value": ".jpg"}]}}
    assert entry["Id"]
    s3("put_bucket_notification_configuration", {"Bucket": bucket, "NotificationConfiguration": {}})
    assert s3("get_bucket_notification_configuration", {"Bucket": bucket}) == {}


def test_destination_validation_uses_the_injected_check(make_s3):
    asked = []

    def permits(function_arn, bucket_arn, account):
        asked.append((function_arn, bucket_arn, account))
        return function_arn == FN

    s3 = make_s3(permits)
    s3("create_bucket", {"Bucket": "photos"})
    notify(s3, config())
    assert asked == [(FN, "arn:aws:s3:::photos", "000000000000")]
    err = error(s3, "put_bucket_notification_configuration",
                {"Bucket": "photos", "NotificationConfiguration": {"LambdaFunctionConfigurations": [config(arn=FN2)]}})
    assert err.message == "Unable to validate the following destination configurations"
    assert err.fields["ArgumentName1"] == f"{FN2}, null"
    # The failed PUT left the previous configuration in place.
    assert s3("get_bucket_notification_configuration", {"Bucket": "photos"})["LambdaFunctionConfigurations"][0][
        "LambdaFunctionArn"] == FN
    notify(s3, config(arn=FN2), SkipDestinationValidation=True)


# -- the outbox rule ----------------------------------------------------------------------------


def test_matching_put_writes_one_outbox_row_with_the_event(s3, bucket):
    notify(s3, config(prefix="uploads/", suffix=".jpg", Id="thumbs"))
    body = b"jpeg bytes"
    put(s3, "uploads/summer trip@2024.jpg", body)
    call = s3.last_call
    [(kind, target, payload)] = s3.outbox_rows()
    assert (kind, target) == ("lambda.async", FN)
    message = orjson.loads(payload)
    [record] = message["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventTime"] == datetime.fromtimestamp(call.now, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{int(call.now * 1000) % 1000:03d}Z"
    assert record["requestParameters"] == {"sourceIPAddress": call.client_ip}
    assert record["responseElements"] == {"x-amz-request-id": call.request_id, "x-amz-id-2": host_id_for(call.request_id)}
    assert record["s3"]["configurationId"] == "thumbs"
    assert record["s3"]["bucket"]["name"] == bucket
    obj = record["s3"]["object"]
    assert obj["key"] == "uploads/summer+trip%402024.jpg"
    assert (obj["size"], obj["eTag"]) == (len(body), md5(body))
    assert re.fullmatch(r"[0-9A-F]{18}", obj["sequencer"]) and "versionId" not in obj


def test_non_matching_put_writes_no_outbox_row(s3, bucket):
    notify(s3, config(prefix="uploads/", suffix=".jpg"))
    put(s3, "uploads/a.png")
    put(s3, "other/a.jpg")
    assert s3.outbox_rows() == []
    assert len(s3.object_rows()) == 2


def test_queue_configurations_match_but_emit_nothing_yet(s3, bucket):
    s3("put_bucket_notification_configuration", {"Bucket": bucket, "NotificationConfiguration": {
        "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]}})
    put(s3, "k")
    assert s3.outbox_rows() == []


def test_a_failed_put_writes_neither_object_nor_event_nor_blob(s3, bucket, monkeypatch):
    notify(s3, config())

    def broken_emit(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(s3.outbox, "emit", broken_emit)
    with pytest.raises(RuntimeError):
        put(s3, "k", b"never stored")
    assert s3.object_rows() == [] and s3.outbox_rows() == [] and s3.blobs.ids() == set()


def test_a_put_to_a_missing_bucket_leaves_nothing(s3):
    assert error(s3, "put_object", {"Bucket": "nope", "Key": "k", "Body": b"x"}).code == "NoSuchBucket"
    assert s3.object_rows() == [] and s3.outbox_rows() == [] and s3.blobs.ids() == set()


def test_overwrite_keeps_the_old_blob_until_commit_and_rollback_keeps_it(s3, bucket):
    put(s3, "k", LARGE + b"old")
    [(_, _, old_blob, _)] = s3.object_rows()

    def put_then_fail(call):
        s3.service.put_object(call, {"Bucket": bucket, "Key": "k", "Body": LARGE + b"new"})
        raise RuntimeError("later step failed")

    with pytest.raises(RuntimeError):
        s3.write_job(put_then_fail)
    [(_, _, blob, _)] = s3.object_rows()
    assert blob == old_blob and old_blob in s3.blobs.ids()
    assert s3("get_object", {"Bucket": bucket, "Key": "k"})["Body"] == LARGE + b"old"


def test_rolled_back_configuration_never_reaches_the_cache(s3, bucket):
    def configure_then_fail(call):
        s3.service.put_bucket_notification_configuration(
            call, {"Bucket": bucket, "NotificationConfiguration": {"LambdaFunctionConfigurations": [config()]}})
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        s3.write_job(configure_then_fail)
    assert not s3.service._buckets[bucket].routing
    put(s3, "k")
    assert s3.outbox_rows() == []


def test_delete_emits_object_removed_without_size_or_etag(s3, bucket):
    notify(s3, config(events=["s3:ObjectRemoved:*"], Id="audit"))
    put(s3, "gone.txt")
    assert s3.outbox_rows() == []
    s3("delete_object", {"Bucket": bucket, "Key": "gone.txt"})
    s3("delete_object", {"Bucket": bucket, "Key": "never-existed"})
    rows = s3.outbox_rows()
    assert len(rows) == 2
    record = orjson.loads(rows[0][2])["Records"][0]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert set(record["s3"]["object"]) == {"key", "sequencer"}


def test_each_matching_function_gets_its_own_row(s3, bucket):
    notify(s3, config(prefix="a/", arn=FN, Id="one"), config(events=["s3:ObjectCreated:Put"], suffix=".txt", prefix="b/",
                                                                arn=FN2, Id="two"))
    put(s3, "a/x.txt")
    put(s3, "b/x.txt")
    rows = s3.outbox_rows()
    assert [(r[1], orjson.loads(r[2])["Records"][0]["s3"]["configurationId"]) for r in rows] == [(FN, "one"), (FN2, "two")]


def test_sequencers_of_one_key_increase(s3, bucket):
    notify(s3, config(events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]))
    put(s3, "k", b"1")
    s3("delete_object", {"Bucket": bucket, "Key": "k"})
    put(s3, "k", b"2")
    sequencers = [orjson.loads(r[2])["Records"][0]["s3"]["object"]["sequencer"] for r in s3.outbox_rows()]
    assert len(sequencers) == 3
    assert all(sequencer_compare(a, b) < 0 for a, b in zip(sequencers, sequencers[1:], strict=False))


def test_event_region_is_the_buckets(s3):
    s3("create_bucket", {"Bucket": "euro", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}})
    notify(s3, config(), bucket="euro")
    put(s3, "k", bucket="euro")
    assert orjson.loads(s3.outbox_rows()[0][2])["Records"][0]["awsRegion"] == "eu-west-1"


def test_configuration_survives_a_restart(s3, bucket):
    notify(s3, config(suffix=".jpg"))
    s3.restart()
    put(s3, "x.jpg")
    put(s3, "x.png")
    assert len(s3.outbox_rows()) == 1


def test_bucket_created_and_configured_in_one_uncommitted_group_still_notifies(s3):
    def all_in_one_job(call):
        service = s3.service
        service.create_bucket(call, {"Bucket": "fresh"})
        service.put_bucket_notification_configuration(
            call, {"Bucket": "fresh", "NotificationConfiguration": {"LambdaFunctionConfigurations": [config()]}})
        return service.put_object(call, {"Bucket": "fresh", "Key": "k", "Body": b"x"})

    s3.write_job(all_in_one_job)
    assert len(s3.outbox_rows()) == 1
    assert s3.service._buckets["fresh"].routing
