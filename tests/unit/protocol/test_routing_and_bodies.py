"""Routing details, aws-chunked bodies, checksums and virtual-hosted addressing."""

from __future__ import annotations

import base64
import hashlib
import io
import zlib

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum
from protocol_harness import raw_request

from tidal.checksums import b64_checksum, crc, digest
from tidal.errors import AWSError
from tidal.protocol import protocol_for
from tidal.protocol.aws_chunked import decode_aws_chunked, plain_body
from tidal.protocol.virtual_host import rewrite_virtual_host, virtual_host_bucket


def s3_route(method: str, path: str, query: str = "", headers: dict[str, str] | None = None) -> str:
    return protocol_for("s3").resolve(raw_request(method, path, query, headers)).name


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "expected"),
    [
        ("GET", "/", "", {}, "ListBuckets"),
        ("GET", "/b", "", {}, "ListObjects"),
        ("GET", "/b/", "", {}, "ListObjects"),
        ("GET", "/b", "list-type=2&prefix=a", {}, "ListObjectsV2"),
        ("GET", "/b", "location", {}, "GetBucketLocation"),
        ("GET", "/b", "notification", {}, "GetBucketNotificationConfiguration"),
        ("PUT", "/b", "notification", {}, "PutBucketNotificationConfiguration"),
        ("GET", "/b", "lifecycle", {}, "GetBucketLifecycleConfiguration"),
        ("GET", "/b", "analytics&id=x", {}, "GetBucketAnalyticsConfiguration"),
        ("GET", "/b", "analytics", {}, "ListBucketAnalyticsConfigurations"),
        ("PUT", "/b", "", {}, "CreateBucket"),
        ("PUT", "/b/", "", {}, "CreateBucket"),
        ("HEAD", "/b", "", {}, "HeadBucket"),
        ("DELETE", "/b", "", {}, "DeleteBucket"),
        ("POST", "/b", "delete", {}, "DeleteObjects"),
        ("PUT", "/b/k", "", {}, "PutObject"),
        ("PUT", "/b/k", "", {"x-amz-copy-source": "/a/b"}, "CopyObject"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u", {}, "UploadPart"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u", {"x-amz-copy-source": "/a/b"}, "UploadPartCopy"),
        ("GET", "/b/k", "", {}, "GetObject"),
        ("GET", "/b/k", "uploadId=u", {}, "ListParts"),
        ("GET", "/b/k", "tagging", {}, "GetObjectTagging"),
        ("DELETE", "/b/k", "", {}, "DeleteObject"),
        ("DELETE", "/b/k", "uploadId=u", {}, "AbortMultipartUpload"),
        ("POST", "/b/k", "uploads", {}, "CreateMultipartUpload"),
        ("POST", "/b/k", "uploadId=u", {}, "CompleteMultipartUpload"),
        ("HEAD", "/b/a/b/c", "", {}, "HeadObject"),
        ("PUT", "/b/k", "x-id=PutObject", {}, "PutObject"),
        ("GET", "/b/k", "x-id=GetObject&uploadId=u", {}, "GetObject"),
    ],
)
def test_s3_routes_pick_the_most_specific(method, path, query, headers, expected) -> None:
    assert s3_route(method, path, query, headers) == expected


def test_greedy_key_label_keeps_the_raw_shape_of_the_key() -> None:
    protocol = protocol_for("s3")
    for raw, key in [
        ("/b//double", "/double"),
        ("/b/a/", "a/"),
        ("/b/a%2Fb%20c", "a/b c"),
        ("/b/%2B+", "++"),
    ]:
        request = raw_request("GET", raw)
        params = protocol.parse(protocol.resolve(request), request)
        assert (params["Bucket"], params["Key"]) == ("b", key)


def test_parse_without_resolve_finds_labels_itself() -> None:
    protocol = protocol_for("s3")
    request = raw_request("GET", "/b/some/key", "versionId=7")
    params = protocol.parse(protocol.operation("GetObject"), request)
    assert params == {"Bucket": "b", "Key": "some/key", "VersionId": "7"}


@pytest.mark.parametrize("headers", [
    {"if-modified-since": "yesterday-ish"},
    {"x-amz-object-lock-retain-until-date": "9" * 60},  # botocore's parser raises RuntimeError
    {"x-amz-object-lock-retain-until-date": "inf"},
    {"x-amz-object-lock-event-hold-duration-days": "1" * 30},  # past a Java int
    {"x-amz-object-lock-event-hold-duration-days": "+5"},
])
def test_invalid_header_value_is_an_aws_error(headers) -> None:
    protocol = protocol_for("s3")
    method = "GET" if "if-modified-since" in headers else "PUT"
    request = raw_request(method, "/b/k", headers=headers)
    with pytest.raises(AWSError) as caught:
        protocol.parse(protocol.resolve(request), request)
    assert caught.value.code == "InvalidArgument"
    assert caught.value.status == 400


# -- aws-chunked ----------------------------------------------------------------------------


def chunked(
    body: bytes, checksum_cls=Crc32Checksum, name: str = "x-amz-checksum-crc32", chunk: int = 1024
) -> bytes:
    return AwsChunkedWrapper(
        io.BytesIO(body), checksum_cls=checksum_cls, checksum_name=name, chunk_size=chunk
    ).read()


def chunked_headers(body: bytes, trailer: str = "x-amz-checksum-crc32") -> dict[str, str]:
    return {
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-trailer": trailer,
        "x-amz-decoded-content-length": str(len(body)),
    }


def test_decode_multi_chunk_body_as_botocore_encodes_it() -> None:
    body = bytes(range(256)) * 20
    payload, trailers = decode_aws_chunked(chunked(body, chunk=1000))
    assert payload == body
    assert trailers == {
        "x-amz-checksum-crc32": base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    }


def test_decode_signed_chunks() -> None:
    body = b"a" * 10 + b"b" * 5
    signature = "0" * 64
    encoded = (
        f"a;chunk-signature={signature}\r\n".encode()
        + b"a" * 10
        + b"\r\n"
        + f"5;chunk-signature={signature}\r\n".encode()
        + b"b" * 5
        + b"\r\n"
        + f"0;chunk-signature={signature}\r\n\r\n".encode()
    )
    assert decode_aws_chunked(encoded) == (body, {})


@pytest.mark.parametrize(
    "algorithm",
    ["crc32", "crc32c", "crc64nvme", "sha1", "sha256", "sha512", "md5", "xxhash64", "xxhash3", "xxhash128"],
)
def test_trailer_checksums_of_every_algorithm(algorithm: str) -> None:
    body = b"The quick brown fox" * 50
    name = f"x-amz-checksum-{algorithm}"
    encoded = (
        f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n"
        + f"{name}:{b64_checksum(algorithm, body)}\r\n\r\n".encode()
    )
    headers, payload = plain_body(chunked_headers(body, name), encoded)
    assert payload == body
    assert headers[name] == b64_checksum(algorithm, body)
    assert "content-encoding" not in headers
    assert headers["content-length"] == str(len(body))

    wrong = f"{name}:{b64_checksum(algorithm, b'other')}".encode()
    tampered = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n" + wrong + b"\r\n\r\n"
    with pytest.raises(AWSError) as caught:
        plain_body(chunked_headers(body, name), tampered)
    assert caught.value.code == "BadDigest"
    assert caught.value.message.endswith("you specified did not match the calculated checksum.")


def test_known_crc_check_values() -> None:
    assert crc("crc32c", b"123456789") == 0xE3069283
    assert crc("crc64nvme", b"123456789") == 0xAE8B14860A799888


def test_known_xxhash_values() -> None:
    # xxHash's reference digests of the empty input, big-endian as awscrt (botocore) sends them.
    assert digest("xxhash64", b"").hex() == "ef46db3751d8e999"
    assert digest("xxhash3", b"").hex() == "2d06800538d394c2"
    assert digest("xxhash128", b"").hex() == "99aa06d3014798d86001c324468d497f"


def test_decoded_length_mismatch_is_incomplete_body() -> None:
    body = b"0123456789"
    headers = chunked_headers(body) | {"x-amz-decoded-content-length": "11"}
    with pytest.raises(AWSError) as caught:
        plain_body(headers, chunked(body))
    assert caught.value.code == "IncompleteBody"
    assert caught.value.fields == {"NumberBytesExpected": 11, "NumberBytesProvided": 10}


@pytest.mark.parametrize(
    "encoded",
    [
        b"zz\r\nabc\r\n0\r\n\r\n",
        b"10\r\nshort\r\n0\r\n\r\n",
        b"3\r\nabc",
        b"3\r\nabcXX0\r\n\r\n",
        b"",
        b"\xff\xfe",
        b"0x3\r\nabc\r\n0\r\n\r\n",  # int(text, 16) would take these three
        b"+3\r\nabc\r\n0\r\n\r\n",
        b"0_3\r\nabc\r\n0\r\n\r\n",
        b"-3\r\nabc\r\n0\r\n\r\n",
    ],
)
def test_broken_chunk_framing(encoded: bytes) -> None:
    with pytest.raises(AWSError) as caught:
        plain_body({"content-encoding": "aws-chunked"}, encoded)
    assert caught.value.code == "IncompleteBody"


@pytest.mark.parametrize("declared", ["-5", "abc", "", "1e3", "+10", "１０"])
def test_a_decoded_length_that_is_not_a_length_is_missing_content_length(declared: str) -> None:
    body = b"0123456789"
    headers = chunked_headers(body) | {"x-amz-decoded-content-length": declared}
    with pytest.raises(AWSError) as caught:
        plain_body(headers, chunked(body))
    assert (caught.value.code, caught.value.status) == ("MissingContentLength", 411)


CRC32_OF_DATA = b64_checksum("crc32", b"data")


@pytest.mark.parametrize(("declared", "trailer"), [
    ("x-amz-checksum-crc32", b""),  # declared, never arrives
    ("x-amz-checksum-crc32", f"x-amz-checksum-sha1:{b64_checksum('sha1', b'data')}\r\n".encode()),  # another one
    (None, f"x-amz-checksum-crc32:{CRC32_OF_DATA}\r\n".encode()),  # never declared
    ("x-amz-checksum-crc32", f":{CRC32_OF_DATA}\r\n".encode()),  # no name
    ("x-amz-checksum-crc32", f"x-amz-checksum-crc32:{CRC32_OF_DATA}\r\nx-amz-foo:bar\r\n".encode()),
], ids=["missing", "another", "undeclared", "nameless", "one too many"])
def test_trailers_must_be_the_declared_ones(declared: str | None, trailer: bytes) -> None:
    headers = chunked_headers(b"data")
    if declared is None:
        del headers["x-amz-trailer"]
    encoded = b"4\r\ndata\r\n0\r\n" + trailer + b"\r\n"
    with pytest.raises(AWSError) as caught:
        plain_body(headers, encoded)
    assert caught.value.code == "MalformedTrailerError"
    assert caught.value.message.startswith("The request contained trailing data that was not well-formed")


@pytest.mark.parametrize("declared", ["x-amz-checksum-sha3", "x-amz-meta-foo", "x-amz-checksum-crc32,content-md5"])
def test_an_unsupported_trailer_declaration(declared: str) -> None:
    encoded = b"4\r\ndata\r\n0\r\n\r\n"
    with pytest.raises(AWSError) as caught:
        plain_body(chunked_headers(b"data", declared), encoded)
    assert caught.value.message == "The value specified in the x-amz-trailer header is not supported"


def test_content_sha256_is_the_bodys() -> None:
    sha = hashlib.sha256(b"data").hexdigest()
    assert plain_body({"x-amz-content-sha256": sha}, b"data")[1] == b"data"
    assert plain_body({"x-amz-content-sha256": sha.upper()}, b"data")[1] == b"data"
    assert plain_body({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, b"data")[1] == b"data"
    with pytest.raises(AWSError) as caught:
        plain_body({"x-amz-content-sha256": "0" * 64}, b"data")
    assert caught.value.code == "XAmzContentSHA256Mismatch"
    assert caught.value.fields == {"ClientComputedContentSHA256": "0" * 64, "S3ComputedContentSHA256": sha}


@pytest.mark.parametrize("value", ["zzzz", "", "abc", "STREAMING-FOO", "0" * 63, "g" * 64])
def test_content_sha256_that_is_neither_hex_nor_a_streaming_form(value: str) -> None:
    with pytest.raises(AWSError) as caught:
        plain_body({"x-amz-content-sha256": value}, b"data")
    assert caught.value.code == "InvalidArgument"
    assert caught.value.fields == {"ArgumentName": "x-amz-content-sha256", "ArgumentValue": value}
    assert caught.value.message.endswith("or a valid sha256 value.")


def test_malformed_checksum_header() -> None:
    with pytest.raises(AWSError) as caught:
        plain_body({"x-amz-checksum-sha256": "short"}, b"data")
    assert caught.value.code == "InvalidRequest"


def test_content_md5_empty_is_invalid_digest() -> None:
    with pytest.raises(AWSError) as caught:
        plain_body({"content-md5": ""}, b"data")
    assert caught.value.code == "InvalidDigest"
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    assert plain_body({"content-md5": good}, b"data")[1] == b"data"


# -- virtual-hosted addressing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "bucket"),
    [
        ("photos.localhost:4566", "photos"),
        ("photos.localhost", "photos"),
        ("my.dotted.bucket.localhost:4566", "my.dotted.bucket"),
        ("photos.s3.localhost.localstack.cloud:4566", "photos"),
        ("photos.s3.amazonaws.com", "photos"),
        ("photos.s3.us-east-1.amazonaws.com", "photos"),
        ("photos.s3-us-west-2.amazonaws.com", "photos"),
        ("localhost:4566", None),
        ("127.0.0.1:4566", None),
        ("[::1]:4566", None),
        ("s3.localhost.localstack.cloud:4566", None),
        ("s3.amazonaws.com", None),
        ("example.org", None),
        ("", None),
    ],
)
def test_virtual_host_bucket(host: str, bucket: str | None) -> None:
    assert virtual_host_bucket(host) == bucket


def test_rewrite_virtual_host() -> None:
    request = raw_request("GET", "/a/b.jpg", "versionId=1", {"host": "photos.localhost:4566"})
    rewritten = rewrite_virtual_host(request)
    assert (rewritten.path, rewritten.query) == ("/photos/a/b.jpg", "versionId=1")
    root = rewrite_virtual_host(raw_request("GET", "/", "list-type=2", {"host": "photos.localhost"}))
    assert root.path == "/photos"
    plain = raw_request("GET", "/photos/k", "", {"host": "localhost:4566"})
    assert rewrite_virtual_host(plain) is plain
