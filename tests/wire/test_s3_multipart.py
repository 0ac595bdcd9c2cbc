"""S3 multipart uploads through boto3, its TransferManager and the AWS CLI against a real tidal server."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

MiB = 1024 * 1024
PART = b"p" * (5 * MiB)


def client_error(fn, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as err:
        fn(*args, **kwargs)
    return err.value.response


def multipart_etag(*parts: bytes) -> str:
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


@pytest.fixture
def bucket(s3):
    name = f"mpu-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(20 * MiB))
    return path


def test_low_level_calls(s3, bucket):
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key="dir/a b.bin", ContentType="text/plain", Metadata={"k": "v"})["UploadId"]
    first = s3.upload_part(Bucket=bucket, Key="dir/a b.bin", UploadId=upload_id, PartNumber=1, Body=PART)
    assert first["ETag"] == f'"{hashlib.md5(PART).hexdigest()}"'
    second = s3.upload_part(Bucket=bucket, Key="dir/a b.bin", UploadId=upload_id, PartNumber=2, Body=b"end")
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("dir/a b.bin", upload_id)]
    listed = s3.list_parts(Bucket=bucket, Key="dir/a b.bin", UploadId=upload_id, MaxParts=1)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1] and listed["IsTruncated"]
    assert listed["NextPartNumberMarker"] == 1

    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="dir/a b.bin", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first["ETag"]},
                                   {"PartNumber": 2, "ETag": second["ETag"]}]})
    assert done["ETag"] == multipart_etag(PART, b"end") and done["Key"] == "dir/a b.bin"
    head = s3.head_object(Bucket=bucket, Key="dir/a b.bin")
    assert (head["ETag"], head["ContentLength"], head["ContentType"], head["Metadata"]) == (
        done["ETag"], len(PART) + 3, "text/plain", {"k": "v"})
    part = s3.get_object(Bucket=bucket, Key="dir/a b.bin", PartNumber=2)
    assert part["Body"].read() == b"end" and part["PartsCount"] == 2
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    ranged = s3.get_object(Bucket=bucket, Key="dir/a b.bin", Range=f"bytes={len(PART) - 2}-{len(PART) + 1}")
    assert ranged["Body"].read() == b"ppen"
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_errors_on_the_wire(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    error = client_error(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=10001, Body=b"x")
    assert error["Error"]["Code"] == "InvalidArgument"
    assert error["Error"]["Message"] == "Part number must be an integer between 1 and 10000, inclusive"
    assert (error["Error"]["ArgumentName"], error["Error"]["ArgumentValue"]) == ("partNumber", "10001")

    error = client_error(s3.upload_part, Bucket=bucket, Key="k", UploadId="nope", PartNumber=1, Body=b"x")
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("NoSuchUpload", 404)
    assert error["Error"]["UploadId"] == "nope"

    small = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"small")["ETag"]
    last = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"last")["ETag"]
    error = client_error(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id,
                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": small},
                                                    {"PartNumber": 2, "ETag": last}]})
    assert error["Error"]["Code"] == "EntityTooSmall"
    assert (error["Error"]["ProposedSize"], error["Error"]["MinSizeAllowed"]) == ("5", str(5 * MiB))
    error = client_error(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id,
                         MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": last},
                                                    {"PartNumber": 1, "ETag": small}]})
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidPartOrder", 400)
    error = client_error(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id,
                         MultipartUpload={"Parts": [{"PartNumber": 3, "ETag": last}]})
    assert error["Error"]["Code"] == "InvalidPart" and error["Error"]["PartNumber"] == "3"

    # Every refusal left the upload as it was.
    parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2]
    assert s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    error = client_error(s3.list_parts, Bucket=bucket, Key="k", UploadId=upload_id)
    assert error["Error"]["Code"] == "NoSuchUpload"
    error = client_error(s3.head_object, Bucket=bucket, Key="missing", PartNumber=1)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_transfer_manager_round_trip(s3, bucket, big_file, tmp_path):
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
    s3.upload_file(str(big_file), bucket, "big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    data = big_file.read_bytes()
    assert head["ETag"] == multipart_etag(data[: 8 * MiB], data[8 * MiB : 16 * MiB], data[16 * MiB :])
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(target), Config=config)
    assert target.read_bytes() == data


def test_aws_cli_cp_of_a_large_file(s3, aws_cli, bucket, big_file, tmp_path):
    aws_cli("s3", "cp", str(big_file), f"s3://{bucket}/cli/big.bin")
    assert s3.head_object(Bucket=bucket, Key="cli/big.bin")["ETag"].endswith('-3"')  # 8 + 8 + 4 MiB
    target = tmp_path / "from-cli.bin"
    aws_cli("s3", "cp", f"s3://{bucket}/cli/big.bin", str(target))
    assert target.read_bytes() == big_file.read_bytes()


def test_a_large_part_that_is_refused_leaves_no_file(tidal_server, s3, bucket):
    """A large part's file is written before its transaction; a refusal must remove it."""
    blobs = tidal_server.data_dir / "blobs"
    before = set(blobs.glob("??/*"))
    large = os.urandom(300 * 1024)
    error = client_error(s3.upload_part, Bucket=bucket, Key="k", UploadId="nope", PartNumber=1, Body=large)
    assert error["Error"]["Code"] == "NoSuchUpload"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    error = client_error(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=0, Body=large)
    assert error["Error"]["Code"] == "InvalidArgument"
    assert set(blobs.glob("??/*")) == before

    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=large)["ETag"]
    assert etag == f'"{hashlib.md5(large).hexdigest()}"'
    assert len(set(blobs.glob("??/*")) - before) == 1
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == large


# -- checksums ----------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_a_composite_sha256_upload_through_boto3(s3, bucket):
    parts = [os.urandom(5 * MiB), b"the last part"]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA256")["UploadId"]
    entries = []
    for number, body in enumerate(parts, 1):
        # boto3 computes the part's SHA256 because the call names the algorithm.
        sent = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=body,
                              ChecksumAlgorithm="SHA256")
        assert sent["ChecksumSHA256"] == _b64(hashlib.sha256(body).digest())
        entries.append({"PartNumber": number, "ETag": sent["ETag"], "ChecksumSHA256": sent["ChecksumSHA256"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                        MultipartUpload={"Parts": entries})
    composite = _b64(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()) + "-2"
    assert (done["ChecksumSHA256"], done["ChecksumType"]) == (composite, "COMPOSITE")
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ChecksumType"]) == (composite, "COMPOSITE")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"".join(parts)  # boto3 skips "-2" values
    # A part by its number comes with that part's SHA256, which boto3 does check.
    second = s3.get_object(Bucket=bucket, Key="k", PartNumber=2)
    assert second["ChecksumSHA256"] == entries[1]["ChecksumSHA256"]
    assert second["Body"].read() == parts[1]


def test_a_full_object_crc32_upload_is_validated_by_boto3_on_download(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    whole = b"".join(parts)
    crc = _b64(zlib.crc32(whole).to_bytes(4, "big"))
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32",
                                           ChecksumType="FULL_OBJECT")["UploadId"]
    entries = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=n,
                                                         Body=body, ChecksumAlgorithm="CRC32")["ETag"]}
               for n, body in enumerate(parts, 1)]
    # The final checksum travels as x-amz-checksum-crc32: the whole object's, not the XML body's.
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, ChecksumType="FULL_OBJECT",
                                        ChecksumCRC32=crc, MultipartUpload={"Parts": entries})
    assert (done["ChecksumCRC32"], done["ChecksumType"]) == (crc, "FULL_OBJECT")
    got = s3.get_object(Bucket=bucket, Key="k")  # validated by boto3 against the CRC32
    assert got["ChecksumCRC32"] == crc and got["Body"].read() == whole


def test_a_managed_upload_and_download_keep_the_objects_checksum(s3, bucket, big_file, tmp_path):
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
    s3.upload_file(str(big_file), bucket, "big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big.bin", ChecksumMode="ENABLED")
    data = big_file.read_bytes()
    checksums = {name: value for name, value in head.items() if name.startswith("Checksum")}
    assert checksums in (
        {"ChecksumCRC32": _b64(zlib.crc32(data).to_bytes(4, "big")), "ChecksumType": "FULL_OBJECT"},
        {"ChecksumCRC32": _b64(zlib.crc32(b"".join(
            zlib.crc32(data[i : i + 8 * MiB]).to_bytes(4, "big") for i in range(0, len(data), 8 * MiB)
        )).to_bytes(4, "big")) + "-3", "ChecksumType": "COMPOSITE"},
    ), checksums
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(target), Config=config)
    assert target.read_bytes() == data
