"""The errors a SigV4 check earns, worded per service family as AWS words them.

Three families answer differently:

* S3 (rest-xml): its own codes, with the evidence as extra XML elements.
* Coral JSON services (DynamoDB, Kinesis, Firehose, Logs, Lambda ...): ``*Exception`` codes.
  DynamoDB and Kinesis answer 400 (dynalite's recordings of live DynamoDB,
  github.com/mhart/dynalite index.js; boto/boto3#509; aws/aws-sdk-go#2194). Lambda's front
  end answers 403 and words the missing token differently (serverless/serverless#27,
  iann0036/iamlive#58, aws/aws-sdk-js#2598, brefphp/bref#1250).
* Query services (STS, SQS, SNS, IAM, CloudWatch ...): the same Coral checks under the
  query codes, statuses per the AWS "Common Errors" pages (IncompleteSignature 400,
  InvalidClientTokenId / MissingAuthenticationToken / SignatureDoesNotMatch 403).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tidal.errors import AWSError
from tidal.protocol.service_directory import service_info

CORAL_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
S3_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
INVALID_TOKEN = "The security token included in the request is invalid."
S3_MALFORMED = "The authorization header is malformed; "
S3_CREDENTIAL_FORMAT = '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"'
# Where the credential scope's service differs from the botocore name the gateway routes to.

def _iso_basic(epoch: float) -> str:  # 20261204T001500Z
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one non-S3 family names and numbers the four Coral authentication failures."""

    missing: tuple[str, int, str]
    incomplete: tuple[str, int]
    invalid: tuple[str, int]
    unrecognized: tuple[str, int]
    # Query services still append the canonical request and string to sign to a mismatch
    # (boto/boto#1573, aws/aws-cli#5341); JSON services stopped: Lambda's and DynamoDB's
    # bodies carry the bare 178-character message (erlcloud/erlcloud#690: content-length 192;
    # ttsuruoka/php-simple-amazon-dynamodb#1: string(178)).
    explain_mismatch: bool

    def missing_token(self) -> AWSError:
        code, status, message = self.missing
        return AWSError(code, message, status)

    def incomplete_signature(self, message: str) -> AWSError:
        return AWSError(self.incomplete[0], message, self.incomplete[1])

    def invalid_signature(self, message: str) -> AWSError:
        return AWSError(self.invalid[0], message, self.invalid[1])

    def unknown_key(self) -> AWSError:
        return AWSError(self.unrecognized[0], INVALID_TOKEN, self.unrecognized[1])

    def mismatch(self, canonical_request: str, string_to_sign: str) -> AWSError:
        message = CORAL_MISMATCH
        if self.explain_mismatch:
            message += (
                f"\n\nThe Canonical String for this request should have been\n'{canonical_request}'"
                f"\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            )
        return self.invalid_signature(message)

    def window_error(
        self, amz_date: str, signed_at: int, now: float, skew: float, expires: str | None
    ) -> AWSError | None:
        """The error for a request signed too long ago or too far ahead (None if in time); a
        presigned one with X-Amz-Expires is late only once that has passed.

        Words: aws/aws-sdk-js#254 (DynamoDB), aws/aws-sdk-go#2194 (Kinesis), aws/aws-cli#6676 and
        QT-DevOps/DevOpsIssues#989 (STS, as SignatureDoesNotMatch). AWS gives Lambda and Kinesis 5
        minutes, DynamoDB and STS 15; tidal gives every service the verifier's one ``max_skew``.
        """
        minutes = int(skew // 60)
        if expires is not None and expires.isdigit():
            if now > signed_at + int(expires):
                return self.presign_expired()
        elif signed_at < now - skew:
            return self.invalid_signature(
                f"Signature expired: {amz_date} is now earlier than {_iso_basic(now - skew)} "
                f"({_iso_basic(now)} - {minutes} min.)"
            )
        if signed_at > now + skew:
            return self.invalid_signature(
                f"Signature not yet current: {amz_date} is still later than {_iso_basic(now + skew)} "
                f"({_iso_basic(now)} + {minutes} min.)"
            )
        return None

    def presign_expired(self) -> AWSError:
        # Not recorded for a JSON or query service (their presigned URLs are rare: EKS tokens,
        # RDS IAM auth). Chosen: the "Common Errors" pages' RequestExpired, 400.
        return AWSError("RequestExpired", "Request has expired.", 400)

    # The remaining words are DynamoDB's as dynalite recorded them (mhart/dynalite index.js and
    # test/connection.js), and the same from other Coral services: awslabs/fhir-works-on-aws-deployment#379
    # and jenkinsci/aws-credentials-plugin#72 (missing equal-sign), arnemolland/sigv4#15 (service).

    def both_mechanisms(self) -> AWSError:
        return self.invalid_signature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        )

    def not_a_pair(self, item: str, authorization: str) -> AWSError:
        return self.incomplete_signature(
            f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
        )

    def header_incomplete(self, missing: list[str], no_date: bool, authorization: str) -> AWSError:
        message = "".join(f"Authorization header requires '{name}' parameter. " for name in missing)
        if no_date:
            message += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        return self.incomplete_signature(message + "Authorization=" + authorization)

    def query_incomplete(self, missing: list[str]) -> AWSError:
        message = "".join(f"AWS query-string parameters must include '{name}'. " for name in missing)
        return self.incomplete_signature(message + "Re-examine the query-string parameters.")

    def bad_date(self, value: str) -> AWSError:
        return self.incomplete_signature(
            f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )

    def host_not_signed(self) -> AWSError:
        return self.invalid_signature("'Host' must be a 'SignedHeader' in the AWS Authorization.")

    def bad_algorithm(self, algorithm: str) -> AWSError:
        return self.incomplete_signature(f"Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). ")

    def bad_credential(self, credential: str) -> AWSError:
        return self.incomplete_signature(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{credential}'"
        )

    def scope_problems(self, parts: list[str], service: str, amz_date: str) -> AWSError | None:
        """The credential scope's faults, all of them in one message; None if it has none.
        Its region is not among them: tidal answers for every region."""
        info = service_info(service)
        service = info.signing_name if info is not None else service
        problems = ""
        if parts[3] != service:
            problems += f"Credential should be scoped to correct service: '{service}'. "
        if parts[4] != "aws4_request":
            problems += f"Credential should be scoped with a valid terminator: 'aws4_request', not '{parts[4]}'. "
        if parts[1] != amz_date[:8]:
            problems += (
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{parts[1]}' != '{amz_date[:8]}', from '{amz_date}'."
            )
        return self.invalid_signature(problems) if problems else None


JSON = Dialect(
    missing=("MissingAuthenticationTokenException", 400, "Request is missing Authentication Token"),
    incomplete=("IncompleteSignatureException", 400),
    invalid=("InvalidSignatureException", 400),
    unrecognized=("UnrecognizedClientException", 400),
    explain_mismatch=False,
)
# Lambda's IncompleteSignatureException status is not recorded; 403 like its three siblings.
LAMBDA = Dialect(
    missing=("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
    incomplete=("IncompleteSignatureException", 403),
    invalid=("InvalidSignatureException", 403),
    unrecognized=("UnrecognizedClientException", 403),
    explain_mismatch=False,
)
# amzn/selling-partner-api-docs#3081 (STS, missing token), ex-aws/ex_aws#220 (SQS, unknown key).
QUERY = Dialect(
    missing=("MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
    incomplete=("IncompleteSignature", 400),
    invalid=("SignatureDoesNotMatch", 403),
    unrecognized=("InvalidClientTokenId", 403),
    explain_mismatch=True,
)
def dialect_of(service: str) -> Dialect:
    """How ``service`` (a botocore name) words its authentication errors: query services, and
    json services that keep query error codes (SQS), as the query family does."""
    if service == "lambda":
        return LAMBDA
    info = service_info(service)
    if info is not None and (info.protocol in ("query", "ec2") or info.query_compatible):
        return QUERY
    return JSON


def hex_bytes(text: str) -> str:
    """S3's ``*Bytes`` rendering: every byte as two lower-case hex digits, space separated."""
    return text.encode("utf-8").hex(" ")


# S3. Sources: LocalStack's recordings of live S3 (localstack/localstack
# tests/aws/services/s3/test_s3.snapshot.json) and the responses quoted in the issues named.


def s3_anonymous() -> AWSError:
    return AWSError("AccessDenied", "Access Denied", 403)


def s3_unsupported_mechanism() -> AWSError:
    # nukulb/s3-angular-file-upload#23: what SigV4-only regions answer a SigV2 request.
    message = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    return AWSError("InvalidRequest", message, 400)


def s3_two_mechanisms(authorization: str) -> AWSError:
    # catalyst/moodle-tool_objectfs#303
    message = (
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
        "string parameter or the Authorization header should be specified"
    )
    fields = {"ArgumentName": "Authorization", "ArgumentValue": authorization}
    return AWSError("InvalidArgument", message, 400, fields=fields)


def s3_header_malformed(detail: str) -> AWSError:
    # ex-aws/ex_aws#537, krobertson/deb-s3#157, ml-archive/storage#68
    return AWSError("AuthorizationHeaderMalformed", S3_MALFORMED + detail, 400)


def s3_three_components() -> AWSError:
    return s3_header_malformed(
        "the authorization header requires three components: Credential, SignedHeaders, and Signature."
    )


def s3_credential_malformed() -> AWSError:
    return s3_header_malformed(f"the Credential is mal-formed; expecting {S3_CREDENTIAL_FORMAT}.")


def s3_credential_date() -> AWSError:
    return s3_header_malformed("Invalid credential date. Date is not the same as X-Amz-Date.")


def s3_query_error(message: str) -> AWSError:
    return AWSError("AuthorizationQueryParametersError", message, 400)


def s3_query_incomplete() -> AWSError:
    return s3_query_error(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
    )


def s3_query_algorithm() -> AWSError:
    return s3_query_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')  # minio's words


def s3_query_date() -> AWSError:
    return s3_query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")  # minio's


def s3_query_credential_date() -> AWSError:
    # The header form's words under the query form's code: S3's own answer is not recorded.
    return s3_query_error("Invalid credential date. Date is not the same as X-Amz-Date.")


def s3_query_credential_malformed() -> AWSError:
    return s3_query_error(
        f"Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
        f"{S3_CREDENTIAL_FORMAT}."
    )


def s3_bad_expires(expires: str) -> AWSError:
    if expires.isdigit():
        # bryanjos/aws_auth#31, aws/aws-cli#5464 (604800 itself is accepted).
        return s3_query_error(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
            "less than 604800 seconds"
        )
    # minio cmd/api-errors.go (ErrNegativeExpires, ErrMalformedExpires): minio copies S3's words.
    if expires[:1] == "-" and expires[1:].isdigit():
        return s3_query_error("X-Amz-Expires must be non-negative")
    return s3_query_error("X-Amz-Expires should be a number")


def s3_missing_date() -> AWSError:
    # hubrick/vertx-s3-client#5 shows the words; the status is not shown: 403, as S3 lists AccessDenied.
    return AWSError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)


def s3_missing_content_sha256() -> AWSError:
    # avi-wish/aws4-signature-php#1
    return AWSError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400)


def s3_unknown_key(access_key: str) -> AWSError:
    # versity/versitygw#2042, raster-foundry/raster-foundry#289
    message = "The AWS Access Key Id you provided does not exist in our records."
    return AWSError("InvalidAccessKeyId", message, 403, fields={"AWSAccessKeyId": access_key})


def s3_skewed(request_time: str, server_time: str, max_skew_ms: int) -> AWSError:
    # aws/aws-sdk-php#612, versity/versitygw#1514: RequestTime is the date as the client sent it.
    message = "The difference between the request time and the current time is too large."
    fields = {"RequestTime": request_time, "ServerTime": server_time, "MaxAllowedSkewMilliseconds": max_skew_ms}
    return AWSError("RequestTimeTooSkewed", message, 403, fields=fields)


def s3_headers_not_signed(names: list[str]) -> AWSError:
    message = "There were headers present in the request which were not signed"
    return AWSError("AccessDenied", message, 403, fields={"HeadersNotSigned": ", ".join(names)})


def s3_presign_expired(expires: str, expiry: str, server_time: str) -> AWSError:
    # aws/aws-sdk-php#1333: the elements in this order.
    fields = {"X-Amz-Expires": expires, "Expires": expiry, "ServerTime": server_time}
    return AWSError("AccessDenied", "Request has expired", 403, fields=fields)


def s3_presign_not_yet_valid(request_ms: int, expiry: str, server_time: str) -> AWSError:
    # minio/minio#2638 quotes S3: X-Amz-Date in epoch milliseconds.
    fields = {"X-Amz-Date": str(request_ms), "Expires": expiry, "ServerTime": server_time}
    return AWSError("AccessDenied", "Request is not yet valid", 403, fields=fields)


def s3_mismatch(access_key: str, string_to_sign: str, provided: str, canonical_request: str | None) -> AWSError:
    # aws/aws-cli#4356, s3tools/s3cmd#1053: the elements in this order. A chunk signature has
    # no canonical request of its own, so its mismatch carries none.
    fields = {
        "AWSAccessKeyId": access_key,
        "StringToSign": string_to_sign,
        "SignatureProvided": provided,
        "StringToSignBytes": hex_bytes(string_to_sign),
    }
    if canonical_request is not None:
        fields["CanonicalRequest"] = canonical_request
        fields["CanonicalRequestBytes"] = hex_bytes(canonical_request)
    return AWSError("SignatureDoesNotMatch", S3_MISMATCH, 403, fields=fields)
