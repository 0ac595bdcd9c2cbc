"""Requests for services tidal does not serve: a 501 NotImplemented in the protocol the request
used, which the caller's SDK parses into a ClientError naming the operation."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

CALLS = [
    ("sqs", "list_queues", {}),  # json 1.0, awsQueryCompatible
    ("kinesis", "list_streams", {}),  # json 1.1
    ("firehose", "list_delivery_streams", {}),
    ("dynamodbstreams", "list_streams", {}),  # signs as dynamodb, told apart by its target
    ("logs", "describe_log_groups", {}),
    ("sts", "get_caller_identity", {}),  # query
    ("sns", "list_topics", {}),  # query
    ("cloudwatch", "list_metrics", {}),  # smithy rpc-v2-cbor
    ("events", "list_rules", {}),
    ("stepfunctions", "list_state_machines", {}),
    ("scheduler", "list_schedules", {}),  # rest-json
]


@pytest.mark.parametrize(("service", "method", "params"), CALLS, ids=[c[0] for c in CALLS])
def test_an_unserved_service_answers_not_implemented_in_its_protocol(tidal_server, service, method, params):
    client = tidal_server.client(service)
    with pytest.raises(ClientError) as caught:
        getattr(client, method)(**params)
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Error"]["Code"] == "NotImplemented", error
    assert "tidal does not serve" in error["Error"]["Message"]
    # it names the operation, as the protocol carried it
    operation = client.meta.method_to_api_mapping[method]
    assert operation in error["Error"]["Message"] or "/" in error["Error"]["Message"]
