"""Malformed requests, per protocol family, on the wire: the AWS error (code, status), no change,
and the server still up. Sent as raw HTTP because boto3 would refuse to send them."""

from __future__ import annotations

import json

import pytest

AUTH = ("AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0")


JSON_BODIES = [b"{not json", b"[1, 2, 3]", b"\x00\xff\xfe\x80binary", b'"a string"', b"{\"TableName\": 5, \"Item\": {}}"]


@pytest.mark.parametrize("body", JSON_BODIES)
def test_dynamodb_malformed_json(tidal_server, dynamodb, body):
    before = dynamodb.list_tables()["TableNames"]
    status, headers, data = tidal_server.http("POST", "/", body, {
        "X-Amz-Target": "DynamoDB_20120810.CreateTable", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": AUTH.format(service="dynamodb"),
    })
    assert status == 400
    assert json.loads(data)["__type"] == "com.amazon.coral.service#SerializationException"
    assert headers["x-amzn-requestid"]
    assert dynamodb.list_tables()["TableNames"] == before
    assert tidal_server.healthy()


def test_dynamodb_missing_required_member(tidal_server):
    status, _, data = tidal_server.http("POST", "/", b'{"TableName": "some-table"}', {
        "X-Amz-Target": "DynamoDB_20120810.PutItem", "Authorization": AUTH.format(service="dynamodb"),
    })
    error = json.loads(data)
    assert status == 400 and error["__type"] == "com.amazon.coral.validate#ValidationException"
    assert error["message"] == ("1 validation error detected: Value null at 'item' failed to satisfy "
                                "constraint: Member must not be null")


def test_dynamodb_unknown_operation(tidal_server):
    status, _, data = tidal_server.http("POST", "/", b"{}", {
        "X-Amz-Target": "DynamoDB_20120810.DropEverything", "Authorization": AUTH.format(service="dynamodb"),
    })
    assert status == 400 and json.loads(data)["__type"].endswith("#UnknownOperationException")


@pytest.mark.parametrize("body", JSON_BODIES[:4])
def test_lambda_malformed_json(tidal_server, lambda_, body):
    before = lambda_.list_functions()["Functions"]
    status, headers, data = tidal_server.http("POST", "/2015-03-31/functions", body, {
        "Content-Type": "application/json", "Authorization": AUTH.format(service="lambda"),
    })
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("InvalidRequestContentException")
    assert "message" in json.loads(data)
    assert lambda_.list_functions()["Functions"] == before
    assert tidal_server.healthy()


def test_lambda_unknown_route(tidal_server):
    status, headers, _ = tidal_server.http("GET", "/2015-03-31/nowhere", b"", {
        "Authorization": AUTH.format(service="lambda"),
    })
    assert status == 404 and headers["x-amzn-errortype"].startswith("UnknownOperationException")


BAD_XML = [
    b"<NotificationConfiguration><CloudFunctionConfiguration>",  # not well-formed
    b"\x00\xff binary",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><NotificationConfiguration>&a;</NotificationConfiguration>',
    b"<Wrong><Thing/></Wrong>",
]


@pytest.mark.parametrize("body", BAD_XML)
def test_s3_malformed_xml(tidal_server, s3, body):
    bucket = "malformed-xml-bucket"
    s3.create_bucket(Bucket=bucket)
    before = s3.get_bucket_notification_configuration(Bucket=bucket)
    before.pop("ResponseMetadata")
    status, headers, data = tidal_server.http("PUT", f"/{bucket}?notification", body, {
        "Authorization": AUTH.format(service="s3"),
    })
    assert status == 400
    assert b"<Code>MalformedXML</Code>" in data
    assert headers["x-amz-request-id"]
    after = s3.get_bucket_notification_configuration(Bucket=bucket)
    after.pop("ResponseMetadata")
    assert after == before
    assert tidal_server.healthy()


def test_s3_create_bucket_with_bad_xml_creates_nothing(tidal_server, s3):
    status, _, data = tidal_server.http("PUT", "/never-created-bucket", b"<CreateBucketConfiguration>", {
        "Authorization": AUTH.format(service="s3"),
    })
    assert status == 400 and b"<Code>MalformedXML</Code>" in data
    assert "never-created-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize("size", [5, 5 * 1024 * 1024], ids=["small", "large, checked off the loop"])
def test_s3_bad_content_md5_stores_nothing(tidal_server, s3, size):
    bucket = f"md5-check-bucket-{size}"
    s3.create_bucket(Bucket=bucket)
    blobs = tidal_server.data_dir / "blobs"
    files_before = set(blobs.glob("??/*"))
    status, _, data = tidal_server.http("PUT", f"/{bucket}/k", b"h" * size, {
        "Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA==", "Authorization": AUTH.format(service="s3"),
    })
    assert status == 400 and b"<Code>BadDigest</Code>" in data
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert set(blobs.glob("??/*")) == files_before  # refused before any file was written
    assert tidal_server.healthy()


CRC32_OF_H = "kWsG5w=="  # CRC32 of b"h", base64


@pytest.mark.parametrize(("headers", "message"), [
    ({"x-amz-checksum-crc32": CRC32_OF_H, "x-amz-checksum-sha1": "J9VILuvQdd5EOJd0/OKMafRcinU="},
     b"Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."),
    ({"x-amz-checksum-crc32": CRC32_OF_H, "x-amz-sdk-checksum-algorithm": "SHA256"},
     b"Value for x-amz-sdk-checksum-algorithm header is invalid."),
    ({"x-amz-checksum-crc32": "not base64!"}, b"Value for x-amz-checksum-crc32 header is invalid."),
    ({"x-amz-checksum-crc32": "AAAAAA=="}, b"The CRC32 you specified did not match the calculated checksum."),
], ids=["two algorithms", "sdk algorithm differs", "malformed value", "wrong value"])
def test_s3_bad_flexible_checksums_store_nothing(tidal_server, s3, headers, message):
    bucket = "flexible-checksum-bucket"
    s3.create_bucket(Bucket=bucket)
    status, _, data = tidal_server.http("PUT", f"/{bucket}/k", b"h", {
        **headers, "Authorization": AUTH.format(service="s3"),
    })
    code = b"BadDigest" if message.startswith(b"The CRC32") else b"InvalidRequest"
    assert status == 400 and b"<Code>" + code + b"</Code>" in data and message in data, data
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert tidal_server.healthy()


@pytest.mark.parametrize(("path", "headers", "code"), [
    ("/", {"Authorization": AUTH.format(service="s3")}, b"<Code>AccessDenied</Code>"),
    ("/", {"Authorization": AUTH.format(service="dynamodb"), "X-Amz-Target": "DynamoDB_20120810.ListTables"},
     b"AccessDeniedException"),
    ("/_tidal/health", {}, b"does not answer requests for host"),
], ids=["s3", "dynamodb", "tidal's own endpoints"])
def test_a_forged_host_is_refused_as_dns_rebinding_would_send_it(tidal_server, s3, path, headers, code):
    """A page on evil.example whose name now resolves to 127.0.0.1 sends its own name as Host."""
    before = s3.list_buckets()["Buckets"]
    method = "POST" if "X-Amz-Target" in headers else "GET"
    status, _, data = tidal_server.http(method, path, b"{}" if method == "POST" else b"",
                           {**headers, "Host": f"evil.example:{tidal_server.port}"})
    assert status == 403 and code in data, data
    assert s3.list_buckets()["Buckets"] == before
    status, _, _ = tidal_server.http("GET", "/_tidal/health", b"", {"Host": f"localhost:{tidal_server.port}"})
    assert status == 200


def test_a_put_through_a_forged_host_changes_nothing(tidal_server, s3):
    s3.create_bucket(Bucket="rebinding-target")
    status, _, data = tidal_server.http("PUT", "/rebinding-target/planted", b"x", {
        "Authorization": AUTH.format(service="s3"), "Host": "attacker.example",
    })
    assert status == 403 and b"AccessDenied" in data
    assert s3.list_objects_v2(Bucket="rebinding-target")["KeyCount"] == 0
