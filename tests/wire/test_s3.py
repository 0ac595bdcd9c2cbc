"""S3 through boto3 and the AWS CLI against a real tidal server (fixtures in conftest.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import time
import uuid
import zipfile
import zlib
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, FlexibleChecksumError

FN_ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def unique(prefix: str = "wire") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def client_error(fn, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as err:
        fn(*args, **kwargs)
    return err.value.response


@pytest.fixture
def bucket(s3):
    name = unique()
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def s3_eu(endpoint):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=BotoConfig(retries={"max_attempts": 1}),
    )


# -- buckets ------------------------------------------------------------------------------------


def test_bucket_lifecycle(s3):
    name = unique()
    assert s3.create_bucket(Bucket=name)["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert name in names and names == sorted(names)
    # Re-creating your own bucket in us-east-1 succeeds (AWS's legacy behaviour).
    assert s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    error = client_error(s3.head_bucket, Bucket=name)
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("404", 404)


def test_invalid_bucket_name(s3):
    error = client_error(s3.create_bucket, Bucket="bad..name")
    assert error["Error"]["Code"] == "InvalidBucketName"
    assert error["Error"]["Message"] == "The specified bucket is not valid."
    assert error["Error"]["BucketName"] == "bad..name"


def test_location_constraints(s3, s3_eu):
    error = client_error(s3.create_bucket, Bucket=unique(),
                         CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert error["Error"]["Code"] == "InvalidLocationConstraint"
    error = client_error(s3_eu.create_bucket, Bucket=unique())
    assert error["Error"]["Code"] == "IllegalLocationConstraintException"
    assert "unspecified location constraint" in error["Error"]["Message"]

    name = unique()
    s3_eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3_eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    error = client_error(s3_eu.create_bucket, Bucket=name,
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("BucketAlreadyOwnedByYou", 409)
    s3_eu.delete_bucket(Bucket=name)


def test_delete_bucket_errors(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    error = client_error(s3.delete_bucket, Bucket=bucket)
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("BucketNotEmpty", 409)
    missing = unique()
    error = client_error(s3.delete_bucket, Bucket=missing)
    assert (error["Error"]["Code"], error["Error"]["BucketName"]) == ("NoSuchBucket", missing)


@pytest.mark.parametrize(
    ("operation", "params"),
    [("put_object", {"Key": "k", "Body": b"x"}), ("get_object", {"Key": "k"}), ("delete_object", {"Key": "k"}),
     ("list_objects_v2", {}), ("get_bucket_location", {}), ("get_bucket_notification_configuration", {})],
)
def test_no_such_bucket(s3, operation, params):
    missing = unique()
    error = client_error(getattr(s3, operation), Bucket=missing, **params)
    assert error["Error"]["Code"] == "NoSuchBucket"
    assert error["Error"]["Message"] == "The specified bucket does not exist"
    assert error["Error"]["BucketName"] == missing
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


# -- objects ------------------------------------------------------------------------------------


def test_put_get_head_delete(s3, bucket):
    body = b"hello, tidal"
    put = s3.put_object(Bucket=bucket, Key="docs/hello.txt", Body=body, ContentType="text/plain",
                        Metadata={"Owner": "me"}, CacheControl="no-cache", ContentDisposition="inline",
                        ContentLanguage="en", ContentEncoding="identity")
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key="docs/hello.txt")
    assert got["Body"].read() == body
    assert (got["ETag"], got["ContentType"], got["ContentLength"], got["Metadata"]) == (etag, "text/plain", len(body),
                                                                                        {"owner": "me"})
    assert (got["CacheControl"], got["ContentDisposition"], got["ContentLanguage"]) == ("no-cache", "inline", "en")
    assert abs(got["LastModified"] - datetime.now(UTC)) < timedelta(minutes=1)
    head = s3.head_object(Bucket=bucket, Key="docs/hello.txt")
    assert (head["ETag"], head["ContentLength"]) == (etag, len(body))
    assert s3.delete_object(Bucket=bucket, Key="docs/hello.txt")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="never-was")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_missing_key(s3, bucket):
    error = client_error(s3.get_object, Bucket=bucket, Key="nope/x")
    assert (error["Error"]["Code"], error["Error"]["Key"]) == ("NoSuchKey", "nope/x")
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    error = client_error(s3.head_object, Bucket=bucket, Key="nope/x")
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("404", 404)


def test_overwrite(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    s3.put_object(Bucket=bucket, Key="k", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"


def test_ranges(s3, bucket):
    body = bytes(range(256)) * 4
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    for header, start, end in [("bytes=0-9", 0, 9), ("bytes=-5", 1019, 1023), ("bytes=1000-", 1000, 1023)]:
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["ContentRange"] == f"bytes {start}-{end}/1024"
        assert got["Body"].read() == body[start : end + 1]
    error = client_error(s3.get_object, Bucket=bucket, Key="r", Range="bytes=5000-")
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidRange", 416)


def test_keys_with_awkward_characters_round_trip(s3, bucket):
    keys = ["a b/c d.txt", "plus+sign", "percent%20not-space", "ünïcødé/€", "amp&lt<gt>", "q?x=1#frag", "tab\tkey"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode())
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()


def test_list_objects_v2(s3, bucket):
    keys = [f"logs/2024/{i:02d}.txt" for i in range(7)] + ["logs/2025/a.txt", "logs/top.txt", "readme.md"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    folders = s3.list_objects_v2(Bucket=bucket, Prefix="logs/", Delimiter="/")
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == ["logs/2024/", "logs/2025/"]
    assert [o["Key"] for o in folders["Contents"]] == ["logs/top.txt"]
    assert folders["KeyCount"] == 3

    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}))
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == sorted(keys)
    assert len(pages) == 4 and all(p["IsTruncated"] for p in pages[:-1]) and not pages[-1]["IsTruncated"]

    after = s3.list_objects_v2(Bucket=bucket, StartAfter="logs/top.txt")
    assert [o["Key"] for o in after["Contents"]] == ["readme.md"]
    empty = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert (empty["KeyCount"], empty["IsTruncated"]) == (0, False)
    error = client_error(s3.list_objects_v2, Bucket=bucket, ContinuationToken="not-a-token")
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (
        "InvalidArgument", "The continuation token provided is incorrect")


# -- notification configuration --------------------------------------------------------------


def fake_function_arn(name: str = "nope") -> str:
    return f"arn:aws:lambda:us-east-1:000000000000:function:{name}"


def test_notification_configuration_round_trip(s3, bucket):
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, SkipDestinationValidation=True,
        NotificationConfiguration={"LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": fake_function_arn(), "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "SUFFIX", "Value": ".csv"}]}},
        }]},
    )
    [entry] = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert entry["Id"] and entry["Events"] == ["s3:ObjectCreated:*"]
    assert entry["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".csv"}]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)


def put_config(s3, bucket, configs, **params):
    return s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": configs}, **params)


def test_notification_configuration_errors(s3, bucket):
    error = client_error(put_config, s3, bucket, [{"LambdaFunctionArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}],
                         SkipDestinationValidation=True)
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("InvalidArgument", "The ARN could not be parsed")
    assert (error["Error"]["ArgumentName"], error["Error"]["ArgumentValue"]) == ("CloudFunction", "not-an-arn")

    error = client_error(put_config, s3, bucket, [
        {"LambdaFunctionArn": fake_function_arn("a"), "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": "jpg"}]}}},
        {"LambdaFunctionArn": fake_function_arn("b"), "Events": ["s3:ObjectCreated:Put"],
         "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": "pg"}]}}},
    ], SkipDestinationValidation=True)
    assert error["Error"]["Message"] == (
        "Configurations overlap. Configurations on the same bucket cannot share a common event type.")

    arn = fake_function_arn(unique("missing"))
    error = client_error(put_config, s3, bucket, [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}])
    assert error["Error"]["Message"] == "Unable to validate the following destination configurations"
    assert error["Error"]["ArgumentName1"] == f"{arn}, null"


def _handler_zip() -> bytes:
    # Writes each event it receives back into the bucket under events/, so the test can read it.
    source = (
        "import json, boto3\n"
        "s3 = boto3.client('s3')\n"
        "def handler(event, context):\n"
        "    record = event['Records'][0]\n"
        "    bucket = record['s3']['bucket']['name']\n"
        "    name = record['responseElements']['x-amz-request-id']\n"
        "    s3.put_object(Bucket=bucket, Key='events/' + name + '.json', Body=json.dumps(event))\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


def test_put_object_invokes_the_configured_function(s3, lambda_, bucket):
    function = unique("fn")
    arn = lambda_.create_function(FunctionName=function, Runtime="python3.12", Handler="handler.handler",
                                  Role=FN_ROLE, Code={"ZipFile": _handler_zip()}, Timeout=30)["FunctionArn"]
    lambda_.add_permission(FunctionName=function, StatementId="s3", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")
    put_config(s3, bucket, [{"Id": "uploads", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
                             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}}])
    body = b"photo bytes"
    put = s3.put_object(Bucket=bucket, Key="uploads/summer trip@2024.jpg", Body=body)
    request_id = put["ResponseMetadata"]["RequestId"]
    deadline = time.monotonic() + 60
    while True:
        try:
            event = json.loads(s3.get_object(Bucket=bucket, Key=f"events/{request_id}.json")["Body"].read())
            break
        except ClientError:
            assert time.monotonic() < deadline, "the function never wrote the event back"
            time.sleep(0.1)
    [record] = event["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "us-east-1"
    assert record["responseElements"] == {"x-amz-request-id": request_id,
                                          "x-amz-id-2": put["ResponseMetadata"]["HostId"]}
    assert record["s3"]["configurationId"] == "uploads"
    assert record["s3"]["object"]["key"] == "uploads/summer+trip%402024.jpg"
    assert record["s3"]["object"]["size"] == len(body)
    assert f'"{record["s3"]["object"]["eTag"]}"' == put["ETag"]
    lambda_.delete_function(FunctionName=function)


# -- the AWS CLI ------------------------------------------------------------------------------


def test_aws_s3_cp_and_ls(aws_cli, bucket, tmp_path):
    source = tmp_path / "report.csv"
    source.write_bytes(b"a,b\n1,2\n")
    aws_cli("s3", "cp", str(source), f"s3://{bucket}/reports/2024 q1.csv")
    aws_cli("s3", "cp", str(source), f"s3://{bucket}/top.txt")
    listing = aws_cli("s3", "ls", f"s3://{bucket}/").stdout.decode()
    assert "PRE reports/" in listing and "top.txt" in listing
    recursive = aws_cli("s3", "ls", "--recursive", f"s3://{bucket}/").stdout.decode()
    assert "reports/2024 q1.csv" in recursive
    target = tmp_path / "back.csv"
    aws_cli("s3", "cp", f"s3://{bucket}/reports/2024 q1.csv", str(target))
    assert target.read_bytes() == source.read_bytes()
    assert bucket in aws_cli("s3", "ls").stdout.decode()


def test_virtual_hosted_addressing(tidal_server, bucket):
    # What boto3 sends with addressing_style=virtual: Host: <bucket>.localhost:<port>. Names
    # under .localhost need not resolve on every machine, so the socket goes to 127.0.0.1.
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", tidal_server.port, timeout=5)
    host = f"{bucket}.localhost:{tidal_server.port}"
    conn.request("PUT", "/vh/key.txt", body=b"virtual", headers={"Host": host})
    put = conn.getresponse()
    assert put.status == 200 and put.read() == b""
    plain = tidal_server.client("s3")
    assert plain.get_object(Bucket=bucket, Key="vh/key.txt")["Body"].read() == b"virtual"
    # A body this large is parsed off the loop, then handled from the request as received.
    large = os.urandom(5 * 1024 * 1024)
    conn.request("PUT", "/vh/large.bin", body=large, headers={"Host": host})
    put = conn.getresponse()
    assert put.status == 200 and put.read() == b""
    assert plain.get_object(Bucket=bucket, Key="vh/large.bin")["Body"].read() == large
    conn.request("GET", "/?list-type=2&prefix=vh/", headers={"Host": host})
    listing = conn.getresponse()
    assert listing.status == 200 and b"<Key>vh/key.txt</Key>" in listing.read()
    conn.request("GET", "/vh/missing", headers={"Host": host})
    missing = conn.getresponse()
    assert missing.status == 404 and b"<Code>NoSuchKey</Code>" in missing.read()


def test_a_body_of_megabytes_round_trips_whole_and_in_ranges(s3, bucket):
    """Bodies this large are joined and read off the event loop (and written after their
    head, not copied behind it): every byte still arrives, whole or in a range."""
    large = os.urandom(9 * 1024 * 1024 + 7)
    put = s3.put_object(Bucket=bucket, Key="mb", Body=large)
    assert put["ETag"] == f'"{hashlib.md5(large).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="mb")
    assert got["ContentLength"] == len(large)
    assert hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(large).digest()
    ranged = s3.get_object(Bucket=bucket, Key="mb", Range="bytes=1000-2098175")
    assert ranged["ContentRange"] == f"bytes 1000-2098175/{len(large)}"
    assert ranged["Body"].read() == large[1000:2098176]
    assert s3.get_object(Bucket=bucket, Key="mb", Range="bytes=-5")["Body"].read() == large[-5:]
    assert s3.head_object(Bucket=bucket, Key="mb")["ContentLength"] == len(large)


def test_a_large_put_that_is_refused_leaves_no_file(tidal_server, s3, bucket):
    """A large body's file is written before its transaction; a refusal must remove it."""
    blobs = tidal_server.data_dir / "blobs"
    before = set(blobs.glob("??/*"))
    large = os.urandom(200 * 1024)
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket=unique(), Key="k", Body=large)
    assert error.value.response["Error"]["Code"] == "NoSuchBucket"
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=large)
    assert error.value.response["Error"]["Code"] == "KeyTooLongError"
    assert set(blobs.glob("??/*")) == before

    put = s3.put_object(Bucket=bucket, Key="big", Body=large)
    assert put["ETag"] == f'"{hashlib.md5(large).hexdigest()}"'
    assert len(set(blobs.glob("??/*")) - before) == 1
    s3.put_object(Bucket=bucket, Key="big", Body=large[:1000])  # now inline: the file goes
    assert set(blobs.glob("??/*")) == before
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == large[:1000]


# -- checksums ----------------------------------------------------------------------------------


def _crc64nvme_b64(data: bytes) -> str:
    import anycrc  # the same CRC as S3's default; the reference value is checked in test_routing_and_bodies

    return base64.b64encode(anycrc.Model("CRC64-NVME").calc(data).to_bytes(8, "big")).decode()


def test_put_object_keeps_the_checksum_boto3_sent_and_get_object_returns_it(s3, bucket):
    body = b"checked " * 1000
    crc32 = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    put = s3.put_object(Bucket=bucket, Key="k", Body=body)  # boto3 sends a CRC32 by default
    assert (put["ChecksumCRC32"], put["ChecksumType"]) == (crc32, "FULL_OBJECT")
    # boto3 asks GetObject for the checksum by itself (x-amz-checksum-mode: ENABLED) and
    # checks the body against it.
    got = s3.get_object(Bucket=bucket, Key="k")
    assert (got["ChecksumCRC32"], got["ChecksumType"]) == (crc32, "FULL_OBJECT")
    assert got["Body"].read() == body
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (crc32, "FULL_OBJECT")
    assert "ChecksumCRC32" not in s3.head_object(Bucket=bucket, Key="k")
    ranged = s3.get_object(Bucket=bucket, Key="k", Range="bytes=0-6")
    assert ranged["Body"].read() == b"checked" and "ChecksumCRC32" not in ranged


def test_a_put_without_a_checksum_gets_s3s_default_crc64nvme(tidal_server, bucket):
    s3 = tidal_server.client("s3", request_checksum_calculation="when_required")
    body = b"no checksum sent"
    put = s3.put_object(Bucket=bucket, Key="k", Body=body)
    assert "ChecksumCRC32" not in put
    assert (put["ChecksumCRC64NVME"], put["ChecksumType"]) == (_crc64nvme_b64(body), "FULL_OBJECT")
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == _crc64nvme_b64(body)


def test_a_body_damaged_on_disk_fails_boto3s_checksum_validation(tidal_server, s3, bucket):
    """The stored checksum is the one boto3 validates downloads against: a body file changed
    behind tidal's back is caught by the client, not served as good."""
    blobs = tidal_server.data_dir / "blobs"
    before = set(blobs.glob("??/*"))
    body = os.urandom(300 * 1024)
    s3.put_object(Bucket=bucket, Key="damaged", Body=body)
    (blob,) = set(blobs.glob("??/*")) - before
    damaged = bytearray(blob.read_bytes())
    damaged[1000] ^= 0xFF
    blob.write_bytes(bytes(damaged))
    with pytest.raises(FlexibleChecksumError):
        s3.get_object(Bucket=bucket, Key="damaged")["Body"].read()


def test_the_newer_algorithms_are_verified_and_kept(s3, bucket):
    import xxhash

    body = b"newer algorithms " * 100
    sha512 = base64.b64encode(hashlib.sha512(body).digest()).decode()
    put = s3.put_object(Bucket=bucket, Key="sha512", Body=body, ChecksumAlgorithm="SHA512")  # computed by boto3
    assert (put["ChecksumSHA512"], put["ChecksumType"]) == (sha512, "FULL_OBJECT")
    got = s3.get_object(Bucket=bucket, Key="sha512")  # boto3 validates SHA512 without the CRT
    assert got["ChecksumSHA512"] == sha512 and got["Body"].read() == body

    xx = base64.b64encode(xxhash.xxh64(body).digest()).decode()
    put = s3.put_object(Bucket=bucket, Key="xx", Body=body, ChecksumXXHASH64=xx)
    assert put["ChecksumXXHASH64"] == xx
    assert s3.head_object(Bucket=bucket, Key="xx", ChecksumMode="ENABLED")["ChecksumXXHASH64"] == xx
    wrong = client_error(s3.put_object, Bucket=bucket, Key="xx2", Body=body,
                         ChecksumXXHASH64=base64.b64encode(xxhash.xxh64(b"other").digest()).decode())
    assert (wrong["Error"]["Code"], wrong["Error"]["Message"]) == (
        "BadDigest", "The XXHASH64 you specified did not match the calculated checksum.")
