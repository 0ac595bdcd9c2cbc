"""TransactWriteItems and TransactGetItems.

A transaction is checked whole first, exactly as its single-item operations check their
requests (values, expressions, table, key; ``item_operations``), and two actions on one item
are refused. Then every action reads its item and evaluates its condition, and an Update
computes its new item; if any of that fails, the transaction is cancelled with one reason per
action and nothing is written. Otherwise every action writes through the same pieces as
PutItem, UpdateItem and DeleteItem (storage and stream record). As a ``@writes`` operation it
runs inside one transaction on the single writer, so it is all-or-nothing and isolated from
every other write without locks; TransactGetItems reads its items inside one read
transaction, so it sees one committed state.

Errors that depend only on the request are ValidationExceptions, as AWS answers them. Errors
that depend on the stored items (an update that makes the item too large or meets the wrong
type, a secondary-index key of the wrong type) cancel the transaction with a
``ValidationError`` reason carrying the error's message (chosen: AWS documents such errors as
cancellation reasons but not their exact words).

Capacity as AWS reports it for transactions: two units per item's single-operation units
(writes by the larger of the old and new item, a ConditionCheck by its item; reads as strongly
consistent, a missing item included), per table, with the read/write split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from tidal.errors import AWSError, validation_error
from tidal.services.dynamodb import capacity
from tidal.services.dynamodb.expressions import BoundCondition, BoundProjection, BoundUpdate
from tidal.services.dynamodb.item_operations import (
    ItemOperations,
    bound_projection,
    check_expression_parameters,
    check_return_on_failure,
    erase_item,
    read_old,
    store_item,
    updated_item,
)
from tidal.services.dynamodb.items import read_item
from tidal.services.dynamodb.keys import EncodedKey, key_from_key_param
from tidal.services.dynamodb.tables import Table
from tidal.services.dynamodb.values import validate_item
from tidal.services.operation import Call, reads, writes

_loads = orjson.loads

# Raised from 25 to 100 in September 2022; the model's limit too.
MAX_TRANSACT_ITEMS = 100

MULTIPLE_OPERATIONS = "Transaction request cannot include multiple operations on one item"
NOT_ONE_ACTION = "TransactItems can only contain one of Check, Put, Update or Delete"
NO_ACTION = "The action or operation requested is invalid. Verify that the action is typed correctly."
CONDITION_FAILED = "The conditional request failed"
_ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")
# Members the model requires beyond Key/Item and TableName, which the action's single-item
# operation would do without.
_REQUIRED = {"ConditionCheck": "ConditionExpression", "Update": "UpdateExpression"}
_WIRE_NAMES = {"ConditionCheck": "conditionCheck", "Put": "put", "Delete": "delete", "Update": "update"}


def check_transact_items(items: list) -> None:
    """The length limits of TransactItems.

    On the wire the protocol layer refuses both first with Coral's message, which also prints
    the list; in-process the same words, without the value for a list too long.
    """
    if not items:
        raise validation_error(
            "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    if len(items) > MAX_TRANSACT_ITEMS:
        raise validation_error(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_TRANSACT_ITEMS}"
        )


def check_one_item_each(targets: list[tuple[int, EncodedKey]]) -> None:
    seen: set[tuple[int, EncodedKey]] = set()
    for target in targets:
        if target in seen:
            raise validation_error(MULTIPLE_OPERATIONS)
        seen.add(target)


def transactional_capacity(mode: str, units: dict[str, float], split: str) -> list[dict[str, Any]]:
    """ConsumedCapacity of a transaction: per table, with ``split`` (ReadCapacityUnits or
    WriteCapacityUnits) beside the total, as AWS reports it only for transactions."""
    entries = []
    for name, total in units.items():
        entry = capacity.consumed(mode, name, total)
        entry[split] = total
        if "Table" in entry:
            entry["Table"][split] = total
        entries.append(entry)
    return entries


def cancelled(reasons: list[dict[str, Any]]) -> AWSError:
    codes = ", ".join(reason["Code"] for reason in reasons)
    return AWSError(
        "TransactionCanceledException",
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        400,
        fields={"CancellationReasons": reasons},
    )


@dataclass(slots=True)
class _Action:
    """One action of a TransactWriteItems, checked."""

    kind: str  # "ConditionCheck" | "Put" | "Delete" | "Update"
    table_name: str
    table: Table
    key: EncodedKey
    condition: BoundCondition | None
    return_old: bool
    item: dict | None = None  # Put: the item; Update: the key as given
    size: int = 0  # Put: the item's size
    update: BoundUpdate | None = None


class TransactionOperations(ItemOperations):
    """TransactWriteItems and TransactGetItems of :class:`~tidal.services.dynamodb.service.DynamoDBService`."""

    def _transact_action(self, call: Call, index: int, entry: dict[str, Any]) -> _Action:
        present = [name for name in _ACTIONS if entry.get(name) is not None]
        if not present:
            raise validation_error(NO_ACTION)
        if len(present) > 1:
            raise validation_error(NOT_ONE_ACTION)
        kind = present[0]
        request = entry[kind]
        required = _REQUIRED.get(kind)
        if required is not None and request.get(required) is None:
            # The protocol layer refuses this first on the wire; these are its words.
            member = required[0].lower() + required[1:]
            raise validation_error(
                f"1 validation error detected: Value null at 'transactItems.{index}.member."
                f"{_WIRE_NAMES[kind]}.{member}' failed to satisfy constraint: Member must not be null"
            )
        return_old = check_return_on_failure(request.get("ReturnValuesOnConditionCheckFailure"))
        name = request["TableName"]
        if kind == "Put":
            table, key, item, size, condition = self._put_target(call, request, in_batch=True)
            return _Action(kind, name, table, key, condition, return_old, item, size)
        if kind == "Update":
            table, key, key_item, update, condition = self._update_target(call, request)
            return _Action(kind, name, table, key, condition, return_old, key_item, update=update)
        table, key, condition = self._delete_target(call, request)
        return _Action(kind, name, table, key, condition, return_old)

    # -- TransactWriteItems --------------------------------------------------------------------

    @writes
    def transact_write_items(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        # ReturnItemCollectionMetrics is accepted (no local secondary indexes are maintained,
        # so there are no item collections to measure). ClientRequestToken is accepted and
        # ignored: AWS makes a repeat with the same token within 10 minutes a no-op; tidal
        # applies it again, which only differs for a client that retries a transaction that
        # had in fact succeeded. Not enforced: AWS's 4 MB limit on the aggregate size of the
        # items (its error's wording is not documented).
        entries = params["TransactItems"]
        check_transact_items(entries)
        actions = [self._transact_action(call, index, entry) for index, entry in enumerate(entries, 1)]
        check_one_item_each([(action.table.id, action.key) for action in actions])

        # Every action's condition and outcome before anything is written.
        conn = call.db
        reasons: list[dict[str, Any]] = []
        outcomes: list[tuple[dict | None, int, dict | None, int]] = []
        failed = False
        for action in actions:
            old, old_size = read_old(conn, action.table, action.key)  # type: ignore[arg-type]
            new: dict | None = action.item if action.kind == "Put" else None
            size = action.size
            reason: dict[str, Any] = {"Code": "None"}
            if action.condition is not None and not action.condition.evaluate(old or {}):
                reason = {"Code": "ConditionalCheckFailed", "Message": CONDITION_FAILED}
                if action.return_old and old is not None:
                    reason["Item"] = old
            elif action.kind == "Update":
                try:
                    new, _, size = updated_item(action.table, action.item, old, action.update, old_size)  # type: ignore[arg-type]
                except AWSError as error:
                    if error.code != "ValidationException":
                        raise
                    reason = {"Code": "ValidationError", "Message": error.message}
            if reason["Code"] != "None":
                failed = True
            reasons.append(reason)
            outcomes.append((old, old_size, new, size))
        if failed:
            raise cancelled(reasons)

        units: dict[str, float] = {}
        for action, (old, old_size, new, size) in zip(actions, outcomes, strict=True):
            if new is not None:
                store_item(call, action.table, action.key, old, new, size)
                used = capacity.write_units(max(size, old_size))
            else:
                if action.kind == "Delete" and old is not None:
                    erase_item(call, action.table, action.key, old)
                used = capacity.write_units(old_size)
            units[action.table_name] = units.get(action.table_name, 0.0) + 2 * used
        result: dict[str, Any] = {}
        if mode:
            result["ConsumedCapacity"] = transactional_capacity(mode, units, "WriteCapacityUnits")
        return result

    # -- TransactGetItems ----------------------------------------------------------------------

    @reads
    def transact_get_items(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        mode = capacity.check_mode(params.get("ReturnConsumedCapacity"))
        entries = params["TransactItems"]
        check_transact_items(entries)
        gets: list[tuple[str, Table, EncodedKey, BoundProjection | None]] = []
        for entry in entries:
            get = entry["Get"]
            check_expression_parameters("GetItem", get)
            projection = bound_projection(get)
            key_item = validate_item(get["Key"])
            table = self._item_table(call, get["TableName"])
            gets.append((get["TableName"], table, key_from_key_param(table.key_schema, key_item), projection))
        # Chosen: the write rule holds for gets too (DynamoDB refuses two Gets of one item).
        check_one_item_each([(table.id, key) for _, table, key, _ in gets])

        conn = call.db
        # One read transaction: every item as of the same commit.
        own = not conn.in_transaction  # type: ignore[union-attr]
        if own:
            conn.execute("BEGIN")  # type: ignore[union-attr]
        try:
            rows = [read_item(conn, table.id, key) for _, table, key, _ in gets]  # type: ignore[arg-type]
        finally:
            if own:
                conn.execute("COMMIT")  # type: ignore[union-attr]
        responses: list[dict[str, Any]] = []
        units: dict[str, float] = {}
        for (name, _, _, projection), row in zip(gets, rows, strict=True):
            size = 0
            if row is None:
                responses.append({})
            else:
                item = _loads(row[0])
                size = row[1]
                responses.append({"Item": projection.apply(item) if projection is not None else item})
            units[name] = units.get(name, 0.0) + 2 * capacity.read_units(size, True)
        result: dict[str, Any] = {"Responses": responses}
        if mode:
            result["ConsumedCapacity"] = transactional_capacity(mode, units, "ReadCapacityUnits")
        return result
