"""DynamoDB through boto3 (client and resource) against a real tidal server (fixtures in conftest.py).

The in-process tests (tests/unit/dynamodb/test_service_*.py) cover the semantics; these cover
what the wire adds: JSON 1.0 bodies, binary values as base64, numbers as Decimal through the
resource API, timestamps, and the error members boto3 reads (Code, Message, Item).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError


def unique(prefix: str = "tbl") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_hash_table(client, name: str, key: str = "pk", key_type: str = "S") -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": key_type}],
        BillingMode="PAY_PER_REQUEST",
    )


def create_sorted_table(client, name: str, sort_type: str = "N") -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": sort_type},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def error(excinfo) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def table_name(dynamodb):
    name = unique()
    create_hash_table(dynamodb, name)
    return name


# -- tables ----------------------------------------------------------------------------------------


def test_table_lifecycle(dynamodb):
    name = unique()
    created = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    assert created["TableStatus"] == "ACTIVE"
    assert isinstance(created["CreationDateTime"], datetime)
    assert created["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    described = dynamodb.describe_table(TableName=name)["Table"]
    assert described["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert name in dynamodb.list_tables(Limit=100)["TableNames"]
    assert dynamodb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    dynamodb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})


def test_list_tables_paginator(dynamodb):
    prefix = unique("page")
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in names:
        create_hash_table(dynamodb, name)
    listed = []
    for page in dynamodb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        listed.extend(page["TableNames"])
    assert [n for n in listed if n.startswith(prefix)] == names
    assert listed == sorted(listed)


def test_table_errors(dynamodb, table_name):
    with pytest.raises(ClientError) as info:
        create_hash_table(dynamodb, table_name)
    assert error(info) == ("ResourceInUseException", f"Table already exists: {table_name}", 400)
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException) as info:
        dynamodb.describe_table(TableName="no-such-table")
    assert error(info) == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: no-such-table not found",
        400,
    )
    with pytest.raises(ClientError) as info:
        dynamodb.delete_table(TableName="no-such-table")
    assert error(info)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        dynamodb.create_table(
            TableName=unique(),
            KeySchema=[{"AttributeName": "x", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "y", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert error(info) == (
        "ValidationException",
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [x], AttributeDefinitions: [y]",
        400,
    )
    with pytest.raises(ClientError) as info:
        dynamodb.create_table(
            TableName=unique(),
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PROVISIONED",
        )
    assert error(info)[1] == (
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
        "specified when BillingMode is PROVISIONED"
    )


# -- items through the client --------------------------------------------------------------------


def test_put_get_update_delete(dynamodb, table_name):
    item = {
        "pk": {"S": "a"},
        "n": {"N": "1.50"},
        "b": {"B": b"\x00\xff"},
        "ss": {"SS": ["x", "y"]},
        "m": {"M": {"flag": {"BOOL": True}, "none": {"NULL": True}}},
        "l": {"L": [{"N": "1"}, {"S": "two"}]},
    }
    assert "Attributes" not in dynamodb.put_item(TableName=table_name, Item=item)
    got = dynamodb.get_item(TableName=table_name, Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]
    assert got["n"] == {"N": "1.5"} and got["b"] == {"B": b"\x00\xff"} and got["m"] == item["m"]
    updated = dynamodb.update_item(
        TableName=table_name,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET #n = #n + :one REMOVE l ADD ss :z",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":z": {"SS": ["z"]}},
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    assert updated["n"] == {"N": "2.5"} and sorted(updated["ss"]["SS"]) == ["x", "y", "z"]
    old = dynamodb.delete_item(TableName=table_name, Key={"pk": {"S": "a"}}, ReturnValues="ALL_OLD")[
        "Attributes"
    ]
    assert old["n"] == {"N": "2.5"} and "l" not in old
    assert "Item" not in dynamodb.get_item(TableName=table_name, Key={"pk": {"S": "a"}})


def test_seed_update_item(dynamodb, table_name):
    params = {
        "TableName": table_name,
        "Key": {"pk": {"S": "photo.jpg"}},
        "UpdateExpression": "ADD #name :increment",
        "ExpressionAttributeNames": {"#name": "count"},
        "ExpressionAttributeValues": {":increment": {"N": "1"}},
        "ReturnValues": "UPDATED_NEW",
    }
    for expected in ("1", "2", "3"):
        assert dynamodb.update_item(**params)["Attributes"] == {"count": {"N": expected}}


def test_conditional_check_failed_carries_the_old_item(dynamodb, table_name):
    dynamodb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as info:
        dynamodb.put_item(
            TableName=table_name,
            Item={"pk": {"S": "a"}, "v": {"N": "2"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert error(info) == ("ConditionalCheckFailedException", "The conditional request failed", 400)
    assert info.value.response["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as info:
        dynamodb.delete_item(
            TableName=table_name, Key={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(v)"
        )
    assert "Item" not in info.value.response


def test_item_validation_errors(dynamodb, table_name):
    cases = [
        ({"Key": {"nope": {"S": "a"}}}, "get_item", "The provided key element does not match the schema"),
        (
            {"Item": {"x": {"S": "a"}}},
            "put_item",
            "One or more parameter values were invalid: Missing the key pk in the item",
        ),
        (
            {"Item": {"pk": {"N": "1"}}},
            "put_item",
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
        ),
        (
            {"Item": {"pk": {"S": ""}}},
            "put_item",
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
            "empty string value. Key: pk",
        ),
        (
            {"Item": {"pk": {"S": "a"}}, "ReturnValues": "ALL_NEW"},
            "put_item",
            "ReturnValues can only be ALL_OLD or NONE",
        ),
        (
            {
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET pk = :v",
                "ExpressionAttributeValues": {":v": {"S": "b"}},
            },
            "update_item",
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
        ),
        (
            {
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET a = :a,",
                "ExpressionAttributeValues": {":a": {"N": "1"}},
            },
            "update_item",
            'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","',
        ),
        (
            {
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET a = :a",
                "ExpressionAttributeValues": {":a": {"N": "1"}, ":b": {"N": "2"}},
            },
            "update_item",
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}",
        ),
        (
            {"Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET a = :a"},
            "update_item",
            "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
            "attribute value: :a",
        ),
        (
            {
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "SET a = #a",
                "ExpressionAttributeNames": {"#b": "b"},
            },
            "update_item",
            "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
            "attribute name: #a",
        ),
        (
            {
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "ADD a :s",
                "ExpressionAttributeValues": {":s": {"S": "x"}},
            },
            "update_item",
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: "
            "STRING, typeSet: ALLOWED_FOR_ADD_OPERAND",
        ),
        (
            {"Item": {"pk": {"S": "a"}, "big": {"S": "x" * 409_600}}},
            "put_item",
            "Item size has exceeded the maximum allowed size",
        ),
    ]
    for params, operation, message in cases:
        with pytest.raises(ClientError) as info:
            getattr(dynamodb, operation)(TableName=table_name, **params)
        assert error(info) == ("ValidationException", message, 400), params


def test_missing_table_for_item_operations(dynamodb):
    with pytest.raises(dynamodb.exceptions.ResourceNotFoundException) as info:
        dynamodb.put_item(TableName="no-such-table", Item={"pk": {"S": "a"}})
    assert error(info) == ("ResourceNotFoundException", "Requested resource not found", 400)


def test_consumed_capacity(dynamodb, table_name):
    put = dynamodb.put_item(
        TableName=table_name, Item={"pk": {"S": "a"}, "v": {"S": "x" * 2000}}, ReturnConsumedCapacity="TOTAL"
    )
    assert put["ConsumedCapacity"] == {"TableName": table_name, "CapacityUnits": 2.0}
    got = dynamodb.get_item(TableName=table_name, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="INDEXES")
    assert got["ConsumedCapacity"] == {
        "TableName": table_name,
        "CapacityUnits": 0.5,
        "Table": {"CapacityUnits": 0.5},
    }


def test_scan_pages_and_count(dynamodb, table_name):
    for i in range(25):
        dynamodb.put_item(TableName=table_name, Item={"pk": {"S": f"k{i:02d}"}, "i": {"N": str(i)}})
    seen = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table_name, PaginationConfig={"PageSize": 4}
    ):
        assert page["ScannedCount"] <= 4
        seen.extend(item["pk"]["S"] for item in page["Items"])
    assert sorted(seen) == [f"k{i:02d}" for i in range(25)]
    counted = dynamodb.scan(
        TableName=table_name,
        Select="COUNT",
        FilterExpression="i >= :ten",
        ExpressionAttributeValues={":ten": {"N": "10"}},
    )
    assert (counted["Count"], counted["ScannedCount"], "Items" in counted) == (15, 25, False)
    with pytest.raises(ClientError) as info:
        dynamodb.scan(TableName=table_name, Select="COUNT", ProjectionExpression="i")
    assert error(info)[1] == "Cannot specify the ProjectionExpression when choosing to get only the Count"


def test_query_with_client(dynamodb):
    name = unique()
    create_sorted_table(dynamodb, name)
    for i in range(10):
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    page = dynamodb.query(
        TableName=name,
        KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {"N": "3"}, ":hi": {"N": "6"}},
        ScanIndexForward=False,
    )
    assert [item["sk"]["N"] for item in page["Items"]] == ["6", "5", "4", "3"]
    with pytest.raises(ClientError) as info:
        dynamodb.query(
            TableName=name, KeyConditionExpression="sk = :x", ExpressionAttributeValues={":x": {"N": "1"}}
        )
    assert error(info)[1] == "Query condition missed key schema element: pk"


# -- the resource API ------------------------------------------------------------------------------


def test_resource_table(dynamodb_resource):
    name = unique()
    table = dynamodb_resource.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table.wait_until_exists()
    assert table.table_status == "ACTIVE" and table.key_schema[0]["AttributeName"] == "pk"
    for i in range(5):
        table.put_item(Item={"pk": "user", "sk": i, "score": Decimal("1.25") * i, "tags": {"a", "b"}})
    assert table.get_item(Key={"pk": "user", "sk": 2})["Item"] == {
        "pk": "user",
        "sk": Decimal(2),
        "score": Decimal("2.5"),
        "tags": {"a", "b"},
    }
    updated = table.update_item(
        Key={"pk": "user", "sk": 2},
        UpdateExpression="ADD #c :inc",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":inc": 1},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert updated["count"] == 1
    queried = table.query(KeyConditionExpression=Key("pk").eq("user") & Key("sk").gte(3))["Items"]
    assert [item["sk"] for item in queried] == [3, 4]
    scanned = table.scan(FilterExpression=Attr("score").gt(Decimal("2")))["Items"]
    assert sorted(item["sk"] for item in scanned) == [2, 3, 4]
    with pytest.raises(ClientError) as info:
        table.put_item(
            Item={"pk": "user", "sk": 1},
            ConditionExpression=Attr("pk").not_exists(),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert info.value.response["Item"]["sk"] == {"N": "1"}
    table.delete_item(Key={"pk": "user", "sk": 0})
    assert "Item" not in table.get_item(Key={"pk": "user", "sk": 0})
    table.delete()
    table.wait_until_not_exists()


# -- the AWS CLI -------------------------------------------------------------------------------


def test_aws_dynamodb_table_items_and_errors(aws_cli):
    name = unique("cli")
    key = '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}}'
    created = aws_cli(
        "dynamodb", "create-table", "--table-name", name,
        "--attribute-definitions", "AttributeName=Artist,AttributeType=S", "AttributeName=SongTitle,AttributeType=S",
        "--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=SongTitle,KeyType=RANGE",
        "--billing-mode", "PAY_PER_REQUEST",
    )  # fmt: skip
    assert json.loads(created.stdout)["TableDescription"]["TableStatus"] == "ACTIVE"
    aws_cli("dynamodb", "put-item", "--table-name", name,
            "--item", '{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}, "Plays": {"N": "1"}}')
    updated = aws_cli(
        "dynamodb", "update-item", "--table-name", name, "--key", key,
        "--update-expression", "ADD Plays :one SET Genre = :g",
        "--expression-attribute-values", '{":one": {"N": "1"}, ":g": {"S": "Country"}}', "--return-values", "ALL_NEW",
    )  # fmt: skip
    assert json.loads(updated.stdout)["Attributes"]["Plays"] == {"N": "2"}
    scanned = aws_cli("dynamodb", "scan", "--table-name", name, "--filter-expression", "Plays > :n",
                      "--expression-attribute-values", '{":n": {"N": "1"}}')
    items = json.loads(scanned.stdout)["Items"]
    assert [item["Genre"] for item in items] == [{"S": "Country"}]

    trailing_comma = aws_cli(
        "dynamodb", "update-item", "--table-name", name, "--key", key, "--update-expression", "SET a = :x,",
        "--expression-attribute-values", '{":x": {"N": "1"}}', check=False,
    )  # fmt: skip
    assert trailing_comma.returncode != 0
    assert b"ValidationException" in trailing_comma.stderr and b"Syntax error" in trailing_comma.stderr
    exists = aws_cli("dynamodb", "put-item", "--table-name", name, "--item", key,
                     "--condition-expression", "attribute_not_exists(Artist)", check=False)
    assert exists.returncode != 0 and b"ConditionalCheckFailedException" in exists.stderr
    got = aws_cli("dynamodb", "get-item", "--table-name", name, "--key", key, "--consistent-read")
    assert json.loads(got.stdout)["Item"]["Plays"] == {"N": "2"}  # the refused writes changed nothing

    aws_cli("dynamodb", "delete-table", "--table-name", name)
    missing = aws_cli("dynamodb", "get-item", "--table-name", name, "--key", key, check=False)
    assert missing.returncode != 0 and b"ResourceNotFoundException" in missing.stderr
