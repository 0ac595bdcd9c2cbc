"""S3 multipart uploads in-process (see conftest.S3Harness): the operations, AWS's errors, events, restarts."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from tidal.checksums import b64_checksum, digest
from tidal.errors import AWSError
from tidal.services.operation import operation_preparation
from tidal.services.s3.multipart import MIN_PART_SIZE
from tidal.storage.blobs import INLINE_MAX_BYTES

FN = "arn:aws:lambda:us-east-1:000000000000:function:thumbs"
MiB = 1024 * 1024
NO_SUCH_UPLOAD = (
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted"
    " or completed."
)
INVALID_PART = (
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the"
    " specified entity tag may not match the part's entity tag."
)
PART_A = b"a" * MIN_PART_SIZE
PART_B = b"b" * (MIN_PART_SIZE + 3)
PART_C = b"tail bytes"


def error(s3, operation, params=None, **call_options) -> AWSError:
    with pytest.raises(AWSError) as err:
        s3(operation, params, **call_options)
    return err.value


def multipart_etag(*parts: bytes) -> str:
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


@pytest.fixture
def bucket(s3):
    s3("create_bucket", {"Bucket": "photos"})
    return "photos"


def create(s3, key="big.bin", **params) -> str:
    return s3("create_multipart_upload", {"Bucket": "photos", "Key": key, **params})["UploadId"]


def upload(s3, upload_id, number, body, key="big.bin", **params) -> str:
    return s3("upload_part", {"Bucket": "photos", "Key": key, "UploadId": upload_id, "PartNumber": number,
                              "Body": body, **params})["ETag"]


def complete(s3, upload_id, parts, key="big.bin", **params) -> dict:
    document = {"Parts": [{"PartNumber": n, "ETag": etag} for n, etag in parts]}
    return s3("complete_multipart_upload", {"Bucket": "photos", "Key": key, "UploadId": upload_id,
                                            "MultipartUpload": document, **params})


def parts_of(s3, upload_id, key="big.bin", **params) -> list[int]:
    result = s3("list_parts", {"Bucket": "photos", "Key": key, "UploadId": upload_id, **params})
    return [p["PartNumber"] for p in result.get("Parts", [])]


def uploaded_three(s3) -> tuple[str, list[tuple[int, str]]]:
    upload_id = create(s3)
    return upload_id, [(n, upload(s3, upload_id, n, body)) for n, body in ((1, PART_A), (2, PART_B), (3, PART_C))]


# -- the happy path -----------------------------------------------------------------------------


def test_upload_parts_and_complete(s3, bucket):
    upload_id = create(s3, ContentType="video/mp4", Metadata={"Camera": "x100"}, CacheControl="no-cache")
    other = create(s3)
    assert len(upload_id) >= 32 and upload_id != other
    etags = [upload(s3, upload_id, n, body) for n, body in ((1, PART_A), (2, PART_B), (3, PART_C))]
    assert etags == [f'"{hashlib.md5(p).hexdigest()}"' for p in (PART_A, PART_B, PART_C)]
    result = complete(s3, upload_id, list(zip((1, 2, 3), etags, strict=True)))
    expected = multipart_etag(PART_A, PART_B, PART_C)
    # Created without a checksum algorithm: S3's default, CRC64NVME of the whole object.
    whole_crc = b64_checksum("crc64nvme", PART_A + PART_B + PART_C)
    assert result == {"Location": "http://127.0.0.1:4566/photos/big.bin", "Bucket": "photos", "Key": "big.bin",
                      "ETag": expected, "ChecksumCRC64NVME": whole_crc, "ChecksumType": "FULL_OBJECT"}
    got = s3("get_object", {"Bucket": bucket, "Key": "big.bin"})
    assert got["Body"] == PART_A + PART_B + PART_C
    assert (got["ETag"], got["ContentLength"]) == (expected, len(PART_A + PART_B + PART_C))
    assert (got["ContentType"], got["Metadata"], got["CacheControl"]) == ("video/mp4", {"camera": "x100"}, "no-cache")
    assert s3("head_object", {"Bucket": bucket, "Key": "big.bin"})["ETag"] == expected
    listed = s3("list_objects_v2", {"Bucket": bucket})["Contents"]
    assert [(o["Key"], o["ETag"], o["Size"]) for o in listed] == [("big.bin", expected, got["ContentLength"])]
    # The upload is gone, and with it every part blob: one blob left, the object's.
    assert error(s3, "list_parts", {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id}).code == "NoSuchUpload"
    assert [u["UploadId"] for u in s3("list_multipart_uploads", {"Bucket": bucket})["Uploads"]] == [other]
    (object_row,) = s3.object_rows()
    assert s3.blobs.ids() == {object_row[2]}


def test_range_read_across_a_part_boundary(s3, bucket):
    upload_id, parts = uploaded_three(s3)
    complete(s3, upload_id, parts)
    start = len(PART_A) - 4
    got = s3("get_object", {"Bucket": bucket, "Key": "big.bin", "Range": f"bytes={start}-{start + 9}"})
    assert got["Body"] == b"aaaabbbbbb"
    assert got["__status__"] == 206
    assert got["ContentRange"] == f"bytes {start}-{start + 9}/{len(PART_A) + len(PART_B) + len(PART_C)}"
    tail = s3("get_object", {"Bucket": bucket, "Key": "big.bin", "Range": "bytes=-12"})["Body"]
    assert tail == b"bb" + PART_C


def test_get_and_head_one_part(s3, bucket):
    upload_id, parts = uploaded_three(s3)
    complete(s3, upload_id, parts)
    whole = len(PART_A) + len(PART_B) + len(PART_C)
    got = s3("get_object", {"Bucket": bucket, "Key": "big.bin", "PartNumber": 2})
    assert got["Body"] == PART_B and got["ContentLength"] == len(PART_B) and got["PartsCount"] == 3
    assert got["ContentRange"] == f"bytes {len(PART_A)}-{len(PART_A) + len(PART_B) - 1}/{whole}"
    assert got["__status__"] == 206 and got["ETag"] == multipart_etag(PART_A, PART_B, PART_C)
    head = s3("head_object", {"Bucket": bucket, "Key": "big.bin", "PartNumber": 3})
    assert "Body" not in head and head["ContentLength"] == len(PART_C) and head["PartsCount"] == 3
    err = error(s3, "get_object", {"Bucket": bucket, "Key": "big.bin", "PartNumber": 4})
    assert (err.code, err.status, err.message) == ("InvalidPartNumber", 416, "The requested partnumber is not satisfiable")
    assert err.fields == {"PartNumberRequested": 4, "ActualPartCount": 3}
    err = error(s3, "get_object", {"Bucket": bucket, "Key": "big.bin", "PartNumber": 1, "Range": "bytes=0-1"})
    assert (err.code, err.status, err.message) == (
        "InvalidRequest", 400, "Cannot specify both Range header and partNumber query parameter")
    assert error(s3, "head_object", {"Bucket": bucket, "Key": "big.bin", "PartNumber": 0}).code == "InvalidArgument"
    # An object stored in one piece is its own part 1, and has no other.
    s3("put_object", {"Bucket": bucket, "Key": "small", "Body": b"hello"})
    got = s3("get_object", {"Bucket": bucket, "Key": "small", "PartNumber": 1})
    assert got["Body"] == b"hello" and got["ContentRange"] == "bytes 0-4/5" and "PartsCount" not in got
    assert error(s3, "get_object", {"Bucket": bucket, "Key": "small", "PartNumber": 2}).fields == {
        "PartNumberRequested": 2, "ActualPartCount": 1}
    assert error(s3, "get_object", {"Bucket": bucket, "Key": "none", "PartNumber": 1}).code == "NoSuchKey"


def test_a_small_upload_is_stored_inline_and_a_lone_big_part_keeps_its_blob(s3, bucket):
    upload_id = create(s3, key="tiny")
    etag = upload(s3, upload_id, 1, b"just this", key="tiny")
    assert complete(s3, upload_id, [(1, etag)], key="tiny")["ETag"] == multipart_etag(b"just this")
    assert s3("get_object", {"Bucket": bucket, "Key": "tiny"})["Body"] == b"just this"
    lone = create(s3)
    etag = upload(s3, lone, 1, PART_B)
    (part_blob,) = s3.blobs.ids()
    complete(s3, lone, [(1, etag)])
    rows = {key: blob for _, key, blob, _ in s3.object_rows()}
    assert rows == {"tiny": None, "big.bin": part_blob} and s3.blobs.ids() == {part_blob}
    assert s3("get_object", {"Bucket": bucket, "Key": "big.bin"})["Body"] == PART_B


def test_complete_replaces_an_object_and_deletes_its_blob(s3, bucket):
    s3("put_object", {"Bucket": bucket, "Key": "big.bin", "Body": b"o" * (INLINE_MAX_BYTES + 1)})
    (old_blob,) = s3.blobs.ids()
    upload_id, parts = uploaded_three(s3)
    complete(s3, upload_id, parts)
    (row,) = s3.object_rows()
    assert s3.blobs.ids() == {row[2]} and row[2] != old_blob
    # And a plain PUT over the multipart object forgets its parts.
    s3("put_object", {"Bucket": bucket, "Key": "big.bin", "Body": b"plain"})
    assert s3("get_object", {"Bucket": bucket, "Key": "big.bin", "PartNumber": 1})["Body"] == b"plain"
    assert s3.blobs.ids() == set()


def test_parts_left_out_of_the_list_are_discarded(s3, bucket):
    upload_id, parts = uploaded_three(s3)
    complete(s3, upload_id, [parts[0], parts[2]])
    assert s3("get_object", {"Bucket": bucket, "Key": "big.bin"})["Body"] == PART_A + PART_C
    assert len(s3.blobs.ids()) == 1


# -- errors -------------------------------------------------------------------------------------


def test_missing_bucket(s3):
    for operation, extra in [
        ("create_multipart_upload", {}), ("upload_part", {"UploadId": "u", "PartNumber": 1, "Body": b"x"}),
        ("complete_multipart_upload", {"UploadId": "u", "MultipartUpload": {"Parts": []}}),
        ("abort_multipart_upload", {"UploadId": "u"}), ("list_parts", {"UploadId": "u"}),
        ("list_multipart_uploads", {}),
    ]:
        err = error(s3, operation, {"Bucket": "nope", "Key": "k", **extra})
        assert (err.code, err.status, err.fields) == ("NoSuchBucket", 404, {"BucketName": "nope"}), operation


def test_unknown_upload_is_no_such_upload(s3, bucket):
    upload_id = create(s3)
    for operation, extra in [
        ("upload_part", {"PartNumber": 1, "Body": b"x"}),
        ("complete_multipart_upload", {"MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": "x"}]}}),
        ("abort_multipart_upload", {}), ("list_parts", {}),
    ]:
        for key, uid in (("big.bin", "not-an-upload"), ("other-key", upload_id)):
            err = error(s3, operation, {"Bucket": bucket, "Key": key, "UploadId": uid, **extra})
            assert (err.code, err.status, err.message, err.fields) == (
                "NoSuchUpload", 404, NO_SUCH_UPLOAD, {"UploadId": uid}), operation


def test_part_number_out_of_range(s3, bucket):
    upload_id = create(s3)
    for number in (0, 10001, -3):
        err = error(s3, "upload_part", {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id,
                                        "PartNumber": number, "Body": b"x"})
        assert (err.code, err.status, err.message) == (
            "InvalidArgument", 400, "Part number must be an integer between 1 and 10000, inclusive")
        assert err.fields == {"ArgumentName": "partNumber", "ArgumentValue": number}
    assert upload(s3, upload_id, 10000, b"x")
    assert parts_of(s3, upload_id) == [10000]


def test_key_too_long(s3, bucket):
    err = error(s3, "create_multipart_upload", {"Bucket": bucket, "Key": "k" * 1025})
    assert (err.code, err.status) == ("KeyTooLongError", 400)


def assert_intact(s3, upload_id, expected_parts=(1, 2, 3)):
    assert parts_of(s3, upload_id) == list(expected_parts)
    assert s3.object_rows() == []


def test_complete_errors_leave_the_upload_intact(s3, bucket):
    upload_id, parts = uploaded_three(s3)
    (p1, e1), (p2, e2), (p3, e3) = parts
    blobs = s3.blobs.ids()

    for order in ([(p2, e2), (p1, e1)], [(p1, e1), (p1, e1), (p2, e2)]):
        err = error(s3, "complete_multipart_upload", {
            "Bucket": bucket, "Key": "big.bin", "UploadId": upload_id,
            "MultipartUpload": {"Parts": [{"PartNumber": n, "ETag": e} for n, e in order]}})
        assert (err.code, err.status, err.message, err.fields) == (
            "InvalidPartOrder", 400,
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
            {"UploadId": upload_id})

    with pytest.raises(AWSError) as raised:
        complete(s3, upload_id, [(p1, e1), (7, e2)])
    err = raised.value
    assert (err.code, err.status, err.message) == ("InvalidPart", 400, INVALID_PART)
    assert err.fields == {"UploadId": upload_id, "PartNumber": 7, "ETag": e2.strip('"')}
    with pytest.raises(AWSError) as raised:
        complete(s3, upload_id, [(p1, e1), (p2, '"0123456789abcdef0123456789abcdef"')])
    assert raised.value.code == "InvalidPart"

    assert_intact(s3, upload_id)
    assert s3.blobs.ids() == blobs
    # Parts may be left out, and the last may be small.
    assert complete(s3, upload_id, [(p1, e1), (p3, e3)])["ETag"] == multipart_etag(PART_A, PART_C)


def test_entity_too_small_and_other_complete_errors(s3, bucket):
    upload_id = create(s3)
    small = upload(s3, upload_id, 1, b"s" * (MIN_PART_SIZE - 1))
    big = upload(s3, upload_id, 2, PART_A)
    with pytest.raises(AWSError) as raised:
        complete(s3, upload_id, [(1, small), (2, big)])
    err = raised.value
    assert (err.code, err.status, err.message) == (
        "EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed size")
    assert err.fields == {"ProposedSize": MIN_PART_SIZE - 1, "MinSizeAllowed": 5 * MiB, "PartNumber": 1,
                          "ETag": small.strip('"')}
    base = {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id}
    err = error(s3, "complete_multipart_upload", {**base, "MultipartUpload": {"Parts": []}})
    assert (err.code, err.status, err.message) == ("InvalidRequest", 400, "You must specify at least one part")
    err = error(s3, "complete_multipart_upload", base)
    assert (err.code, err.status) == ("MalformedXML", 400)
    with pytest.raises(AWSError) as raised:
        complete(s3, upload_id, [(2, big)], MpuObjectSize=12)
    assert (raised.value.code, raised.value.message) == (
        "InvalidRequest",
        f"The provided 'x-amz-mp-object-size' header value 12 does not match what was computed: {len(PART_A)}")
    assert_intact(s3, upload_id, (1, 2))
    # The same upload still completes, with the parts that qualify.
    assert complete(s3, upload_id, [(2, big)], MpuObjectSize=len(PART_A))["ETag"] == multipart_etag(PART_A)


def test_a_complete_that_fails_after_assembly_rolls_back(s3, bucket):
    upload_id, parts = uploaded_three(s3)
    part_blobs = s3.blobs.ids()

    def complete_then_fail(call):
        s3.service.complete_multipart_upload(call, {
            "Bucket": bucket, "Key": "big.bin", "UploadId": upload_id,
            "MultipartUpload": {"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]}})
        raise RuntimeError("the commit never happens")

    with pytest.raises(RuntimeError):
        s3.write_job(complete_then_fail)
    assert_intact(s3, upload_id)
    assert part_blobs <= s3.blobs.ids()
    assert complete(s3, upload_id, parts)["ETag"] == multipart_etag(PART_A, PART_B, PART_C)


def test_the_copy_made_before_the_transaction_becomes_the_object(s3, bucket):
    upload_id, parts = uploaded_three(s3)
    part_blobs = s3.blobs.ids()
    complete(s3, upload_id, parts)
    [(_, _, blob_id, _)] = s3.object_rows()
    assert s3.blobs.ids() == {blob_id} and blob_id not in part_blobs
    assert s3("get_object", {"Bucket": bucket, "Key": "big.bin"})["Body"] == PART_A + PART_B + PART_C


def test_a_copy_of_parts_resent_since_is_not_used(s3, bucket):
    upload_id, parts = uploaded_three(s3)
    params = {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id,
              "MultipartUpload": {"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]}}
    prepare = operation_preparation(s3.service.complete_multipart_upload)
    stale_copy = prepare(s3.new_call(), params)()
    # Part 2 sent again with the same bytes: same ETag, a new file, so the copy is of old files.
    upload(s3, upload_id, 2, PART_B)

    def complete_with_the_stale_copy(call):
        call.prepared = stale_copy
        return s3.service.complete_multipart_upload(call, params)

    assert s3.write_job(complete_with_the_stale_copy)["ETag"] == multipart_etag(PART_A, PART_B, PART_C)
    [(_, _, blob_id, _)] = s3.object_rows()
    assert blob_id != stale_copy[1] and s3.blobs.ids() == {blob_id}
    assert s3("get_object", {"Bucket": bucket, "Key": "big.bin"})["Body"] == PART_A + PART_B + PART_C


# -- parts, abort, listings ---------------------------------------------------------------------


def test_uploading_a_part_again_replaces_it(s3, bucket):
    upload_id = create(s3)
    first = upload(s3, upload_id, 1, b"x" * (INLINE_MAX_BYTES + 1))
    first_blobs = s3.blobs.ids()
    second = upload(s3, upload_id, 1, PART_A)
    assert first != second and s3.blobs.ids().isdisjoint(first_blobs) and len(s3.blobs.ids()) == 1
    listed = s3("list_parts", {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id})["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [(1, second, len(PART_A))]
    tail = upload(s3, upload_id, 2, PART_C)
    with pytest.raises(AWSError) as raised:
        complete(s3, upload_id, [(1, first), (2, tail)])
    assert raised.value.code == "InvalidPart"
    complete(s3, upload_id, [(1, second), (2, tail)])
    assert s3("get_object", {"Bucket": bucket, "Key": "big.bin"})["Body"] == PART_A + PART_C


def test_abort(s3, bucket):
    upload_id, _ = uploaded_three(s3)
    assert s3.blobs.ids()
    base = {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id}
    assert s3("abort_multipart_upload", base) == {}
    assert s3.blobs.ids() == set()
    assert "Uploads" not in s3("list_multipart_uploads", {"Bucket": bucket})
    assert error(s3, "upload_part", {**base, "PartNumber": 1, "Body": b"x"}).code == "NoSuchUpload"
    assert error(s3, "abort_multipart_upload", base).code == "NoSuchUpload"


def test_list_parts_pages(s3, bucket):
    upload_id = create(s3)
    for number in (1, 2, 3, 5, 8):
        upload(s3, upload_id, number, f"part {number}".encode())
    base = {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id}
    page = s3("list_parts", {**base, "MaxParts": 2})
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2]
    assert (page["IsTruncated"], page["NextPartNumberMarker"], page["MaxParts"], page["PartNumberMarker"]) == (
        True, 2, 2, 0)
    assert page["StorageClass"] == "STANDARD" and page["Owner"] == page["Initiator"]
    assert page["Parts"][0]["Size"] == 6 and page["Parts"][0]["LastModified"].tzinfo is not None
    page = s3("list_parts", {**base, "MaxParts": 2, "PartNumberMarker": 2})
    assert [p["PartNumber"] for p in page["Parts"]] == [3, 5] and page["IsTruncated"]
    page = s3("list_parts", {**base, "MaxParts": 2, "PartNumberMarker": 5})
    assert [p["PartNumber"] for p in page["Parts"]] == [8] and not page["IsTruncated"]
    assert page["NextPartNumberMarker"] == 8
    assert s3("list_parts", {**base, "MaxParts": 5000})["MaxParts"] == 1000
    err = error(s3, "list_parts", {**base, "MaxParts": -1})
    assert (err.code, err.message, err.fields) == (
        "InvalidArgument", "Argument max-parts must be an integer between 0 and 2147483647",
        {"ArgumentName": "max-parts", "ArgumentValue": -1})
    assert error(s3, "list_parts", {**base, "PartNumberMarker": -1}).message == (
        "Argument part-number-marker must be an integer between 0 and 2147483647")


def test_list_multipart_uploads_pages(s3, bucket):
    ids = {}
    for key in ("b", "a", "b", "c/1", "c/2", "d"):
        ids.setdefault(key, []).append(create(s3, key=key))
    order = [("a", ids["a"][0]), ("b", ids["b"][0]), ("b", ids["b"][1]), ("c/1", ids["c/1"][0]),
             ("c/2", ids["c/2"][0]), ("d", ids["d"][0])]
    everything = s3("list_multipart_uploads", {"Bucket": bucket})
    assert [(u["Key"], u["UploadId"]) for u in everything["Uploads"]] == order
    assert (everything["IsTruncated"], everything["MaxUploads"], everything["KeyMarker"]) == (False, 1000, "")
    assert everything["Uploads"][0]["StorageClass"] == "STANDARD"

    seen, params = [], {"Bucket": bucket, "MaxUploads": 2}
    while True:
        page = s3("list_multipart_uploads", params)
        seen += [(u["Key"], u["UploadId"]) for u in page["Uploads"]]
        if not page["IsTruncated"]:
            break
        params = {**params, "KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert seen == order

    after_b = s3("list_multipart_uploads", {"Bucket": bucket, "KeyMarker": "b"})
    assert [u["Key"] for u in after_b["Uploads"]] == ["c/1", "c/2", "d"]
    prefixed = s3("list_multipart_uploads", {"Bucket": bucket, "Prefix": "c/"})
    assert [u["Key"] for u in prefixed["Uploads"]] == ["c/1", "c/2"] and prefixed["Prefix"] == "c/"
    grouped = s3("list_multipart_uploads", {"Bucket": bucket, "Delimiter": "/"})
    assert [u["Key"] for u in grouped["Uploads"]] == ["a", "b", "b", "d"]
    assert grouped["CommonPrefixes"] == [{"Prefix": "c/"}]
    err = error(s3, "list_multipart_uploads", {"Bucket": bucket, "KeyMarker": "b", "UploadIdMarker": ids["a"][0]})
    assert (err.code, err.message, err.fields["ArgumentName"]) == (
        "InvalidArgument", "Invalid uploadId marker", "upload-id-marker")
    err = error(s3, "list_multipart_uploads", {"Bucket": bucket, "MaxUploads": -5})
    assert err.message == "Argument max-uploads must be an integer between 0 and 2147483647"
    encoded = s3("list_multipart_uploads", {"Bucket": bucket, "Prefix": "c/", "EncodingType": "url"})
    assert encoded["EncodingType"] == "url"


# -- events, checksums, restarts ----------------------------------------------------------------


def test_one_complete_multipart_event_and_none_for_parts(s3, bucket):
    s3("put_bucket_notification_configuration", {"Bucket": bucket, "NotificationConfiguration": {
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FN, "Events": ["s3:ObjectCreated:*"]}]},
        "SkipDestinationValidation": True})
    upload_id, parts = uploaded_three(s3)
    assert s3.outbox_rows() == []
    complete(s3, upload_id, parts)
    (row,) = s3.outbox_rows()
    assert row[:2] == ("lambda.async", FN)
    (record,) = orjson.loads(row[2])["Records"]
    assert record["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    assert record["s3"]["object"]["size"] == len(PART_A) + len(PART_B) + len(PART_C)
    assert record["s3"]["object"]["eTag"] == multipart_etag(PART_A, PART_B, PART_C).strip('"')
    assert record["s3"]["object"]["key"] == "big.bin"
    assert record["responseElements"]["x-amz-request-id"] == s3.last_call.request_id


def test_part_checksums_are_echoed_listed_and_checked(s3, bucket):
    created = s3("create_multipart_upload", {"Bucket": bucket, "Key": "big.bin", "ChecksumAlgorithm": "CRC32"})
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("CRC32", "COMPOSITE")
    upload_id = created["UploadId"]
    result = s3("upload_part", {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id, "PartNumber": 1,
                                "Body": b"x", "ChecksumAlgorithm": "CRC32", "ChecksumCRC32": "jMthxQ=="})
    assert result["ChecksumCRC32"] == "jMthxQ=="
    listed = s3("list_parts", {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id})
    assert listed["Parts"][0]["ChecksumCRC32"] == "jMthxQ==" and listed["ChecksumAlgorithm"] == "CRC32"
    wrong = {"Parts": [{"PartNumber": 1, "ETag": result["ETag"], "ChecksumCRC32": "AAAAAA=="}]}
    err = error(s3, "complete_multipart_upload",
                {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id, "MultipartUpload": wrong})
    assert err.code == "InvalidPart"
    right = {"Parts": [{"PartNumber": 1, "ETag": result["ETag"], "ChecksumCRC32": "jMthxQ=="}]}
    s3("complete_multipart_upload", {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id, "MultipartUpload": right})


def _checksummed(s3, algorithm, checksum_type=None, parts=(PART_A, PART_B, PART_C)):
    """An upload created with ``algorithm``, its parts sent with their checksums: (id, Parts)."""
    params = {"ChecksumAlgorithm": algorithm} | ({"ChecksumType": checksum_type} if checksum_type else {})
    upload_id = create(s3, **params)
    member = f"Checksum{algorithm}"
    entries = []
    for number, body in enumerate(parts, 1):
        value = b64_checksum(algorithm.lower(), body)
        result = s3("upload_part", {"Bucket": "photos", "Key": "big.bin", "UploadId": upload_id,
                                    "PartNumber": number, "Body": body, member: value})
        assert result[member] == value
        entries.append({"PartNumber": number, "ETag": result["ETag"], member: value})
    return upload_id, entries


def _complete_with(s3, upload_id, entries, **params) -> dict:
    return s3("complete_multipart_upload", {"Bucket": "photos", "Key": "big.bin", "UploadId": upload_id,
                                            "MultipartUpload": {"Parts": entries}, **params})


@pytest.mark.parametrize(
    "algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128"]
)
def test_a_composite_upload_gets_the_digest_of_its_parts_digests(s3, bucket, algorithm):
    upload_id, entries = _checksummed(s3, algorithm)
    raw = b"".join(digest(algorithm.lower(), body) for body in (PART_A, PART_B, PART_C))
    expected = f"{b64_checksum(algorithm.lower(), raw)}-3"
    result = _complete_with(s3, upload_id, entries)
    assert (result[f"Checksum{algorithm}"], result["ChecksumType"]) == (expected, "COMPOSITE")
    head = s3("head_object", {"Bucket": bucket, "Key": "big.bin", "ChecksumMode": "ENABLED"})
    assert (head[f"Checksum{algorithm}"], head["ChecksumType"]) == (expected, "COMPOSITE")
    # One part read by its number carries that part's checksum, not the object's.
    part = s3("get_object", {"Bucket": bucket, "Key": "big.bin", "PartNumber": 2, "ChecksumMode": "ENABLED"})
    assert part["Body"] == PART_B
    assert part[f"Checksum{algorithm}"] == b64_checksum(algorithm.lower(), PART_B)


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_a_full_object_upload_gets_the_crc_of_the_whole_object(s3, bucket, algorithm):
    upload_id, entries = _checksummed(s3, algorithm, "FULL_OBJECT")
    whole = b64_checksum(algorithm.lower(), PART_A + PART_B + PART_C)
    # The final checksum a client may send with the complete is checked against it.
    wrong = error(s3, "complete_multipart_upload", {
        "Bucket": bucket, "Key": "big.bin", "UploadId": upload_id, "MultipartUpload": {"Parts": entries},
        f"Checksum{algorithm}": b64_checksum(algorithm.lower(), b"other")})
    assert (wrong.code, wrong.status) == ("BadDigest", 400)
    assert wrong.message == f"The {algorithm.lower()} you specified did not match the calculated checksum."
    result = _complete_with(s3, upload_id, entries, **{f"Checksum{algorithm}": whole})
    assert (result[f"Checksum{algorithm}"], result["ChecksumType"]) == (whole, "FULL_OBJECT")
    got = s3("get_object", {"Bucket": bucket, "Key": "big.bin", "ChecksumMode": "ENABLED"})
    assert got[f"Checksum{algorithm}"] == whole
    # The CRC of the whole object is not the CRC of a part: a part read carries none.
    part = s3("head_object", {"Bucket": bucket, "Key": "big.bin", "PartNumber": 1, "ChecksumMode": "ENABLED"})
    assert not [name for name in part if name.startswith("Checksum")]


def test_the_checksum_rules_of_create_upload_part_and_complete(s3, bucket):
    def refused(operation, params):
        err = error(s3, operation, {"Bucket": bucket, "Key": "big.bin", **params})
        assert (err.code, err.status) == ("InvalidRequest", 400)
        return err.message

    assert refused("create_multipart_upload", {"ChecksumAlgorithm": "CRC64NVME", "ChecksumType": "COMPOSITE"}) == (
        "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
    assert refused("create_multipart_upload", {"ChecksumAlgorithm": "SHA256", "ChecksumType": "FULL_OBJECT"}) == (
        "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.")
    assert refused("create_multipart_upload", {"ChecksumAlgorithm": "XXHASH3", "ChecksumType": "FULL_OBJECT"}) == (
        "The FULL_OBJECT checksum type cannot be used with the xxhash3 checksum algorithm.")
    assert refused("create_multipart_upload", {"ChecksumType": "FULL_OBJECT"}) == (
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
    assert refused("create_multipart_upload", {"ChecksumAlgorithm": "MD4"}).startswith(
        "Checksum algorithm provided is unsupported.")
    assert s3("list_multipart_uploads", {"Bucket": bucket}).get("Uploads") is None

    upload_id = create(s3, ChecksumAlgorithm="SHA256")
    part = {"UploadId": upload_id, "PartNumber": 1, "Body": b"x"}
    assert refused("upload_part", part) == (
        "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: null")
    assert refused("upload_part", part | {"ChecksumCRC32": b64_checksum("crc32", b"x")}) == (
        "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32")
    assert parts_of(s3, upload_id) == []
    etag = upload(s3, upload_id, 1, b"x", ChecksumSHA256=b64_checksum("sha256", b"x"))
    complete_params = {"UploadId": upload_id, "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": etag}]}}
    assert refused("complete_multipart_upload", complete_params) == (
        "The upload was created using a sha256 checksum. The complete request must include the checksum for each"
        " part. It was missing for part 1 in the request.")
    assert refused("complete_multipart_upload", complete_params | {"ChecksumType": "FULL_OBJECT"}) == (
        "The upload was created using the COMPOSITE checksum mode. The complete request must use the same"
        " checksum mode.")
    other = {"PartNumber": 1, "ETag": etag, "ChecksumSHA1": b64_checksum("sha1", b"x")}
    err = error(s3, "complete_multipart_upload", {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id,
                                                  "MultipartUpload": {"Parts": [other]}})
    assert (err.code, err.message) == ("BadDigest", "The sha1 you specified for part 1 did not match what we received.")
    assert parts_of(s3, upload_id) == [1]  # every refusal left the upload as it was

    # An upload created without an algorithm: naming part checksums is InvalidPart.
    plain = create(s3)
    etag = upload(s3, plain, 1, b"y", ChecksumCRC32=b64_checksum("crc32", b"y"))
    named = {"PartNumber": 1, "ETag": etag, "ChecksumCRC32": b64_checksum("crc32", b"y")}
    err = error(s3, "complete_multipart_upload", {"Bucket": bucket, "Key": "big.bin", "UploadId": plain,
                                                  "MultipartUpload": {"Parts": [named]}})
    assert err.code == "InvalidPart"


def test_a_large_complete_without_an_algorithm_gets_its_default_checksum_off_the_loop(s3, bucket):
    """One large part is the object's file as it is (no copy), yet its CRC64NVME must still be
    computed, before the transaction: the preparation does it."""
    upload_id = create(s3)
    etag = upload(s3, upload_id, 1, PART_A)
    params = {"Bucket": bucket, "Key": "big.bin", "UploadId": upload_id,
              "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": etag}]}}
    prepare = operation_preparation(s3.service.complete_multipart_upload)
    work = prepare(s3.new_call(), params)
    assert work is not None
    assert work()[2].value == b64_checksum("crc64nvme", PART_A)
    result = s3("complete_multipart_upload", params)
    assert result["ChecksumCRC64NVME"] == b64_checksum("crc64nvme", PART_A)


def test_an_upload_in_progress_survives_a_restart(make_s3):
    first = make_s3()
    first("create_bucket", {"Bucket": "photos"})
    upload_id = create(first, ContentType="text/csv")
    big = upload(first, upload_id, 1, PART_A)
    small = upload(first, upload_id, 2, PART_C)
    first.close()

    again = type(first)(first.root)  # a new database, blob store and service on the same data
    try:
        (listed,) = again("list_multipart_uploads", {"Bucket": "photos"})["Uploads"]
        assert listed["UploadId"] == upload_id
        assert parts_of(again, upload_id) == [1, 2]
        assert complete(again, upload_id, [(1, big), (2, small)])["ETag"] == multipart_etag(PART_A, PART_C)
        got = again("get_object", {"Bucket": "photos", "Key": "big.bin"})
        assert got["Body"] == PART_A + PART_C and got["ContentType"] == "text/csv"
    finally:
        again.close()


def test_deleting_a_bucket_drops_its_uploads(s3, bucket):
    uploaded_three(s3)
    assert s3("delete_bucket", {"Bucket": bucket}) == {}
    assert s3.blobs.ids() == set()
    s3("create_bucket", {"Bucket": bucket})
    assert "Uploads" not in s3("list_multipart_uploads", {"Bucket": bucket})
    assert s3.service.referenced_blob_ids() == set()
