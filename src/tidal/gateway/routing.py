"""Which AWS service a request is for: X-Amz-Target, then the SigV4 credential scope, then S3.

Returns the botocore service name and the region the client signed for. Signatures are
not verified: tidal accepts any credentials, as a local endpoint should.
"""

from __future__ import annotations

from urllib.parse import unquote

from tidal.types import HttpRequest

# X-Amz-Target prefixes (json protocols) → botocore service names.
TARGET_PREFIXES = {
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodbstreams",
    "Kinesis_20131202": "kinesis",
    "Firehose_20150804": "firehose",
    "AmazonSQS": "sqs",
}

# SigV4 signing names → botocore service names, where they differ or are unambiguous.
SIGNING_NAMES = {
    "s3": "s3",
    "lambda": "lambda",
    "dynamodb": "dynamodb",
    "kinesis": "kinesis",
    "firehose": "firehose",
    "sqs": "sqs",
}


def credential_scope(request: HttpRequest) -> tuple[str, str] | None:
    """(region, signing service) from the Authorization header or a presigned URL's query."""
    auth = request.headers.get("authorization")
    scope = None
    if auth:
        start = auth.find("Credential=")
        if start >= 0:
            end = auth.find(",", start)
            scope = auth[start + 11 : end if end >= 0 else len(auth)].strip()
    elif "X-Amz-Credential=" in request.query:
        for pair in request.query.split("&"):
            if pair.startswith("X-Amz-Credential="):
                scope = unquote(pair[17:])
                break
    if not scope:
        return None
    parts = scope.split("/")
    if len(parts) < 5:
        return None
    return parts[2], parts[3]


def route(request: HttpRequest, default_region: str) -> tuple[str, str]:
    """(service name, region) for a request."""
    scope = credential_scope(request)
    region = scope[0] if scope else default_region
    target = request.headers.get("x-amz-target")
    if target:
        prefix = target.partition(".")[0]
        service = TARGET_PREFIXES.get(prefix)
        if service:
            return service, region
    if scope:
        service = SIGNING_NAMES.get(scope[1])
        if service:
            return service, region
    return "s3", region
