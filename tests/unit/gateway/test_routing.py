import pytest

from tidal.gateway.routing import credential_scope, route
from tidal.types import HttpRequest

AUTH = ("AWS4-HMAC-SHA256 Credential=test/20261122/{region}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc")


def request(headers=None, query="", path="/"):
    return HttpRequest("POST", path, query, headers or {})


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"x-amz-target": "DynamoDB_20120810.PutItem",
          "authorization": AUTH.format(region="eu-west-1", service="dynamodb")}, ("dynamodb", "eu-west-1")),
        ({"x-amz-target": "DynamoDBStreams_20120810.GetRecords",
          "authorization": AUTH.format(region="us-east-1", service="dynamodb")}, ("dynamodbstreams", "us-east-1")),
        ({"authorization": AUTH.format(region="us-west-2", service="lambda")}, ("lambda", "us-west-2")),
        ({"authorization": AUTH.format(region="us-east-1", service="s3")}, ("s3", "us-east-1")),
        ({}, ("s3", "us-east-1")),
    ],
)
def test_route(headers, expected):
    assert route(request(headers), "us-east-1") == expected


def test_presigned_url_scope():
    query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261122%2Fap-south-1%2Fs3%2Faws4_request"
    assert credential_scope(request(query=query)) == ("ap-south-1", "s3")


def test_malformed_authorization_falls_back_to_s3():
    assert route(request({"authorization": "Credential=garbage"}), "us-east-1") == ("s3", "us-east-1")
