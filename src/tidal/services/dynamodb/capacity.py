"""Consumed capacity as DynamoDB reports it (ReturnConsumedCapacity).

Writes: one unit per 1 KB (rounded up) of the larger of the item before and after the write
(PutItem, UpdateItem), of the deleted item (DeleteItem), at least one. Reads: one unit per
4 KB (rounded up) for a strongly consistent read, half that for an eventually consistent one,
at least one 4 KB block; a Scan or Query rounds the total size of the items it examined,
not per item. On-demand request units and provisioned capacity units count the same way.
Secondary indexes are not maintained yet, so nothing is charged to them.
"""

from __future__ import annotations

from typing import Any

from tidal.errors import validation_error

_MODES = ("INDEXES", "TOTAL", "NONE")


def check_mode(mode: str | None) -> str | None:
    """The ReturnConsumedCapacity to honour: ``"TOTAL"``, ``"INDEXES"`` or None."""
    if mode is None or mode == "NONE":
        return None
    if mode not in _MODES:
        raise validation_error(
            f"1 validation error detected: Value '{mode}' at 'returnConsumedCapacity' failed to satisfy "
            "constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
        )
    return mode


def write_units(size_bytes: int) -> float:
    return float(max(1, -(-size_bytes // 1024)))


def read_units(size_bytes: int, consistent: bool) -> float:
    blocks = max(1, -(-size_bytes // 4096))
    return float(blocks) if consistent else blocks / 2


def consumed(mode: str, table_name: str, units: float) -> dict[str, Any]:
    """The ConsumedCapacity member; ``table_name`` as the request gave it (a name or an ARN)."""
    if mode == "INDEXES":
        return {"TableName": table_name, "CapacityUnits": units, "Table": {"CapacityUnits": units}}
    return {"TableName": table_name, "CapacityUnits": units}
