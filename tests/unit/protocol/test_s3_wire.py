"""S3 (rest-xml) through a real boto3 client: routes, headers, XML bodies, payloads, errors."""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from protocol_harness import Wire, raw_request, without_metadata

from tidal.errors import AWSError
from tidal.protocol import protocol_for
from tidal.protocol.errors import MALFORMED_XML_MESSAGE

WHEN = datetime(2025, 3, 4, 10, 11, 12, tzinfo=UTC)
# Members botocore adds by itself (checksums, lengths) rather than the caller.
AUTOMATIC = {"ChecksumAlgorithm", "ChecksumCRC32", "ContentLength", "ContentMD5"}


@pytest.fixture
def wire() -> Wire:
    return Wire("s3", s3={"addressing_style": "path"})


@pytest.fixture
def tls_wire() -> Wire:
    # Over https boto3 streams uploads as aws-chunked with a trailing checksum.
    return Wire("s3", endpoint="https://localhost:4566", s3={"addressing_style": "path"})


def fail_with(err: AWSError):
    def handler(op, params):
        raise err

    return handler


def chosen(params: dict) -> dict:
    return {k: v for k, v in params.items() if k not in AUTOMATIC}


def test_put_object_headers_metadata_and_body(wire: Wire) -> None:
    wire.handler = lambda op, params: {
        "ETag": '"e1"',
        "VersionId": "v1",
        "ChecksumCRC32": params["ChecksumCRC32"],
    }
    request = {
        "Bucket": "photos",
        "Key": "2025/03/a b+c%.jpg",
        "Body": b"\xff\xd8jpeg-bytes",
        "Metadata": {"camera": "x100", "shot-by": "ann"},
        "ContentType": "image/jpeg",
        "ContentEncoding": "identity",
        "ContentDisposition": 'attachment; filename="a.jpg"',
        "CacheControl": "max-age=60",
        "ContentLanguage": "en",
        "Expires": WHEN,
        "StorageClass": "STANDARD_IA",
        "Tagging": "a=1&b=2",
        "ServerSideEncryption": "AES256",
    }
    response = wire.client.put_object(**request)
    assert wire.operations[-1].name == "PutObject"
    params = wire.last_params
    assert chosen(params) == request
    assert params["ContentLength"] == len(request["Body"])
    assert params["ChecksumAlgorithm"] == "CRC32"
    assert response["ETag"] == '"e1"'
    assert response["VersionId"] == "v1"
    assert response["ChecksumCRC32"] == params["ChecksumCRC32"]


def test_put_object_keys_keep_slashes_and_edges(wire: Wire) -> None:
    for key in ["a//b", "/leading", "trailing/", "ünï código ✓", "q?x=1&y#frag", "~tilde.txt"]:
        wire.client.put_object(Bucket="b", Key=key, Body=b"x")
        assert wire.operations[-1].name == "PutObject"
        assert wire.last_params["Key"] == key


def test_put_object_aws_chunked_with_crc32_trailer(tls_wire: Wire) -> None:
    body = b"hello world" * 1000
    tls_wire.client.put_object(Bucket="b", Key="k", Body=body, ContentEncoding="gzip")
    request = tls_wire.requests[-1]
    assert request.headers["content-encoding"] == "gzip,aws-chunked"
    assert request.headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    params = tls_wire.last_params
    assert params["Body"] == body
    assert params["ContentLength"] == len(body)
    assert params["ContentEncoding"] == "gzip"
    assert params["ChecksumCRC32"] == base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()


def test_put_object_aws_chunked_with_sha256_trailer(tls_wire: Wire) -> None:
    body = b"payload"
    tls_wire.client.put_object(Bucket="b", Key="k", Body=body, ChecksumAlgorithm="SHA256")
    params = tls_wire.last_params
    assert params["Body"] == body
    assert params["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert "ContentEncoding" not in params


def test_content_md5_verified(wire: Wire) -> None:
    body = b"important"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    wire.client.put_object(Bucket="b", Key="k", Body=body, ContentMD5=good)
    assert wire.last_params["ContentMD5"] == good

    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as caught:
        wire.client.put_object(Bucket="b", Key="k", Body=body, ContentMD5=bad)
    error = caught.value.response["Error"]
    assert error["Code"] == "BadDigest"
    assert error["Message"] == "The Content-MD5 you specified did not match what we received."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    with pytest.raises(ClientError) as caught:
        wire.client.put_object(Bucket="b", Key="k", Body=body, ContentMD5="not-md5")
    assert caught.value.response["Error"]["Code"] == "InvalidDigest"
    assert caught.value.response["Error"]["Message"] == "The Content-MD5 you specified was invalid."


def test_checksum_header_mismatch(wire: Wire) -> None:
    with pytest.raises(ClientError) as caught:
        wire.client.put_object(Bucket="b", Key="k", Body=b"data", ChecksumCRC32="AAAAAA==")
    assert caught.value.response["Error"] == {
        "Code": "BadDigest",
        "Message": "The CRC32 you specified did not match the calculated checksum.",
    }


def test_get_object_range_is_206_with_headers(wire: Wire) -> None:
    wire.handler = lambda op, params: {
        "Body": b"ell",
        "ContentLength": 3,
        "ContentRange": "bytes 1-3/11",
        "ContentType": "text/plain",
        "ETag": '"abc"',
        "LastModified": WHEN,
        "AcceptRanges": "bytes",
        "Metadata": {"camera": "x100"},
        "__status__": 206,
    }
    response = wire.client.get_object(Bucket="b", Key="dir/k.txt", Range="bytes=1-3", VersionId="v1")
    assert wire.operations[-1].name == "GetObject"
    assert chosen(wire.last_params) == {
        "Bucket": "b",
        "Key": "dir/k.txt",
        "Range": "bytes=1-3",
        "VersionId": "v1",
        "ChecksumMode": "ENABLED",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert response["Body"].read() == b"ell"
    assert response["ContentRange"] == "bytes 1-3/11"
    assert response["LastModified"] == WHEN
    assert response["Metadata"] == {"camera": "x100"}
    headers = dict(wire.responses[-1].headers)
    assert headers["Last-Modified"] == "Tue, 04 Mar 2025 10:11:12 GMT"
    assert headers["x-amz-meta-camera"] == "x100"
    assert "Content-Type" in headers and headers["Content-Type"] == "text/plain"


def test_head_object_and_its_bodyless_error(wire: Wire) -> None:
    wire.handler = lambda op, params: {"ContentLength": 11, "ETag": '"abc"', "LastModified": WHEN}
    response = wire.client.head_object(Bucket="b", Key="k", IfModifiedSince=WHEN)
    assert wire.operations[-1].name == "HeadObject"
    assert wire.last_params["IfModifiedSince"] == WHEN
    assert response["ContentLength"] == 11
    assert wire.responses[-1].body == b""
    assert ("Content-Length", "11") in wire.responses[-1].headers

    wire.handler = fail_with(
        AWSError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": "k"})
    )
    with pytest.raises(ClientError) as caught:
        wire.client.head_object(Bucket="b", Key="k")
    assert wire.responses[-1].body == b""
    assert caught.value.response["Error"]["Code"] == "404"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_objects_v2_round_trip(wire: Wire) -> None:
    result = {
        "IsTruncated": True,
        "Contents": [
            {"Key": "a/1.txt", "LastModified": WHEN, "ETag": '"x"', "Size": 3, "StorageClass": "STANDARD"},
            {"Key": "a/<&>.txt", "LastModified": WHEN, "ETag": '"y"', "Size": 0, "StorageClass": "STANDARD"},
        ],
        "Name": "b",
        "Prefix": "a/",
        "Delimiter": "/",
        "MaxKeys": 2,
        "CommonPrefixes": [{"Prefix": "a/sub/"}],
        "KeyCount": 3,
        "NextContinuationToken": "tok",
    }
    wire.handler = lambda op, params: result
    response = wire.client.list_objects_v2(
        Bucket="b", Prefix="a/", Delimiter="/", MaxKeys=2, StartAfter="a/0"
    )
    assert wire.operations[-1].name == "ListObjectsV2"
    assert wire.last_params == {
        "Bucket": "b",
        "Prefix": "a/",
        "Delimiter": "/",
        "MaxKeys": 2,
        "StartAfter": "a/0",
        "EncodingType": "url",
    }
    body = wire.responses[-1].body.decode()
    assert body.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    )
    assert "<LastModified>2025-03-04T10:11:12.000Z</LastModified>" in body
    assert without_metadata(response) == result


def test_list_objects_v1_is_told_apart(wire: Wire) -> None:
    wire.handler = lambda op, params: {"Name": "b", "IsTruncated": False, "Marker": ""}
    wire.client.list_objects(Bucket="b", Marker="m")
    assert wire.operations[-1].name == "ListObjects"


def test_list_buckets_round_trip(wire: Wire) -> None:
    result = {
        "Buckets": [{"Name": "a", "CreationDate": WHEN}, {"Name": "b", "CreationDate": WHEN}],
        "Owner": {
            "DisplayName": "tidal",
            "ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
        },
    }
    wire.handler = lambda op, params: result
    response = wire.client.list_buckets()
    assert wire.operations[-1].name == "ListBuckets"
    assert b"<ListAllMyBucketsResult" in wire.responses[-1].body
    assert without_metadata(response) == result


def test_create_bucket_with_location_constraint(wire: Wire) -> None:
    wire.handler = lambda op, params: {"Location": "/photos"}
    response = wire.client.create_bucket(
        Bucket="photos", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}, ACL="private"
    )
    assert wire.operations[-1].name == "CreateBucket"
    assert wire.last_params == {
        "Bucket": "photos",
        "ACL": "private",
        "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
    }
    assert response["Location"] == "/photos"


def test_create_bucket_without_body(wire: Wire) -> None:
    wire.client.create_bucket(Bucket="plain")
    assert wire.last_params == {"Bucket": "plain"}


def test_get_bucket_location(wire: Wire) -> None:
    wire.handler = lambda op, params: {"LocationConstraint": "eu-west-1"}
    assert wire.client.get_bucket_location(Bucket="b")["LocationConstraint"] == "eu-west-1"
    assert wire.responses[-1].body.endswith(
        b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>'
    )
    wire.handler = lambda op, params: {"LocationConstraint": None}
    assert wire.client.get_bucket_location(Bucket="b")["LocationConstraint"] is None


NOTIFICATION = {
    "LambdaFunctionConfigurations": [
        {
            "Id": "count",
            "LambdaFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:count",
            "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
            "Filter": {
                "Key": {
                    "FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".jpg"}]
                }
            },
        }
    ],
    "QueueConfigurations": [
        {"Id": "q", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:q", "Events": ["s3:ObjectCreated:Put"]}
    ],
}


def test_put_bucket_notification_configuration(wire: Wire) -> None:
    wire.client.put_bucket_notification_configuration(
        Bucket="b", NotificationConfiguration=NOTIFICATION, SkipDestinationValidation=True
    )
    assert wire.operations[-1].name == "PutBucketNotificationConfiguration"
    body = wire.requests[-1].body
    for name in (b"<CloudFunctionConfiguration>", b"<CloudFunction>", b"<S3Key>", b"<FilterRule>"):
        assert name in body
    assert wire.last_params == {
        "Bucket": "b",
        "NotificationConfiguration": NOTIFICATION,
        "SkipDestinationValidation": True,
    }


def test_get_bucket_notification_configuration(wire: Wire) -> None:
    wire.handler = lambda op, params: NOTIFICATION
    response = wire.client.get_bucket_notification_configuration(Bucket="b")
    assert wire.operations[-1].name == "GetBucketNotificationConfiguration"
    body = wire.responses[-1].body
    assert b'<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' in body
    assert b"<CloudFunctionConfiguration><Id>count</Id><CloudFunction>" in body
    assert b"<Filter><S3Key><FilterRule><Name>prefix</Name>" in body
    assert without_metadata(response) == NOTIFICATION


def test_delete_object(wire: Wire) -> None:
    wire.handler = lambda op, params: {"DeleteMarker": True, "VersionId": "v2"}
    response = wire.client.delete_object(Bucket="b", Key="k", VersionId="v1")
    assert wire.operations[-1].name == "DeleteObject"
    assert wire.last_params == {"Bucket": "b", "Key": "k", "VersionId": "v1"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert response["DeleteMarker"] is True
    assert response["VersionId"] == "v2"


def test_delete_objects_flattened_lists(wire: Wire) -> None:
    result = {
        "Deleted": [{"Key": "a"}, {"Key": "b", "DeleteMarker": True, "DeleteMarkerVersionId": "v"}],
        "Errors": [{"Key": "c", "Code": "AccessDenied", "Message": "Access Denied"}],
    }
    wire.handler = lambda op, params: result
    response = wire.client.delete_objects(
        Bucket="b", Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "c"}], "Quiet": False}
    )
    assert wire.operations[-1].name == "DeleteObjects"
    assert wire.last_params["Delete"] == {
        "Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "c"}],
        "Quiet": False,
    }
    assert b"<DeleteResult" in wire.responses[-1].body
    assert without_metadata(response) == result


def test_no_such_bucket_error_document(wire: Wire) -> None:
    wire.handler = fail_with(
        AWSError("NoSuchBucket", "The specified bucket does not exist", 404, fields={"BucketName": "x"})
    )
    with pytest.raises(wire.client.exceptions.NoSuchBucket) as caught:
        wire.client.list_objects_v2(Bucket="x")
    response = caught.value.response
    assert response["Error"] == {
        "Code": "NoSuchBucket",
        "Message": "The specified bucket does not exist",
        "BucketName": "x",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["ResponseMetadata"]["RequestId"] == wire.request_id
    raw = wire.responses[-1]
    assert raw.body.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code>'
        "<Message>The specified bucket does not exist</Message><BucketName>x</BucketName>"
        f"<RequestId>{wire.request_id}</RequestId><HostId>{dict(raw.headers)['x-amz-id-2']}</HostId></Error>"
    )
    assert dict(raw.headers)["x-amz-request-id"] == wire.request_id


BAD_BODIES = [
    b"<CreateBucketConfiguration><LocationConstraint>eu-west-1",  # not well-formed
    b"\x00\x01\x02 binary",
    b"<WrongRoot><LocationConstraint>eu-west-1</LocationConstraint></WrongRoot>",
    b"<CreateBucketConfiguration><Nope>1</Nope></CreateBucketConfiguration>",
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
    b"<CreateBucketConfiguration><LocationConstraint>&lol2;</LocationConstraint></CreateBucketConfiguration>",
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CreateBucketConfiguration/>',
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_malformed_xml(body: bytes) -> None:
    protocol = protocol_for("s3")
    request = raw_request("PUT", "/bucket", body=body)
    op = protocol.resolve(request)
    assert op.name == "CreateBucket"
    with pytest.raises(AWSError) as caught:
        protocol.parse(op, request)
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        "MalformedXML",
        MALFORMED_XML_MESSAGE,
        400,
    )


def test_malformed_xml_reaches_boto3_as_malformed_xml(wire: Wire) -> None:
    def break_body(request, **kwargs):
        request.body = b"<NotificationConfiguration><QueueConfiguration><Bad/></QueueConfiguration></NotificationConfiguration>"
        request.headers.pop("Content-MD5", None)
        request.headers.pop("x-amz-checksum-crc32", None)
        request.headers.pop("X-Amz-Content-SHA256", None)

    wire.client.meta.events.register_first("before-send", break_body)
    with pytest.raises(ClientError) as caught:
        wire.client.put_bucket_notification_configuration(Bucket="b", NotificationConfiguration={})
    assert caught.value.response["Error"] == {"Code": "MalformedXML", "Message": MALFORMED_XML_MESSAGE}


def test_bad_integer_in_xml_is_malformed() -> None:
    protocol = protocol_for("s3")
    body = b"<Delete><Object><Key>a</Key></Object><Quiet>sometimes</Quiet></Delete>"
    request = raw_request("POST", "/b", "delete", body=body)
    with pytest.raises(AWSError) as caught:
        protocol.parse(protocol.resolve(request), request)
    assert caught.value.code == "MalformedXML"


def test_missing_required_xml_body() -> None:
    protocol = protocol_for("s3")
    request = raw_request("PUT", "/b", "notification")
    with pytest.raises(AWSError) as caught:
        protocol.parse(protocol.resolve(request), request)
    assert caught.value.code == "MalformedXML"


def test_method_not_allowed() -> None:
    protocol = protocol_for("s3")
    with pytest.raises(AWSError) as caught:
        protocol.resolve(raw_request("PATCH", "/b/k"))
    assert caught.value.code == "MethodNotAllowed"
    assert caught.value.status == 405
    response = protocol.serialize_error(caught.value, "RID")
    assert b"<Method>PATCH</Method><ResourceType>OBJECT</ResourceType>" in response.body


def test_virtual_hosted_requests(wire: Wire) -> None:
    virtual = Wire("s3", endpoint="http://localhost:4566", s3={"addressing_style": "virtual"})
    virtual.client.put_object(Bucket="photos", Key="a/b.jpg", Body=b"x")
    assert virtual.requests[-1].headers["host"] == "photos.localhost:4566"
    assert virtual.operations[-1].name == "PutObject"
    assert chosen(virtual.last_params) == {"Bucket": "photos", "Key": "a/b.jpg", "Body": b"x"}
    virtual.handler = lambda op, params: {"Name": "photos", "IsTruncated": False}
    virtual.client.list_objects_v2(Bucket="photos")
    assert virtual.operations[-1].name == "ListObjectsV2"
    assert virtual.last_params["Bucket"] == "photos"
