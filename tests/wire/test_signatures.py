"""``tidal up --auth sigv4``: boto3 and the AWS CLI with the right secret work; a wrong secret,
a tampered request, a skewed clock, an unknown key and an expired presigned URL are refused
with the codes each service gives."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from unittest import mock

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tidal.testing import TidalProcess

SECRET = "s3cr3t-for-tests"
KEY_ID = "AKIDTIDALTEST"


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("tidal-sigv4")
    with TidalProcess(root / "data", args=["--auth", "sigv4", "--credentials", f"{KEY_ID}:{SECRET}"]) as server:
        yield server


def client(server, service: str, secret: str = SECRET, key_id: str = KEY_ID, **config):
    return boto3.client(
        service, endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=BotoConfig(retries={"max_attempts": 1}, **config),
    )


def error_of(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Message", "")


def test_the_right_secret_is_accepted_everywhere(signed_server):
    s3 = client(signed_server, "s3")
    s3.create_bucket(Bucket="signed-bucket")
    s3.put_object(Bucket="signed-bucket", Key="a/b c+d", Body=b"payload")
    assert s3.get_object(Bucket="signed-bucket", Key="a/b c+d")["Body"].read() == b"payload"
    virtual = client(signed_server, "s3", s3={"addressing_style": "virtual"})
    # the endpoint is an IP, so boto3 stays path-style; a virtual-hosted name is checked below
    assert virtual.list_objects_v2(Bucket="signed-bucket", Prefix="a/")["KeyCount"] == 1
    ddb = client(signed_server, "dynamodb")
    ddb.create_table(TableName="signed-table", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="signed-table", Item={"id": {"S": "x"}})
    assert ddb.get_item(TableName="signed-table", Key={"id": {"S": "x"}})["Item"] == {"id": {"S": "x"}}
    assert client(signed_server, "lambda").list_functions()["Functions"] == []


def test_a_virtual_hosted_request_is_verified_as_it_was_signed(signed_server):
    s3 = client(signed_server, "s3")
    s3.create_bucket(Bucket="virtual-signed")
    host = f"virtual-signed.localhost:{signed_server.port}"  # signed as boto3 signs a virtual-hosted put
    request = AWSRequest("PUT", f"http://{host}/k", data=b"v",
                         headers={"X-Amz-Content-SHA256": hashlib.sha256(b"v").hexdigest()})
    S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", "us-east-1").add_auth(request)
    status, _, data = signed_server.http("PUT", "/k", b"v", {"Host": host, **dict(request.headers)})
    assert status == 200, data
    assert s3.get_object(Bucket="virtual-signed", Key="k")["Body"].read() == b"v"


@pytest.mark.parametrize(("service", "call", "code", "status"), [
    ("s3", lambda c: c.list_buckets(), "SignatureDoesNotMatch", 403),
    ("dynamodb", lambda c: c.list_tables(), "InvalidSignatureException", 400),
    ("lambda", lambda c: c.list_functions(), "InvalidSignatureException", 403),
])
def test_a_wrong_secret_is_refused(signed_server, service, call, code, status):
    got_code, got_status, message = error_of(call, client(signed_server, service, secret="wrong"))
    assert (got_code, got_status) == (code, status)
    assert "signature we calculated does not match" in message


@pytest.mark.parametrize(("service", "call", "code"), [
    ("s3", lambda c: c.list_buckets(), "InvalidAccessKeyId"),
    ("dynamodb", lambda c: c.list_tables(), "UnrecognizedClientException"),
    ("lambda", lambda c: c.list_functions(), "UnrecognizedClientException"),
])
def test_an_unknown_key_is_refused(signed_server, service, call, code):
    assert error_of(call, client(signed_server, service, key_id="AKIDNOBODY"))[0] == code


def test_a_request_tampered_after_signing_is_refused_and_changes_nothing(signed_server):
    s3 = client(signed_server, "s3")
    s3.create_bucket(Bucket="tamper-bucket")
    ddb = client(signed_server, "dynamodb")

    def tamper_key(request, **_):
        request.url = request.url.replace("/tamper-bucket/k", "/tamper-bucket/other")

    s3.meta.events.register_first("before-send.s3.PutObject", tamper_key)
    assert error_of(s3.put_object, Bucket="tamper-bucket", Key="k", Body=b"x")[0] == "SignatureDoesNotMatch"
    assert client(signed_server, "s3").list_objects_v2(Bucket="tamper-bucket")["KeyCount"] == 0

    def tamper_body(request, **_):
        request.body = request.body.replace(b"signed-table", b"signed-tabl3")

    ddb.meta.events.register_first("before-send.dynamodb.DescribeTable", tamper_body)
    assert error_of(ddb.describe_table, TableName="signed-table")[0] == "InvalidSignatureException"


def _skewed(minutes: int):
    """botocore signing with a clock ``minutes`` off (the server's clock is the real one)."""
    real = datetime.datetime

    class Skewed(real):
        @classmethod
        def now(cls, tz=None):
            return real.now(tz) + datetime.timedelta(minutes=minutes)

        @classmethod
        def utcnow(cls):
            return real.utcnow() + datetime.timedelta(minutes=minutes)

    return mock.patch("botocore.auth.datetime.datetime", Skewed)


@pytest.mark.parametrize(("service", "call", "code", "wording"), [
    ("s3", lambda c: c.list_buckets(), "RequestTimeTooSkewed",
     "The difference between the request time and the current time is too large."),
    ("dynamodb", lambda c: c.list_tables(), "InvalidSignatureException", "Signature expired"),
])
def test_a_skewed_clock_is_refused(signed_server, service, call, code, wording):
    c = client(signed_server, service)
    with _skewed(-20):
        got_code, _, message = error_of(call, c)
    assert got_code == code and wording in message
    with _skewed(-10):  # within AWS's 15 minutes
        call(c)


def test_a_presigned_url_works_until_it_expires(signed_server):
    s3 = client(signed_server, "s3", signature_version="s3v4")
    s3.create_bucket(Bucket="presigned-bucket")
    s3.put_object(Bucket="presigned-bucket", Key="doc", Body=b"shared")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned-bucket", "Key": "doc"}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"shared"
    with _skewed(-10):  # signed ten minutes ago, valid for one
        expired = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned-bucket", "Key": "doc"},
                                            ExpiresIn=60)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(expired, timeout=10)
    body = caught.value.read()
    assert caught.value.code == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body
    wrong = client(signed_server, "s3", secret="wrong", signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": "presigned-bucket", "Key": "doc"}, ExpiresIn=300)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(wrong, timeout=10)
    assert caught.value.code == 403 and b"SignatureDoesNotMatch" in caught.value.read()


@pytest.mark.parametrize(("path", "headers", "status", "needle"), [
    ("/", {}, 403, b"<Code>AccessDenied</Code>"),
    ("/2015-03-31/functions/", {}, 403, b"Missing Authentication Token"),
    ("/", {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}, 400,
     b"MissingAuthenticationTokenException"),
], ids=["s3", "lambda", "dynamodb"])
def test_an_unsigned_request_is_refused(signed_server, path, headers, status, needle):
    method = "POST" if headers else "GET"
    got, response_headers, data = signed_server.http(method, path, b"{}" if headers else b"", headers)
    assert got == status and (needle in data or needle.decode() in response_headers.get("x-amzn-errortype", ""))


HANDLER = """
import boto3

def handler(event, context):
    return boto3.client("s3").list_objects_v2(Bucket="from-a-handler")["KeyCount"]
"""


def test_a_handlers_own_calls_are_signed_with_the_configured_credentials(signed_server):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    s3 = client(signed_server, "s3")
    s3.create_bucket(Bucket="from-a-handler")
    s3.put_object(Bucket="from-a-handler", Key="one", Body=b"1")
    lam = client(signed_server, "lambda")
    lam.create_function(FunctionName="signs-its-calls", Runtime="python3.12", Handler="app.handler",
                        Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": buffer.getvalue()})
    result = lam.invoke(FunctionName="signs-its-calls", Payload=b"{}")
    assert "FunctionError" not in result, result["Payload"].read()
    assert json.loads(result["Payload"].read()) == 1


def test_the_aws_cli_signs_as_tidal_expects(signed_server):
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    client(signed_server, "s3").create_bucket(Bucket="cli-signed")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)
    run = [str(aws), "--endpoint-url", signed_server.endpoint, "s3", "ls", "s3://cli-signed"]
    assert subprocess.run(run, env=env, capture_output=True, timeout=60).returncode == 0
    refused = subprocess.run(run, env={**env, "AWS_SECRET_ACCESS_KEY": "wrong"}, capture_output=True, timeout=60)
    assert refused.returncode != 0 and b"SignatureDoesNotMatch" in refused.stderr


def test_a_large_upload_is_verified_off_the_loop_as_any_other(signed_server):
    """A body over 4 MB is verified (and parsed) on a worker thread: still refused when the
    secret is wrong, still stored whole when it is right."""
    body = os.urandom(5 * 1024 * 1024)
    s3 = client(signed_server, "s3")
    s3.create_bucket(Bucket="large-signed")
    wrong = client(signed_server, "s3", secret="wrong")
    assert error_of(wrong.put_object, Bucket="large-signed", Key="big", Body=body)[0] == "SignatureDoesNotMatch"
    assert s3.list_objects_v2(Bucket="large-signed")["KeyCount"] == 0
    s3.put_object(Bucket="large-signed", Key="big", Body=body)
    assert s3.get_object(Bucket="large-signed", Key="big")["Body"].read() == body
