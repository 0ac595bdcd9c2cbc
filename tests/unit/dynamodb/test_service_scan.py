"""DynamoDB Scan in-process: pagination, the 1 MB page, Select, filters after Limit, segments."""

from __future__ import annotations

import pytest

from tidal.services.dynamodb.in_process import InProcessDynamoDB

from .helpers import error_of, n, s

TABLE = "many"


@pytest.fixture(scope="module")
def ddb(tmp_path_factory):
    client = InProcessDynamoDB(tmp_path_factory.mktemp("scan"))
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )

    def load(tx):
        call = client.make_call(tx)
        for i in range(3000):
            client.service.put_item(
                call,
                {
                    "TableName": TABLE,
                    "Item": {"pk": s(f"p{i % 700}"), "sk": n(i), "even": {"BOOL": i % 2 == 0}},
                },
            )

    client.env.db.write_sync(load)
    yield client
    client.close()


def scan_all(ddb, **params) -> tuple[list[dict], list[dict]]:
    """Every page's items, and the pages themselves."""
    items, pages = [], []
    params.setdefault("TableName", TABLE)
    while True:
        page = ddb.scan(**params)
        pages.append(page)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items, pages
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_pagination_returns_every_item_exactly_once(ddb):
    items, pages = scan_all(ddb, Limit=128)
    keys = [int(item["sk"]["N"]) for item in items]
    assert sorted(keys) == list(range(3000))
    assert all(page["ScannedCount"] == page["Count"] == len(page["Items"]) for page in pages)
    assert [page["Count"] for page in pages[:-1]] == [128] * (len(pages) - 1)


def test_unlimited_scan_is_one_page(ddb):
    items, pages = scan_all(ddb)
    assert len(pages) == 1 and len(items) == 3000


def test_limit_reached_at_the_end_still_gives_last_evaluated_key(ddb):
    # As AWS: a page that stops on its Limit carries LastEvaluatedKey, even when nothing follows.
    items, pages = scan_all(ddb, Limit=1000)
    assert len(items) == 3000 and len(pages) == 4
    assert pages[-1] == {"Items": [], "Count": 0, "ScannedCount": 0}


def test_items_of_one_partition_are_in_sort_key_order(ddb):
    items, _ = scan_all(ddb)
    by_partition: dict[str, list[int]] = {}
    for item in items:
        by_partition.setdefault(item["pk"]["S"], []).append(int(item["sk"]["N"]))
    assert all(keys == sorted(keys) for keys in by_partition.values())
    # Partitions come in hash order, not key order, as on AWS.
    partitions = list(dict.fromkeys(item["pk"]["S"] for item in items))
    assert partitions != sorted(partitions) and len(partitions) == 700


def test_select_count(ddb):
    assert ddb.scan(TableName=TABLE, Select="COUNT") == {"Count": 3000, "ScannedCount": 3000}
    page = ddb.scan(TableName=TABLE, Select="COUNT", Limit=10)
    assert page["Count"] == 10 and "Items" not in page and "LastEvaluatedKey" in page


def test_filter_applies_after_limit(ddb):
    page = ddb.scan(
        TableName=TABLE,
        Limit=100,
        FilterExpression="even = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    assert page["ScannedCount"] == 100
    assert page["Count"] == len(page["Items"]) < 100
    assert all(item["even"] == {"BOOL": True} for item in page["Items"])
    items, pages = scan_all(
        ddb, Limit=100, FilterExpression="even = :t", ExpressionAttributeValues={":t": {"BOOL": True}}
    )
    assert len(items) == 1500 and sum(p["ScannedCount"] for p in pages) == 3000


def test_filter_count(ddb):
    page = ddb.scan(
        TableName=TABLE, Select="COUNT", FilterExpression="sk < :x", ExpressionAttributeValues={":x": n(10)}
    )
    assert page == {"Count": 10, "ScannedCount": 3000}


def test_projection(ddb):
    page = ddb.scan(TableName=TABLE, Limit=5, ProjectionExpression="sk")
    assert all(set(item) == {"sk"} for item in page["Items"])
    # The key of the page is the whole primary key, whatever the projection.
    assert set(page["LastEvaluatedKey"]) == {"pk", "sk"}
    page = ddb.scan(TableName=TABLE, Limit=5, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="even")
    assert all(set(item) == {"even"} for item in page["Items"])


def test_parallel_scan_segments_partition_the_table(ddb):
    seen: list[int] = []
    for segment in range(4):
        items, _ = scan_all(ddb, Segment=segment, TotalSegments=4, Limit=300)
        assert items, "every segment of a 700-partition table has items"
        seen.extend(int(item["sk"]["N"]) for item in items)
    assert sorted(seen) == list(range(3000))


def test_one_megabyte_page(tmp_path):
    ddb = InProcessDynamoDB(tmp_path)
    ddb.create_table(
        TableName="big",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(300):  # ~10 KB each: 3 MB in all
        ddb.put_item(TableName="big", Item={"pk": s(f"k{i:03d}"), "blob": s("x" * 10_000)})
    items, pages = scan_all(ddb, TableName="big")
    assert len(items) == 300 and len({item["pk"]["S"] for item in items}) == 300
    assert len(pages) == 3
    assert [p["ScannedCount"] for p in pages] == [105, 105, 90]
    capacity = ddb.scan(TableName="big", ReturnConsumedCapacity="TOTAL", Select="COUNT")["ConsumedCapacity"]
    # 105 items of 10,010 bytes, rounded up to 4 KB blocks, eventually consistent: 257 blocks / 2.
    assert capacity == {"TableName": "big", "CapacityUnits": 128.5}
    ddb.close()


def test_scan_capacity_of_an_empty_table(tmp_path):
    ddb = InProcessDynamoDB(tmp_path)
    ddb.create_table(
        TableName="empty",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert ddb.scan(TableName="empty", ReturnConsumedCapacity="TOTAL", ConsistentRead=True) == {
        "Items": [],
        "Count": 0,
        "ScannedCount": 0,
        "ConsumedCapacity": {"TableName": "empty", "CapacityUnits": 1.0},
    }
    ddb.close()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"Select": "COUNT", "ProjectionExpression": "sk"},
            "Cannot specify the ProjectionExpression when choosing to get only the Count",
        ),
        (
            {"Select": "SPECIFIC_ATTRIBUTES"},
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        ),
        (
            {"Select": "EVERYTHING"},
            "1 validation error detected: Value 'EVERYTHING' at 'select' failed to satisfy constraint: Member must "
            "satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
        ),
        (
            {"Limit": 0},
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value "
            "greater than or equal to 1",
        ),
        (
            {"Segment": 0},
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is "
            "present",
        ),
        (
            {"TotalSegments": 2},
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is "
            "present",
        ),
        (
            {"Segment": 2, "TotalSegments": 2},
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not "
            "less than TotalSegments: 2",
        ),
        (
            {"ExclusiveStartKey": {"pk": s("p1")}},
            "The provided starting key is invalid: The provided key element does not match the schema",
        ),
        (
            {"FilterExpression": "sk > :x"},
            "Invalid FilterExpression: An expression attribute value used in expression is not defined; "
            "attribute value: :x",
        ),
        (
            {"ProjectionExpression": "sk", "ExpressionAttributeNames": {"#unused": "x"}},
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
        ),
    ],
)
def test_scan_validation(ddb, params, message):
    err = error_of(ddb.scan, TableName=TABLE, **params)
    assert (err.code, err.message) == ("ValidationException", message)


def test_start_key_outside_segment(ddb):
    page = ddb.scan(TableName=TABLE, Segment=0, TotalSegments=2, Limit=1)
    err = error_of(
        ddb.scan, TableName=TABLE, Segment=1, TotalSegments=2, ExclusiveStartKey=page["LastEvaluatedKey"]
    )
    assert err.message == (
        "The provided Exclusive start key does not map to the provided Segment and TotalSegments values."
    )
