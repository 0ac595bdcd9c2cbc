"""Example values for any botocore shape: every member filled, one item per list/map."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape

EXAMPLE_TIME = datetime(2025, 3, 4, 10, 11, 12, tzinfo=UTC)


def example(shape: Shape, depth: int = 0, location: str | None = None, *, status_code: bool = False) -> Any:
    kind = shape.type_name
    if status_code:
        return 200
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return {"doc": [1, "two", {"three": True}]}
        if depth > 3:
            return None
        if shape.metadata.get("union"):
            name, member = next(iter(shape.members.items()))
            value = example(member, depth + 1)
            return {name: value} if value is not None else None
        out = {}
        for name, member in shape.members.items():
            if member.serialization.get("eventstream"):
                continue
            value = example(
                member,
                depth + 1,
                member.serialization.get("location"),
                status_code=member.serialization.get("location") == "statusCode",
            )
            if value is not None:
                out[name] = value
        return out
    if kind == "list":
        if depth > 4:
            return None
        item = example(shape.member, depth + 1)
        return [item] if item is not None else None
    if kind == "map":
        if depth > 4:
            return None
        value = example(shape.value, depth + 1)
        return {"k1": value} if value is not None else None
    if kind == "string":
        enum = shape.metadata.get("enum")
        if enum:
            return enum[0]
        if shape.serialization.get("jsonvalue"):
            return {"a": 1}
        return "v-1"
    if kind in ("integer", "long", "short", "byte"):
        return 7
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return EXAMPLE_TIME
    if kind == "blob":
        return b"\x00blob\xff"
    return None
