"""The DynamoDB service: table operations here, item operations in ``item_operations.py``, Scan in
``scan.py``, Query in ``query.py``, BatchWriteItem and BatchGetItem in ``batch_operations.py``,
TransactWriteItems and TransactGetItems in ``transactions.py``.

Operations take params as boto3's low-level client sends them (AttributeValues in JSON wire
form) and return dicts as the client returns them; errors are ``AWSError``s with AWS's codes
and messages. Tables are created ACTIVE at once (AWS passes through CREATING for a few
seconds; tidal has nothing to wait for, and a client's ``table_exists`` waiter succeeds on
its first DescribeTable), and DeleteTable removes the table and its items in its
transaction while answering DELETING, as AWS does.
"""

from __future__ import annotations

from typing import Any

from tidal.errors import AWSError, validation_error
from tidal.services.dynamodb import items as item_store
from tidal.services.dynamodb.batch_operations import BatchOperations
from tidal.services.dynamodb.items import ITEMS_SCHEMA
from tidal.services.dynamodb.query import QueryOperation
from tidal.services.dynamodb.scan import ScanOperation
from tidal.services.dynamodb.table_definition import check_create_table
from tidal.services.dynamodb.tables import (
    TABLES_SCHEMA,
    Table,
    TableCatalog,
    delete_table_row,
    describe,
    find_table_row,
    insert_table,
    split_table_name,
    table_names,
    table_not_found,
)
from tidal.services.dynamodb.transactions import TransactionOperations
from tidal.services.environment import ServiceEnv
from tidal.services.operation import Call, reads, writes

SCHEMA = TABLES_SCHEMA + ITEMS_SCHEMA


class DynamoDBService(BatchOperations, TransactionOperations, ScanOperation, QueryOperation):
    # Both batch and transaction operations build on ItemOperations, which they extend.
    def __init__(self, env: ServiceEnv) -> None:
        self._env = env
        self._tables = TableCatalog()
        self._tables.load(env.db.reader())

    # -- tables --------------------------------------------------------------------------------

    def _described(self, call: Call, name: str) -> Table:
        account_id, region, table_name = split_table_name(name, call.region, call.account_id)
        table = self._tables.get(account_id, region, table_name)
        if table is None:
            raise table_not_found(name)
        return table

    @writes
    def create_table(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        definition = check_create_table(params)
        name = params["TableName"]
        # Checked against the database, not the catalog: a CreateTable earlier in this
        # commit group is visible here but not yet in the catalog.
        if find_table_row(call.db, call.account_id, call.region, name) is not None:  # type: ignore[arg-type]
            raise AWSError("ResourceInUseException", f"Table already exists: {name}", 400)
        table = insert_table(
            call.db,  # type: ignore[arg-type]
            call.account_id,
            call.region,
            name,
            self._env.ids.uuid4(),
            call.now,
            definition,
        )
        call.after_commit(lambda: self._tables.add(table))
        return {"TableDescription": describe(table, "ACTIVE", 0, 0)}

    @reads
    def describe_table(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        table = self._described(call, params["TableName"])
        count, size = item_store.table_statistics(call.db, table.id)  # type: ignore[arg-type]
        return {"Table": describe(table, "ACTIVE", count, size)}

    @writes
    def delete_table(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TableName"]
        account_id, region, table_name = split_table_name(name, call.region, call.account_id)
        conn = call.db
        table = find_table_row(conn, account_id, region, table_name)  # type: ignore[arg-type]
        if table is None:
            raise table_not_found(name)
        if table.definition["DeletionProtectionEnabled"]:
            raise validation_error(
                "Resource cannot be deleted as it is currently protected against deletion. "
                "Disable deletion protection first."
            )
        count, size = item_store.table_statistics(conn, table.id)  # type: ignore[arg-type]
        delete_table_row(conn, table)  # type: ignore[arg-type]
        item_store.drop_items(conn, table.id)  # type: ignore[arg-type]
        call.after_commit(lambda: self._tables.remove_named(account_id, region, table_name))
        return {"TableDescription": describe(table, "DELETING", count, size)}

    @reads
    def list_tables(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("Limit", 100)
        if limit < 1 or limit > 100:
            bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 100"
            raise validation_error(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                f"Member must have value {bound}"
            )
        names = table_names(
            call.db,
            call.account_id,
            call.region,
            params.get("ExclusiveStartTableName"),
            limit + 1,  # type: ignore[arg-type]
        )
        result: dict[str, Any] = {"TableNames": names[:limit]}
        if len(names) > limit:
            result["LastEvaluatedTableName"] = names[limit - 1]
        return result
