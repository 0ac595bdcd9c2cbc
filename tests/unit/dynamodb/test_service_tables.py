"""DynamoDB table operations in-process: CreateTable, DescribeTable, ListTables, DeleteTable."""

from __future__ import annotations

from datetime import datetime

import pytest

from tidal.errors import AWSError

from .helpers import assert_validation, error_of

HASH_ONLY = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
}
ON_DEMAND = {**HASH_ONLY, "BillingMode": "PAY_PER_REQUEST"}


@pytest.fixture
def ddb(empty_ddb):
    """These tests make their own tables."""
    return empty_ddb


# -- CreateTable -------------------------------------------------------------------------------


def test_create_on_demand_table_description(ddb):
    description = ddb.create_table(TableName="things", **ON_DEMAND)["TableDescription"]
    assert description["TableName"] == "things"
    assert description["TableStatus"] == "ACTIVE"
    assert description["KeySchema"] == HASH_ONLY["KeySchema"]
    assert description["AttributeDefinitions"] == HASH_ONLY["AttributeDefinitions"]
    assert description["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/things"
    assert len(description["TableId"]) == 36
    assert isinstance(description["CreationDateTime"], datetime)
    assert description["ItemCount"] == 0 and description["TableSizeBytes"] == 0
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert description["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 0,
        "WriteCapacityUnits": 0,
    }
    assert description["DeletionProtectionEnabled"] is False
    assert "StreamSpecification" not in description


def test_create_provisioned_table(ddb):
    description = ddb.create_table(
        TableName="prov", **HASH_ONLY, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}
    )["TableDescription"]
    assert description["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": 5,
        "WriteCapacityUnits": 7,
    }
    assert "BillingModeSummary" not in description


def test_create_hash_and_range_table(ddb):
    description = ddb.create_table(
        TableName="sorted",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "pk", "AttributeType": "B"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    assert [e["KeyType"] for e in description["KeySchema"]] == ["HASH", "RANGE"]


def test_create_existing_table_is_resource_in_use(ddb):
    ddb.create_table(TableName="things", **ON_DEMAND)
    err = error_of(ddb.create_table, TableName="things", **ON_DEMAND)
    assert (err.code, err.message, err.status) == (
        "ResourceInUseException",
        "Table already exists: things",
        400,
    )


def test_two_creates_in_one_commit_group_one_wins(ddb):
    results = []

    def create(tx):
        try:
            results.append(ddb.service.create_table(ddb.make_call(tx), {"TableName": "race", **ON_DEMAND}))
        except AWSError as err:
            results.append(err)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: ddb.env.db.write_sync(create), range(8)))
    errors = [r for r in results if isinstance(r, AWSError)]
    assert len(errors) == 7 and {e.code for e in errors} == {"ResourceInUseException"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "ab",
            "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 3",
        ),
        (
            "a b c",
            "1 validation error detected: Value 'a b c' at 'tableName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        ),
        (
            "a!",
            "2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a!' at 'tableName' "
            "failed to satisfy constraint: Member must have length greater than or equal to 3",
        ),
        (
            "x" * 256,
            f"1 validation error detected: Value '{'x' * 256}' at 'tableName' failed to satisfy "
            "constraint: Member must have length less than or equal to 255",
        ),
    ],
)
def test_table_name_rules(ddb, name, message):
    assert_validation(ddb.create_table, message, TableName=name, **ON_DEMAND)


def test_table_name_edges_accepted(ddb):
    ddb.create_table(TableName="a.b", **ON_DEMAND)
    ddb.create_table(TableName="A_b-9." + "x" * 249, **ON_DEMAND)


def test_key_not_in_attribute_definitions(ddb):
    assert_validation(
        ddb.create_table,
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [x], AttributeDefinitions: [y]",
        TableName="t1x",
        KeySchema=[{"AttributeName": "x", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "y", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_extra_attribute_definition(ddb):
    assert_validation(
        ddb.create_table,
        "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly "
        "match number of attributes defined in AttributeDefinitions",
        TableName="extra",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "other", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def test_provisioned_needs_throughput(ddb):
    assert_validation(
        ddb.create_table,
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
        "specified when BillingMode is PROVISIONED",
        TableName="prov",
        **HASH_ONLY,
        BillingMode="PROVISIONED",
    )


def test_on_demand_refuses_throughput(ddb):
    assert_validation(
        ddb.create_table,
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be "
        "specified when BillingMode is PAY_PER_REQUEST",
        TableName="odt",
        **ON_DEMAND,
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )


def test_key_schema_shape_errors(ddb):
    assert_validation(
        ddb.create_table,
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        TableName="shape",
        KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert_validation(
        ddb.create_table,
        "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        TableName="shape",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "pk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    assert_validation(
        ddb.create_table,
        "1 validation error detected: Value 'BOOL' at 'attributeDefinitions.1.member.attributeType' failed "
        "to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
        TableName="shape",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "BOOL"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_indexes_and_stream_are_stored_and_described(ddb):
    ddb.create_table(
        TableName="indexed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "N"},
            {"AttributeName": "l", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_l",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        BillingMode="PAY_PER_REQUEST",
    )
    table = ddb.describe_table(TableName="indexed")["Table"]
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "by_g" and gsi["IndexStatus"] == "ACTIVE"
    assert gsi["IndexArn"] == table["TableArn"] + "/index/by_g"
    assert table["LocalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"] == f"{table['TableArn']}/stream/{table['LatestStreamLabel']}"


def test_stream_needs_view_type(ddb):
    assert_validation(
        ddb.create_table,
        "One or more parameter values were invalid: You must specify a StreamViewType when enabling a stream",
        TableName="streamy",
        **ON_DEMAND,
        StreamSpecification={"StreamEnabled": True},
    )


def test_lsi_needs_table_range_key(ddb):
    assert_validation(
        ddb.create_table,
        "One or more parameter values were invalid: Table KeySchema does not have a range key, which is "
        "required when specifying a LocalSecondaryIndex",
        TableName="lsi",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "l", "AttributeType": "S"},
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_l",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


# -- DescribeTable / ListTables / DeleteTable ------------------------------------------------------


def test_describe_missing_table(ddb):
    err = error_of(ddb.describe_table, TableName="nope")
    assert (err.code, err.message, err.status) == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
        400,
    )


def test_describe_by_arn(ddb):
    arn = ddb.create_table(TableName="things", **ON_DEMAND)["TableDescription"]["TableArn"]
    assert ddb.describe_table(TableName=arn)["Table"]["TableName"] == "things"


def test_list_tables_pages(ddb):
    names = [f"table-{i:02d}" for i in range(7)]
    for name in reversed(names):
        ddb.create_table(TableName=name, **ON_DEMAND)
    assert ddb.list_tables() == {"TableNames": names}
    page = ddb.list_tables(Limit=3)
    assert page == {"TableNames": names[:3], "LastEvaluatedTableName": names[2]}
    page = ddb.list_tables(Limit=3, ExclusiveStartTableName=page["LastEvaluatedTableName"])
    assert page == {"TableNames": names[3:6], "LastEvaluatedTableName": names[5]}
    assert ddb.list_tables(Limit=3, ExclusiveStartTableName=names[5]) == {"TableNames": names[6:]}
    assert ddb.list_tables(Limit=7) == {"TableNames": names}


def test_list_tables_limit_bounds(ddb):
    assert_validation(
        ddb.list_tables,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
        Limit=0,
    )
    assert_validation(
        ddb.list_tables,
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 100",
        Limit=101,
    )


def test_delete_table(ddb):
    ddb.create_table(TableName="things", **ON_DEMAND)
    description = ddb.delete_table(TableName="things")["TableDescription"]
    assert description["TableStatus"] == "DELETING"
    assert description["TableName"] == "things"
    assert ddb.list_tables() == {"TableNames": []}
    err = error_of(ddb.delete_table, TableName="things")
    assert (err.code, err.message) == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: things not found",
    )
    # The name is free again.
    ddb.create_table(TableName="things", **ON_DEMAND)


def test_deletion_protection(ddb):
    ddb.create_table(TableName="kept", **ON_DEMAND, DeletionProtectionEnabled=True)
    assert ddb.describe_table(TableName="kept")["Table"]["DeletionProtectionEnabled"] is True
    assert_validation(
        ddb.delete_table,
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion "
        "protection first.",
        TableName="kept",
    )


def test_tables_survive_a_restart(ddb):
    created = ddb.create_table(TableName="durable", **ON_DEMAND)["TableDescription"]
    ddb.reopen()
    described = ddb.describe_table(TableName="durable")["Table"]
    assert described["TableId"] == created["TableId"]
    assert described["CreationDateTime"] == created["CreationDateTime"]
