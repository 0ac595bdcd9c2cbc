import pytest

from tidal.gateway.routing import ServiceRouter, credential_scope
from tidal.types import HttpRequest

AUTH = ("AWS4-HMAC-SHA256 Credential=test/20261122/{region}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc")

ROUTER = ServiceRouter(["s3", "dynamodb", "lambda"], "us-east-1")


def request(headers=None, query="", path="/", method="POST", body=b""):
    return HttpRequest(method, path, query, headers or {}, body)


def route(req):
    info, region = ROUTER.route(req)
    return info.name, info.protocol, region


@pytest.mark.parametrize(
    "req, expected",
    [
        (request({"x-amz-target": "DynamoDB_20120810.PutItem",
                  "authorization": AUTH.format(region="eu-west-1", service="dynamodb")}),
         ("dynamodb", "json", "eu-west-1")),
        (request({"authorization": AUTH.format(region="us-west-2", service="lambda")}, path="/2015-03-31/functions"),
         ("lambda", "rest-json", "us-west-2")),
        (request({"authorization": AUTH.format(region="us-east-1", service="s3")}), ("s3", "rest-xml", "us-east-1")),
        (request({}), ("s3", "rest-xml", "us-east-1")),
        # not served: known by what they are, with their protocols
        (request({"x-amz-target": "DynamoDBStreams_20120810.GetRecords",
                  "authorization": AUTH.format(region="us-east-1", service="dynamodb")}),
         ("dynamodbstreams", "json", "us-east-1")),
        (request({"x-amz-target": "AmazonSQS.SendMessage"}), ("sqs", "json", "us-east-1")),
        (request({"x-amz-target": "Kinesis_20131202.PutRecord"}), ("kinesis", "json", "us-east-1")),
        (request({"x-amz-target": "Logs_20140328.PutLogEvents"}), ("logs", "json", "us-east-1")),
        (request({"authorization": AUTH.format(region="us-east-1", service="sts")},
                 body=b"Action=GetCallerIdentity&Version=2011-06-15"), ("sts", "query", "us-east-1")),
        (request({"smithy-protocol": "rpc-v2-cbor"}, path="/service/GraniteServiceVersion20100801/operation/PutMetricData"),
         ("cloudwatch", "smithy-rpc-v2-cbor", "us-east-1")),
    ],
    ids=["dynamodb", "lambda", "s3", "unsigned falls to s3", "streams", "sqs", "kinesis", "logs", "sts", "cloudwatch"],
)
def test_route(req, expected):
    assert route(req) == expected


@pytest.mark.parametrize("path", ["/2015-03-31/functions/f/invocations", "/2015-03-31/functions", "/2017-03-31/tags/arn"])
def test_unsigned_lambda_calls_are_lambdas_not_s3(path):
    assert route(request(path=path))[0] == "lambda"


def test_unsigned_query_action_is_the_query_protocol():
    req = request({"content-type": "application/x-www-form-urlencoded"}, body=b"Action=Publish&Version=2010-03-31")
    assert route(req)[1] == "query"
    assert route(request(query="Action=GetCallerIdentity"))[1] == "query"


def test_unknown_target_prefix_is_json_of_the_requests_version():
    req = request({"x-amz-target": "NoSuchService_2099.Do", "content-type": "application/x-amz-json-1.1"})
    info, _ = ROUTER.route(req)
    assert (info.protocol, info.json_version) == ("json", "1.1")


def test_presigned_url_scope():
    query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261122%2Fap-south-1%2Fs3%2Faws4_request"
    assert credential_scope(request(query=query)) == ("ap-south-1", "s3")


def test_malformed_authorization_falls_back_to_s3():
    assert route(request({"authorization": "Credential=garbage"})) == ("s3", "rest-xml", "us-east-1")
