"""SigV4 verification against requests botocore signs, AWS's documented examples, and the
errors each service answers when a signature is wrong, late, unknown, missing or malformed."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from urllib.parse import urlsplit

import boto3
import botocore.config
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

from tidal.errors import AWSError
from tidal.gateway.signatures import SignatureVerifier
from tidal.types import HttpRequest

CREDENTIALS = Credentials("test", "test")
ENDPOINT = "http://localhost:4566"
CORAL_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
S3_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)


def verifier(now: float | None = None, secret: str = "test") -> SignatureVerifier:
    return SignatureVerifier({"test": secret}, now=(lambda: now) if now is not None else time.time)


def to_http(request) -> HttpRequest:
    """A botocore request as tidal's HTTP layer hands it over: lower-case header names, the raw
    path and query split apart, the Host header the HTTP client would have sent."""
    parts = urlsplit(request.url)
    headers = {}
    for name, value in request.headers.items():
        headers[name.lower()] = value.decode() if isinstance(value, bytes) else str(value)
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if parts.port in (None, default_port) else f"{parts.hostname}:{parts.port}"
    headers.setdefault("host", host)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(request.method, parts.path or "/", parts.query, headers, body or b"")


def signed(auth, method: str, url: str, headers: dict | None = None, body: bytes = b"") -> HttpRequest:
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    auth.add_auth(request)
    return to_http(request.prepare())


def captured(service: str, call, endpoint: str = ENDPOINT, config=None, credentials=CREDENTIALS) -> HttpRequest:
    """The request a real boto3 client sends for ``call``, caught before it leaves."""
    session = boto3.Session(
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        region_name="us-east-1",
    )
    client = session.client(service, endpoint_url=endpoint, config=config)
    requests: list[HttpRequest] = []

    class Raw:
        def stream(self, **_kwargs):
            return iter([b"{}" if service != "s3" else b""])

    def before_send(request, **_kwargs):
        requests.append(to_http(request))
        return AWSResponse(request.url, 200, {}, Raw())

    client.meta.events.register("before-send", before_send)
    try:
        call(client)
    except Exception:
        pass  # the fake response need not parse: the request is what matters
    return requests[0]


def rejected(request: HttpRequest, service: str, check: SignatureVerifier | None = None) -> AWSError:
    with pytest.raises(AWSError) as info:
        (check or verifier()).verify(request, service)
    return info.value


def put_object(client):
    client.put_object(Bucket="bucket", Key="dir/my key+1.txt", Body=b"hello world")


def update_item(client):
    client.update_item(
        TableName="t",
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET #n = :v",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":v": {"N": "1"}},
    )


def invoke(client):
    client.invoke(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:f", Payload=b"{}", Qualifier="$LATEST")


BOTO3_CALLS = {
    "s3-put-object": ("s3", put_object, ENDPOINT, None),
    "s3-list-with-query": (
        "s3",
        lambda c: c.list_objects_v2(Bucket="bucket", Prefix="a b/c~d+e", Delimiter="/"),
        ENDPOINT,
        None,
    ),
    "s3-https-unsigned-trailer": ("s3", put_object, "https://localhost:4566", None),
    "s3-virtual-host-range": (
        "s3",
        lambda c: c.get_object(Bucket="bucket", Key="a/b c", Range="bytes=0-9"),
        ENDPOINT,
        botocore.config.Config(s3={"addressing_style": "virtual"}),
    ),
    "dynamodb-update-item": ("dynamodb", update_item, ENDPOINT, None),
    "lambda-invoke": ("lambda", invoke, ENDPOINT, None),
    "sqs-send-message": (
        "sqs",
        lambda c: c.send_message(QueueUrl=f"{ENDPOINT}/000000000000/q", MessageBody="x"),
        ENDPOINT,
        None,
    ),
    "sts-get-caller-identity": ("sts", lambda c: c.get_caller_identity(), ENDPOINT, None),
    "kinesis-put-record": (
        "kinesis",
        lambda c: c.put_record(StreamName="s", Data=b"x", PartitionKey="p"),
        ENDPOINT,
        None,
    ),
}


@pytest.mark.parametrize("case", BOTO3_CALLS)
def test_a_boto3_request_passes_and_fails_with_another_secret(case):
    service, call, endpoint, config = BOTO3_CALLS[case]
    request = captured(service, call, endpoint, config)
    assert verifier().verify(request, service) is None
    error = rejected(request, service, verifier(secret="not-test"))
    assert error.code in {"SignatureDoesNotMatch", "InvalidSignatureException"}


def test_a_session_token_is_signed_like_any_header():
    request = captured("s3", put_object, credentials=Credentials("test", "test", "any-session-token"))
    assert request.headers["x-amz-security-token"] == "any-session-token"
    verifier().verify(request, "s3")
    request.headers["x-amz-security-token"] = "another-token"
    assert rejected(request, "s3").code == "SignatureDoesNotMatch"


def test_any_region_is_accepted():
    url = "http://localhost:4566/"
    headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}
    request = signed(SigV4Auth(CREDENTIALS, "dynamodb", "ap-southeast-2"), "POST", url, headers, b"{}")
    verifier().verify(request, "dynamodb")
    request.headers["authorization"] = request.headers["authorization"].replace("ap-southeast-2", "us-east-1")
    assert rejected(request, "dynamodb").message == CORAL_MISMATCH  # the region still keys the signature


def test_the_date_header_can_stand_for_x_amz_date():
    request = signed(SigV4Auth(CREDENTIALS, "lambda", "us-east-1"), "GET", "http://localhost:4566/2015-03-31/functions",
                     {"Date": "placeholder"})
    assert "x-amz-date" not in request.headers and "date" in request.headers
    verifier().verify(request, "lambda")
    request.headers["date"] = request.headers["date"].replace(" -0000", " GMT")  # the same instant, other text
    assert rejected(request, "lambda").code == "InvalidSignatureException"


def test_paths_are_normalized_for_other_services_but_not_for_s3():
    url = "http://localhost:4566/a//b/./c/../d%3A"
    payload = {"X-Amz-Content-SHA256": hashlib.sha256(b"").hexdigest()}
    normalizing, verbatim = SigV4Auth, S3SigV4Auth  # botocore's two rules for the canonical path
    verifier().verify(signed(normalizing(CREDENTIALS, "lambda", "us-east-1"), "GET", url, payload), "lambda")
    verifier().verify(signed(verbatim(CREDENTIALS, "s3", "us-east-1"), "GET", url, payload), "s3")
    error = rejected(signed(verbatim(CREDENTIALS, "lambda", "us-east-1"), "GET", url, payload), "lambda")
    assert (error.code, error.message) == ("InvalidSignatureException", CORAL_MISMATCH)
    error = rejected(signed(normalizing(CREDENTIALS, "s3", "us-east-1"), "GET", url, payload), "s3")
    assert error.fields["CanonicalRequest"].startswith("GET\n/a//b/./c/../d%3A\n")


def test_header_values_are_signed_with_blanks_squeezed():
    headers = {"X-Amz-Meta-Note": "two   words  here", "Content-Type": "text/plain; charset=utf-8"}
    request = signed(S3SigV4Auth(CREDENTIALS, "s3", "us-east-1"), "PUT", "http://localhost:4566/b/k", headers, b"x")
    assert request.headers["x-amz-meta-note"] == "two   words  here"
    verifier().verify(request, "s3")


def test_query_parameters_are_sorted_and_encoded():
    request = AWSRequest(
        method="GET",
        url="http://localhost:4566/2015-03-31/functions",
        params={"b": "two words", "a": "x/y+z~", "MaxItems": "5"},
    )
    SigV4Auth(CREDENTIALS, "lambda", "us-east-1").add_auth(request)
    http = to_http(request.prepare())
    assert http.query.startswith("b=two+words&a=x%2Fy%2Bz~")  # form-encoded on the wire, %20 when signed
    verifier().verify(http, "lambda")
    http.query = http.query.replace("MaxItems=5", "MaxItems=6")
    assert rejected(http, "lambda").code == "InvalidSignatureException"


# Wrong secret: each service's code, status and words.


def test_s3_mismatch_carries_the_canonical_request_and_string_to_sign():
    auth = S3SigV4Auth(Credentials("test", "wrong"), "s3", "us-east-1")
    request = AWSRequest(method="PUT", url="http://localhost:4566/bucket/key", data=b"body")
    auth.add_auth(request)
    http = to_http(request.prepare())
    del request.headers["Authorization"]  # what botocore signed: the request as it was before
    expected_canonical = auth.canonical_request(request)
    error = rejected(http, "s3")
    assert (error.code, error.status, error.message) == ("SignatureDoesNotMatch", 403, S3_MISMATCH)
    assert list(error.fields) == [
        "AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes", "CanonicalRequest",
        "CanonicalRequestBytes",
    ]
    assert error.fields["AWSAccessKeyId"] == "test"
    assert error.fields["CanonicalRequest"] == expected_canonical
    assert error.fields["StringToSign"] == auth.string_to_sign(request, expected_canonical)
    assert error.fields["SignatureProvided"] == http.headers["authorization"].rsplit("Signature=", 1)[1]
    assert error.fields["StringToSignBytes"].startswith("41 57 53 34 2d 48 4d 41 43 2d 53 48 41 32 35 36 0a")


@pytest.mark.parametrize(
    "service, call, code, status",
    [
        ("dynamodb", update_item, "InvalidSignatureException", 400),
        ("lambda", invoke, "InvalidSignatureException", 403),
    ],
)
def test_json_service_mismatch(service, call, code, status):
    request = captured(service, call, credentials=Credentials("test", "wrong"))
    error = rejected(request, service)
    assert (error.code, error.status, error.message) == (code, status, CORAL_MISMATCH)


def test_query_service_mismatch_explains_the_canonical_request():
    request = captured("sts", lambda c: c.get_caller_identity(), credentials=Credentials("test", "wrong"))
    error = rejected(request, "sts")
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message.startswith(CORAL_MISMATCH + "\n\nThe Canonical String for this request should have been\n'POST\n/\n")
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in error.message


# Tampering after signing.


def test_tampered_dynamodb_header_and_body_fail():
    request = captured("dynamodb", update_item)
    request.headers["x-amz-target"] = "DynamoDB_20120810.DeleteItem"
    assert rejected(request, "dynamodb").code == "InvalidSignatureException"
    request = captured("dynamodb", update_item)
    request.body = request.body.replace(b'"1"', b'"2"')
    assert rejected(request, "dynamodb").code == "InvalidSignatureException"


def test_tampered_path_and_query_fail():
    request = captured("s3", put_object)
    request.path = request.path.replace("my%20key", "other%20key")
    assert rejected(request, "s3").code == "SignatureDoesNotMatch"
    request = captured("lambda", invoke)
    request.query = "Qualifier=2"
    assert rejected(request, "lambda").code == "InvalidSignatureException"


def test_an_unsigned_x_amz_header_is_refused_by_s3():
    request = captured("s3", put_object)
    request.headers["x-amz-meta-added"] = "later"
    error = rejected(request, "s3")
    assert (error.code, error.status, error.message) == (
        "AccessDenied", 403, "There were headers present in the request which were not signed"
    )
    assert error.fields == {"HeadersNotSigned": "x-amz-meta-added"}


# Clock skew.


def test_s3_request_too_skewed():
    request = captured("s3", put_object)
    now = time.time() + 3600
    error = rejected(request, "s3", verifier(now))
    assert (error.code, error.status) == ("RequestTimeTooSkewed", 403)
    assert error.message == "The difference between the request time and the current time is too large."
    assert error.fields == {
        "RequestTime": request.headers["x-amz-date"],
        "ServerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "MaxAllowedSkewMilliseconds": 900000,
    }
    verifier(time.time() + 600).verify(request, "s3")  # within the 15 minutes


def test_dynamodb_signature_expired_and_not_yet_current():
    request = captured("dynamodb", update_item)
    signed_at = calendar.timegm(time.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ"))
    now = signed_at + 1800

    def stamp(epoch):
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))

    error = rejected(request, "dynamodb", verifier(now))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    date = request.headers["x-amz-date"]
    assert error.message == f"Signature expired: {date} is now earlier than {stamp(now - 900)} ({stamp(now)} - 15 min.)"
    now = signed_at - 1800
    error = rejected(request, "dynamodb", verifier(now))
    assert error.message == (
        f"Signature not yet current: {date} is still later than {stamp(now + 900)} ({stamp(now)} + 15 min.)"
    )


def test_query_and_lambda_skew_codes():
    late = time.time() + 3600
    error = rejected(captured("sts", lambda c: c.get_caller_identity()), "sts", verifier(late))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message.startswith("Signature expired: ")
    error = rejected(captured("lambda", invoke), "lambda", verifier(late))
    assert (error.code, error.status) == ("InvalidSignatureException", 403)


# Presigned URLs.


def presigned(expires: int = 3600, url: str = "http://localhost:4566/bucket/some%20key.txt") -> HttpRequest:
    return signed(S3SigV4QueryAuth(CREDENTIALS, "s3", "us-east-1", expires=expires), "GET", url)


def test_presigned_url_passes_and_its_query_is_bound():
    request = presigned()
    verifier().verify(request, "s3")
    request.query = request.query.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200")
    error = rejected(request, "s3")
    assert error.code == "SignatureDoesNotMatch"
    assert "X-Amz-Signature" not in error.fields["CanonicalRequest"]
    assert "X-Amz-Expires=7200" in error.fields["CanonicalRequest"]
    assert error.fields["CanonicalRequest"].endswith("\nhost\nUNSIGNED-PAYLOAD")


def test_boto3_presigned_url_with_session_token():
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", aws_session_token="token",
                            region_name="us-east-1")
    config = botocore.config.Config(signature_version="s3v4")  # boto3 presigns with SigV2 by default
    url = session.client("s3", endpoint_url=ENDPOINT, config=config).generate_presigned_url(
        "get_object", Params={"Bucket": "bucket", "Key": "a b"}, ExpiresIn=60
    )
    parts = urlsplit(url)
    request = HttpRequest("GET", parts.path, parts.query, {"host": "localhost:4566"})
    assert "X-Amz-Security-Token=token" in request.query
    verifier().verify(request, "s3")
    request.query = request.query.replace("X-Amz-Security-Token=token", "X-Amz-Security-Token=other")
    assert rejected(request, "s3").code == "SignatureDoesNotMatch"


def test_expired_presigned_url():
    request = presigned(expires=60)
    signed_at = calendar.timegm(time.strptime(request.query.split("X-Amz-Date=")[1][:16], "%Y%m%dT%H%M%SZ"))
    now = signed_at + 61
    error = rejected(request, "s3", verifier(now))
    assert (error.code, error.status, error.message) == ("AccessDenied", 403, "Request has expired")
    assert error.fields == {
        "X-Amz-Expires": "60",
        "Expires": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(signed_at + 60)),
        "ServerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
    }
    verifier(signed_at + 59).verify(request, "s3")


def test_presigned_expires_out_of_range_and_missing_parameters():
    error = rejected(presigned(expires=604801), "s3")
    assert (error.code, error.status) == ("AuthorizationQueryParametersError", 400)
    assert error.message.startswith("X-Amz-Expires must be less than a week (in seconds)")
    verifier().verify(presigned(expires=604800), "s3")
    request = presigned()
    request.query = "&".join(part for part in request.query.split("&") if not part.startswith("X-Amz-Date="))
    error = rejected(request, "s3")
    assert error.message == (
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
    )


def test_presigned_url_with_unsigned_headers():
    request = presigned()
    request.headers["x-amz-content-sha256"] = hashlib.sha256(b"").hexdigest()  # tolerated unsigned
    verifier().verify(request, "s3")
    request.headers["x-amz-decoded-content-length"] = "4"
    request.headers["x-amz-date"] = "20211122T191045Z"
    error = rejected(request, "s3")
    assert (error.code, error.fields) == ("AccessDenied", {"HeadersNotSigned": "x-amz-date, x-amz-decoded-content-length"})


def test_header_and_query_authentication_together():
    request = presigned()
    request.headers["authorization"] = captured("s3", put_object).headers["authorization"]
    error = rejected(request, "s3")
    assert (error.code, error.status, error.fields["ArgumentName"]) == ("InvalidArgument", 400, "Authorization")


# Unknown access key, missing and malformed authentication.


@pytest.mark.parametrize(
    "service, call, code, status",
    [
        ("s3", put_object, "InvalidAccessKeyId", 403),
        ("dynamodb", update_item, "UnrecognizedClientException", 400),
        ("lambda", invoke, "UnrecognizedClientException", 403),
        ("sts", lambda c: c.get_caller_identity(), "InvalidClientTokenId", 403),
    ],
)
def test_unknown_access_key(service, call, code, status):
    request = captured(service, call, credentials=Credentials("AKIDUNKNOWN", "test"))
    error = rejected(request, service)
    assert (error.code, error.status) == (code, status)
    if service == "s3":
        assert error.message == "The AWS Access Key Id you provided does not exist in our records."
        assert error.fields == {"AWSAccessKeyId": "AKIDUNKNOWN"}
    else:
        assert error.message == "The security token included in the request is invalid."


@pytest.mark.parametrize(
    "service, code, status, message",
    [
        ("s3", "AccessDenied", 403, "Access Denied"),
        ("dynamodb", "MissingAuthenticationTokenException", 400, "Request is missing Authentication Token"),
        ("lambda", "MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
        ("sts", "MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
    ],
)
def test_missing_authentication(service, code, status, message):
    error = rejected(HttpRequest("GET", "/", "", {"host": "localhost:4566"}), service)
    assert (error.code, error.status, error.message) == (code, status, message)


def test_malformed_s3_authorization():
    request = captured("s3", put_object)
    request.headers["authorization"] = "AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/s3/aws4_request"
    error = rejected(request, "s3")
    assert (error.code, error.status, error.message) == (
        "AuthorizationHeaderMalformed",
        400,
        "The authorization header is malformed; the authorization header requires three components: "
        "Credential, SignedHeaders, and Signature.",
    )
    request.headers["authorization"] = "AWS4-HMAC-SHA256 Credential=test/us-east-1, SignedHeaders=host, Signature=ab"
    assert rejected(request, "s3").message.endswith(
        'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
    )
    request.headers["authorization"] = "AWS test:c2lnbmF0dXJl"
    assert rejected(request, "s3").code == "InvalidRequest"


def test_malformed_json_authorization_in_dynamodb_words():
    request = HttpRequest("POST", "/", "", {"host": "localhost", "authorization": "AWS4-"}, b"{}")
    error = rejected(request, "dynamodb")
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    # The message dynalite recorded from DynamoDB for exactly this header.
    assert error.message == (
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
        "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
        "existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-"
    )
    request = captured("dynamodb", update_item)
    request.headers["authorization"] = request.headers["authorization"].replace("Credential=test", "Credential=test ")
    error = rejected(request, "dynamodb")
    assert error.message.startswith("'/20") and "not a valid key=value pair (missing equal-sign)" in error.message


def test_credential_scoped_to_another_service():
    url = "http://localhost:4566/"
    headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables"}
    request = signed(SigV4Auth(CREDENTIALS, "kinesis", "us-east-1"), "POST", url, headers, b"{}")
    error = rejected(request, "dynamodb")
    assert (error.code, error.message) == (
        "InvalidSignatureException", "Credential should be scoped to correct service: 'dynamodb'. "
    )


# Streaming signed payloads.

EXAMPLE_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXAMPLE_TIME = calendar.timegm((2013, 5, 24, 0, 0, 0))
EXAMPLE_AUTHORIZATION = (
    f"AWS4-HMAC-SHA256 Credential={EXAMPLE_KEY_ID}/20130524/us-east-1/s3/aws4_request,SignedHeaders={{}},Signature={{}}"
)


def example_verifier() -> SignatureVerifier:
    return SignatureVerifier({EXAMPLE_KEY_ID: EXAMPLE_SECRET}, now=lambda: EXAMPLE_TIME)


def chunked(signatures: list[str], trailer: bytes = b"\r\n") -> bytes:
    """The 66560 'a's of AWS's examples in chunks of 64 KiB, 1 KiB and 0, with these signatures."""
    sizes = (65536, 1024, 0)
    body = b"".join(
        b"%x;chunk-signature=%s\r\n%s\r\n" % (size, signature.encode(), b"a" * size)
        for size, signature in zip(sizes[:2], signatures, strict=False)
    )
    return body + b"0;chunk-signature=%s\r\n" % signatures[2].encode() + trailer


def streaming_example() -> HttpRequest:
    """"Example: PUT Object" of AWS's "Signature Calculations for the Authorization Header:
    Transferring Payload in Multiple Chunks (Chunked Upload)" page."""
    signed_headers = (
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
        "x-amz-storage-class"
    )
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "authorization": EXAMPLE_AUTHORIZATION.format(
            signed_headers, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        ),
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
    }
    body = chunked(
        [
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        ]
    )
    assert len(body) == 66824  # the example's Content-Length
    return HttpRequest("PUT", "/examplebucket/chunkObject.txt", "", headers, body)


def test_aws_streaming_example_verifies():
    example_verifier().verify(streaming_example(), "s3")
    other_secret = SignatureVerifier({EXAMPLE_KEY_ID: "another secret"}, now=lambda: EXAMPLE_TIME)
    assert rejected(streaming_example(), "s3", other_secret).code == "SignatureDoesNotMatch"


def test_a_tampered_chunk_fails_with_its_string_to_sign():
    request = streaming_example()
    request.body = request.body.replace(b"a\r\n0;", b"b\r\n0;")  # the last byte of the second chunk
    error = rejected(request, "s3", example_verifier())
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.fields["SignatureProvided"] == "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
    assert error.fields["StringToSign"].startswith(
        "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\n"
    )
    assert "CanonicalRequest" not in error.fields


def test_a_wrong_seed_signature_fails_before_the_chunks():
    request = streaming_example()
    request.headers["x-amz-storage-class"] = "STANDARD"
    error = rejected(request, "s3", example_verifier())
    assert "x-amz-storage-class:STANDARD\n" in error.fields["CanonicalRequest"]


def trailer_example(trailer_value: bytes = b"sOO8/Q==") -> HttpRequest:
    """The example of AWS's "Signature calculations for trailing headers (chunked uploads)" page."""
    signed_headers = (
        "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;"
        "x-amz-trailer"
    )
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "authorization": EXAMPLE_AUTHORIZATION.format(
            signed_headers, "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
        ),
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "x-amz-trailer": "x-amz-checksum-crc32c",
    }
    trailer = (
        b"x-amz-checksum-crc32c:" + trailer_value + b"\r\n"
        b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"
    )
    body = chunked(
        [
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
            "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
            "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
        ],
        trailer,
    )
    return HttpRequest("PUT", "/examplebucket/chunkObject.txt", "", headers, body)


def test_aws_trailer_example_verifies_and_its_trailer_is_bound():
    example_verifier().verify(trailer_example(), "s3")
    error = rejected(trailer_example(b"AAAAAA=="), "s3", example_verifier())
    assert error.code == "SignatureDoesNotMatch"
    assert error.fields["StringToSign"].startswith("AWS4-HMAC-SHA256-TRAILER\n20130524T000000Z\n")


def test_aws_presigned_url_example_verifies():
    """"An Example" of AWS's "Authenticating Requests: Using Query Parameters" page."""
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
        "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
    request = HttpRequest("GET", "/test.txt", query, {"host": "examplebucket.s3.amazonaws.com"})
    example_verifier().verify(request, "s3")
    request.path = "/test2.txt"
    assert rejected(request, "s3", example_verifier()).code == "SignatureDoesNotMatch"


def chunk_signature(key: bytes, amz_date: str, scope: str, previous: str, chunk: bytes) -> str:
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, hashlib.sha256(b"").hexdigest(),
         hashlib.sha256(chunk).hexdigest()]
    )
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def test_streaming_body_behind_a_botocore_signed_seed():
    chunks = [b"x" * 8192, b"y" * 100, b""]
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": "8292",
    }
    # SigV4Auth (not S3SigV4Auth, which would overwrite the payload header) signs the header's
    # value, and a plain path canonicalizes the same under both rules.
    request = AWSRequest(method="PUT", url="http://localhost:4566/bucket/key", headers=headers)
    SigV4Auth(CREDENTIALS, "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    amz_date = prepared.headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    key = b"AWS4test"
    for part in (amz_date[:8], "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    previous = prepared.headers["Authorization"].rsplit("Signature=", 1)[1]
    body = b""
    for chunk in chunks:
        previous = chunk_signature(key, amz_date, scope, previous, chunk)
        body += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(chunk), previous.encode(), chunk)
    http = to_http(prepared)
    http.body = body
    verifier().verify(http, "s3")
    http.body = body.replace(b"y" * 100, b"z" * 100)
    assert rejected(http, "s3").code == "SignatureDoesNotMatch"
