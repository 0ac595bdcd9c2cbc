"""The other JSON services are one table line each: Kinesis, Firehose (1.1), SQS, DynamoDB Streams."""

from __future__ import annotations

import orjson
import pytest
from botocore.exceptions import ClientError
from protocol_harness import Wire, raw_request, without_metadata

from tidal.errors import AWSError
from tidal.protocol import protocol_for


def test_kinesis_put_record_json_1_1() -> None:
    wire = Wire("kinesis")
    wire.handler = lambda op, params: {"ShardId": "shardId-000000000000", "SequenceNumber": "4959"}
    response = wire.client.put_record(StreamName="s", Data=b"\x00\x01payload", PartitionKey="pk")
    assert wire.operations[-1].name == "PutRecord"
    assert wire.last_params == {"StreamName": "s", "Data": b"\x00\x01payload", "PartitionKey": "pk"}
    assert dict(wire.responses[-1].headers)["Content-Type"] == "application/x-amz-json-1.1"
    assert without_metadata(response) == {"ShardId": "shardId-000000000000", "SequenceNumber": "4959"}


def test_kinesis_errors_have_bare_types() -> None:
    wire = Wire("kinesis")

    def handler(op, params):
        raise AWSError("ResourceNotFoundException", "Stream s under account 000000000000 not found.", 400)

    wire.handler = handler
    with pytest.raises(wire.client.exceptions.ResourceNotFoundException):
        wire.client.describe_stream(StreamName="s")
    assert orjson.loads(wire.responses[-1].body)["__type"] == "ResourceNotFoundException"


def test_firehose_put_record_batch() -> None:
    wire = Wire("firehose")
    wire.handler = lambda op, params: {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "r1"}]}
    response = wire.client.put_record_batch(DeliveryStreamName="d", Records=[{"Data": b"a"}, {"Data": b"b"}])
    assert wire.last_params["Records"] == [{"Data": b"a"}, {"Data": b"b"}]
    assert response["RequestResponses"] == [{"RecordId": "r1"}]


def test_sqs_query_compatible_errors() -> None:
    wire = Wire("sqs")

    def handler(op, params):
        raise AWSError("QueueDoesNotExist", "The specified queue does not exist.", 400)

    wire.handler = handler
    with pytest.raises(wire.client.exceptions.QueueDoesNotExist) as caught:
        wire.client.get_queue_url(QueueName="missing")
    assert caught.value.response["Error"]["Message"] == "The specified queue does not exist."
    headers = dict(wire.responses[-1].headers)
    assert headers["x-amzn-query-error"] == "QueueDoesNotExist;Sender"
    assert orjson.loads(wire.responses[-1].body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"


def test_sqs_send_message_round_trip() -> None:
    wire = Wire("sqs")
    wire.handler = lambda op, params: {"MessageId": "m1", "MD5OfMessageBody": "abc"}
    request = {
        "QueueUrl": "http://localhost:4566/000000000000/q",
        "MessageBody": "hello",
        "DelaySeconds": 5,
        "MessageAttributes": {"k": {"DataType": "Binary", "BinaryValue": b"\x01"}},
    }
    response = wire.client.send_message(**request)
    assert wire.last_params == request
    assert response["MessageId"] == "m1"


def test_dynamodb_streams_records_keep_attribute_values() -> None:
    wire = Wire("dynamodbstreams")
    record = {
        "eventID": "1",
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": {"B": "AAE="}}, "SequenceNumber": "100", "StreamViewType": "KEYS_ONLY"},
    }
    wire.handler = lambda op, params: {"Records": [record], "NextShardIterator": "it2"}
    response = wire.client.get_records(ShardIterator="it1", Limit=10)
    assert response["Records"][0]["dynamodb"]["Keys"] == {"pk": {"B": b"\x00\x01"}}


@pytest.mark.parametrize("depth", [450, 900])  # deeper than Python's stack; deeper than orjson's limit
def test_deeply_nested_json_is_a_serialization_error(depth: int) -> None:
    protocol = protocol_for("dynamodb")
    value = b'{"M": {"a": ' * depth + b'{"S": "x"}' + b"}}" * depth
    body = b'{"TableName": "t", "Item": {"pk": ' + value + b"}}"
    request = raw_request(headers={"x-amz-target": "DynamoDB_20120810.PutItem"}, body=body)
    with pytest.raises(AWSError) as caught:
        protocol.parse(protocol.resolve(request), request)
    assert caught.value.code == "SerializationException"


def test_deeply_nested_xml_is_malformed() -> None:
    protocol = protocol_for("s3")
    body = (
        b"<CreateBucketConfiguration>"
        + b"<Location>" * 5000
        + b"</Location>" * 5000
        + b"</CreateBucketConfiguration>"
    )
    request = raw_request("PUT", "/b", body=body)
    with pytest.raises(AWSError) as caught:
        protocol.parse(protocol.resolve(request), request)
    assert caught.value.code == "MalformedXML"


def test_client_error_for_unknown_json_service_operation() -> None:
    wire = Wire("kinesis")

    def rename_target(request, **kwargs):
        request.headers["X-Amz-Target"] = "Kinesis_20131202.Teleport"

    wire.client.meta.events.register_first("before-send", rename_target)
    with pytest.raises(ClientError) as caught:
        wire.client.list_streams()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
