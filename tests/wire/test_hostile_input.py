"""Each finding of the hostile-client trial, on the wire: AWS's error, nothing changed, the
server up. Sent raw, because boto3 refuses to send most of these."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import zipfile

import pytest

S3_AUTH = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/s3/aws4_request, "
                            "SignedHeaders=host, Signature=0"}
DDB_AUTH = "AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
BUCKET = "hostile-input-bucket"
TABLE = "hostile-input-table"


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"hello")
    return BUCKET


@pytest.fixture(scope="module")
def table(dynamodb):
    dynamodb.create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "a"}, "n": {"N": "9.9999999999999999999999999999999999999E+125"}})
    return TABLE


def dynamodb_call(server, operation: str, document: dict) -> tuple[int, dict]:
    status, _, data = server.http("POST", "/", json.dumps(document).encode(), {
        "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Authorization": DDB_AUTH,
        "Content-Type": "application/x-amz-json-1.0",
    })
    return status, json.loads(data)


def keys(s3) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


# -- 1. response splitting ---------------------------------------------------------------------

OVERRIDES = ["response-content-type", "response-content-disposition", "response-cache-control",
             "response-content-language", "response-content-encoding"]
BREAKS = {"CRLF": "%0D%0A", "LF": "%0A", "CR": "%0D"}


@pytest.mark.parametrize("brk", list(BREAKS), ids=list(BREAKS))
@pytest.mark.parametrize("parameter", OVERRIDES)
def test_a_response_override_cannot_write_headers(tidal_server, bucket, parameter, brk):
    path = f"/{bucket}/k?{parameter}=x{BREAKS[brk]}X-Injected%3A%20yes"
    status, headers, data = tidal_server.http("GET", path, b"", S3_AUTH)
    assert "x-injected" not in headers
    assert status == 400 and b"<Code>InvalidArgument</Code>" in data
    assert b"Header value cannot be represented using ISO-8859-1." in data
    assert f"<ArgumentName>{parameter}</ArgumentName>".encode() in data


@pytest.mark.parametrize("value", [
    "x%0D%0AContent-Length%3A%200%0D%0A%0D%0AHTTP/1.1%20200%20OK%0D%0AX-Injected%3A%20yes%0D%0A%0D%0Apwned",
    "x%00y",
], ids=["smuggled response", "NUL"])
def test_a_response_override_cannot_end_the_head_early(tidal_server, bucket, value):
    sock = socket.create_connection(("127.0.0.1", tidal_server.port), timeout=10)
    sock.sendall(f"GET /{bucket}/k?response-content-type={value} HTTP/1.1\r\nHost: localhost\r\n"
                 f"Authorization: {S3_AUTH['Authorization']}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
    assert len(body) == length  # one response, whole: the attacker's text is only in its body
    assert b"X-Injected" not in head and head.count(b"HTTP/1.1") == 1
    assert head.startswith(b"HTTP/1.1 400") and b"<Code>InvalidArgument</Code>" in body


def test_a_latin1_override_is_taken(tidal_server, bucket):
    status, headers, _ = tidal_server.http("GET", f"/{bucket}/k?response-content-type=text/plain%3B%20a%3D%C3%A9",
                                           b"", S3_AUTH)
    assert status == 200 and headers["content-type"] == "text/plain; a=\u00e9"


# -- 2. the two 500s -----------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("spec", ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000])
def test_a_range_past_any_number_is_ignored(tidal_server, bucket, method, spec):
    status, headers, data = tidal_server.http(method, f"/{bucket}/k", b"", {**S3_AUTH, "Range": spec})
    assert status == 200  # S3 ignores a range it cannot parse
    assert headers["content-length"] == "5" and "content-range" not in headers
    assert data == (b"hello" if method == "GET" else b"")


@pytest.mark.parametrize("document", [
    {"TableName": "no-definitions", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
     "BillingMode": "PAY_PER_REQUEST"},
    {"TableName": "no-definitions", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
     "AttributeDefinitions": None, "BillingMode": "PAY_PER_REQUEST"},
    {"TableName": "no-definitions", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
     "AttributeDefinitons": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"},
], ids=["missing", "null", "misspelled"])
def test_create_table_without_attribute_definitions(tidal_server, dynamodb, document):
    status, error = dynamodb_call(tidal_server, "CreateTable", document)
    assert status == 400 and error["__type"] == "com.amazon.coral.validate#ValidationException"
    assert error["message"] == ("1 validation error detected: Value null at 'attributeDefinitions' failed to "
                                "satisfy constraint: Member must not be null")
    assert "no-definitions" not in dynamodb.list_tables()["TableNames"]


# -- 3. invalid input answered 2xx -------------------------------------------------------------

@pytest.mark.parametrize(("member", "value", "message"), [
    ("ScanIndexForward", 3.5, "DECIMAL_VALUE cannot be converted to Boolean"),
    ("ConsistentRead", 3.5, "DECIMAL_VALUE cannot be converted to Boolean"),
    ("ScanIndexForward", 1e30, "DECIMAL_VALUE cannot be converted to Boolean"),
    ("ConsistentRead", 10**30, "DECIMAL_VALUE cannot be converted to Boolean"),  # a float once parsed
    ("ConsistentRead", 1, "NUMBER_VALUE cannot be converted to Boolean"),
])
def test_a_boolean_member_refuses_numbers(tidal_server, table, member, value, message):
    status, error = dynamodb_call(tidal_server, "Query", {
        "TableName": table, "KeyConditionExpression": "id = :v", "ExpressionAttributeValues": {":v": {"S": "a"}},
        member: value,
    })
    assert status == 400 and error == {"__type": "com.amazon.coral.service#SerializationException", "Message": message}


def test_an_expression_over_4_kb_changes_nothing(tidal_server, dynamodb, table):
    condition = "attribute_not_exists(#a)" + " AND attribute_not_exists(#a)" * 150
    assert len(condition) > 4096
    status, error = dynamodb_call(tidal_server, "PutItem", {
        "TableName": table, "Item": {"id": {"S": "long-condition"}}, "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#a": "id"},
    })
    assert status == 400
    assert error["message"].startswith("Invalid ConditionExpression: Expression size has exceeded the maximum")
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"id": {"S": "long-condition"}})


OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"


@pytest.mark.parametrize(("expression", "value", "message"), [
    ("ADD n :v", "9.9999999999999999999999999999999999999E+125", OVERFLOW),
    ("SET n = n + :v", "1", OVERFLOW),  # 39 significant digits: DynamoDB calls it an overflow
    ("ADD m :v", "1234567890123456789012345678901234567890", "ExpressionAttributeValues contains invalid value: "
     "Attempting to store more than 38 significant digits in a Number for key :v"),
])
def test_arithmetic_past_dynamodb_numbers_changes_nothing(tidal_server, dynamodb, table, expression, value, message):
    before = dynamodb.get_item(TableName=table, Key={"id": {"S": "a"}}, ConsistentRead=True)["Item"]
    status, error = dynamodb_call(tidal_server, "UpdateItem", {
        "TableName": table, "Key": {"id": {"S": "a"}}, "UpdateExpression": expression,
        "ExpressionAttributeValues": {":v": {"N": value}},
    })
    assert status == 400 and error["message"] == message
    assert dynamodb.get_item(TableName=table, Key={"id": {"S": "a"}}, ConsistentRead=True)["Item"] == before


SHA_OF_HI = hashlib.sha256(b"hi").hexdigest()
PUT_REFUSALS = [
    ({"x-amz-storage-class": "FOO"}, 400, "InvalidStorageClass", b"<StorageClassRequested>FOO</StorageClassRequested>"),
    ({"x-amz-storage-class": ""}, 400, "InvalidStorageClass", b"<StorageClassRequested></StorageClassRequested>"),
    ({"x-amz-server-side-encryption": "rot13"}, 400, "InvalidArgument",
     b"<Message>The encryption method specified is not supported</Message>"),
    ({"x-amz-acl": "nonsense"}, 400, "InvalidArgument", b"<ArgumentName>x-amz-acl</ArgumentName>"),
    ({"x-amz-object-lock-mode": "FOREVER", "x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z"}, 400,
     "InvalidArgument", b"Unknown wormMode directive."),
    ({"x-amz-object-lock-mode": "FOREVER"}, 400, "InvalidArgument",
     b"x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"),
    ({"x-amz-object-lock-legal-hold": "maybe"}, 400, "InvalidArgument",
     b"Legal Hold must be either of 'ON' or 'OFF'"),
    ({"x-amz-object-lock-legal-hold": "ON"}, 400, "InvalidRequest", b"Bucket is missing ObjectLockConfiguration"),
    ({"x-amz-write-offset-bytes": "-5"}, 501, "NotImplemented", b"<Header>x-amz-write-offset-bytes</Header>"),
    ({"x-amz-write-offset-bytes": "1" + "0" * 23}, 400, "InvalidArgument", b""),
    ({"x-amz-content-sha256": "not-hex"}, 400, "InvalidArgument", b"or a valid sha256 value."),
    ({"x-amz-content-sha256": "0" * 64}, 400, "XAmzContentSHA256Mismatch",
     f"<S3ComputedContentSHA256>{SHA_OF_HI}</S3ComputedContentSHA256>".encode()),
]


@pytest.mark.parametrize(("headers", "status", "code", "detail"), PUT_REFUSALS,
                         ids=[f"{list(h)[-1]}={list(h.values())[-1][:12]}" for h, *_ in PUT_REFUSALS])
def test_put_object_refuses_bad_headers_and_stores_nothing(tidal_server, s3, bucket, headers, status, code, detail):
    got, _, data = tidal_server.http("PUT", f"/{bucket}/refused", b"hi", {**S3_AUTH, **headers})
    assert got == status and f"<Code>{code}</Code>".encode() in data and detail in data, data
    assert "refused" not in keys(s3)
    assert tidal_server.healthy()


CHUNKED = {"Content-Encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
           "x-amz-decoded-content-length": "100"}
CHUNKED_REFUSALS = [
    (b"0x64", b"", {}, 400, "IncompleteBody"),
    (b"6_4", b"", {}, 400, "IncompleteBody"),
    (b"+64", b"", {}, 400, "IncompleteBody"),
    (b"64", b"", {"x-amz-trailer": "x-amz-checksum-crc32"}, 400, "MalformedTrailerError"),  # never arrives
    (b"64", b"x-amz-checksum-sha7:AAAA\r\n", {"x-amz-trailer": "x-amz-checksum-crc32"}, 400, "MalformedTrailerError"),
    (b"64", b"", {"x-amz-trailer": "x-amz-checksum-sha7"}, 400, "InvalidRequest"),
    (b"64", b"", {"x-amz-decoded-content-length": "-5"}, 411, "MissingContentLength"),
    (b"64", b"", {"x-amz-decoded-content-length": "abc"}, 411, "MissingContentLength"),
]


@pytest.mark.parametrize(("size", "trailer", "headers", "status", "code"), CHUNKED_REFUSALS,
                         ids=["0x64", "6_4", "+64", "missing trailer", "unknown trailer", "unsupported trailer",
                              "negative length", "length abc"])
def test_bad_aws_chunked_framing_stores_nothing(tidal_server, s3, bucket, size, trailer, headers, status, code):
    body = size + b"\r\n" + b"x" * 100 + b"\r\n0\r\n" + trailer + b"\r\n"
    got, _, data = tidal_server.http("PUT", f"/{bucket}/chunked-refused", body, {**S3_AUTH, **CHUNKED, **headers})
    assert got == status and f"<Code>{code}</Code>".encode() in data, data
    assert "chunked-refused" not in keys(s3)


# -- 4. half-closed connections ----------------------------------------------------------------

def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'got': event}\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def function(lambda_):
    lambda_.create_function(FunctionName="half-close-fn", Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": _zip()})
    return "half-close-fn"


def half_closed(server, request: bytes) -> bytes:
    """Send ``request``, shut the sending side, read to the end."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(request)
    sock.shutdown(socket.SHUT_WR)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    return data


def _raw(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _ddb(operation: str, document: dict) -> bytes:
    return _raw("POST", "/", {"X-Amz-Target": f"DynamoDB_20120810.{operation}", "Authorization": DDB_AUTH},
                json.dumps(document).encode())


LAMBDA_AUTH = {"Authorization": DDB_AUTH.replace("/dynamodb/", "/lambda/")}
HALF_CLOSED = {
    "s3 GetObject": lambda: _raw("GET", f"/{BUCKET}/k", S3_AUTH),
    "s3 HeadObject": lambda: _raw("HEAD", f"/{BUCKET}/k", S3_AUTH),
    "s3 PutObject": lambda: _raw("PUT", f"/{BUCKET}/half", S3_AUTH, b"hi"),
    "s3 ListObjectsV2": lambda: _raw("GET", f"/{BUCKET}?list-type=2", S3_AUTH),
    "dynamodb GetItem": lambda: _ddb("GetItem", {"TableName": TABLE, "Key": {"id": {"S": "a"}}}),
    "dynamodb PutItem": lambda: _ddb("PutItem", {"TableName": TABLE, "Item": {"id": {"S": "half"}}}),
    "dynamodb Query": lambda: _ddb("Query", {"TableName": TABLE, "KeyConditionExpression": "id = :v",
                                             "ExpressionAttributeValues": {":v": {"S": "a"}}}),
    "lambda Invoke": lambda: _raw("POST", "/2015-03-31/functions/half-close-fn/invocations", LAMBDA_AUTH, b'{"a": 1}'),
    "lambda ListFunctions": lambda: _raw("GET", "/2015-03-31/functions/", LAMBDA_AUTH),
}


@pytest.mark.parametrize("name", list(HALF_CLOSED))
def test_a_half_closed_connection_is_answered(tidal_server, bucket, table, function, name):
    data = half_closed(tidal_server, HALF_CLOSED[name]())
    head = data.split(b"\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 200"), data[:300]
    if name == "lambda Invoke":
        assert data.endswith(b'{"got": {"a": 1}}')


@pytest.mark.parametrize("configuration", [
    b"<CreateBucketConfiguration><Bucket><Type>Nope</Type></Bucket></CreateBucketConfiguration>",
    b"<CreateBucketConfiguration><Tags><Tag><Value>no key</Value></Tag></Tags></CreateBucketConfiguration>",
], ids=["value outside the schema's enum", "required member missing"])
def test_an_xml_body_that_does_not_validate_against_the_schema_creates_nothing(tidal_server, s3, configuration):
    status, _, data = tidal_server.http("PUT", "/schema-refused-bucket", configuration, S3_AUTH)
    assert status == 400 and b"<Code>MalformedXML</Code>" in data
    assert "schema-refused-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_a_list_header_checks_each_value_against_its_enum(tidal_server, bucket):
    headers = {**S3_AUTH, "x-amz-optional-object-attributes": "RestoreStatus,Nope"}
    status, _, data = tidal_server.http("GET", f"/{bucket}?list-type=2", b"", headers)
    assert status == 400 and b"<ArgumentName>x-amz-optional-object-attributes</ArgumentName>" in data
    headers["x-amz-optional-object-attributes"] = "RestoreStatus"
    assert tidal_server.http("GET", f"/{bucket}?list-type=2", b"", headers)[0] == 200
