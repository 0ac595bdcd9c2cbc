"""In-process DynamoDB clients on a temporary data directory: ``empty_ddb`` with no tables, ``ddb`` with the
standard tables (see helpers.HASHED and helpers.SORTED). Test modules that need other tables override ``ddb``."""

from __future__ import annotations

import pytest

from tidal.services.dynamodb.in_process import InProcessDynamoDB

from .helpers import HASHED, SORTED


@pytest.fixture
def empty_ddb(tmp_path):
    client = InProcessDynamoDB(tmp_path)
    yield client
    client.close()


@pytest.fixture
def ddb(empty_ddb):
    empty_ddb.create_table(
        TableName=HASHED,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    empty_ddb.create_table(
        TableName=SORTED,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return empty_ddb
