"""Where an item write becomes a DynamoDB Streams record, in the write's own transaction.

Every successful PutItem, UpdateItem and DeleteItem on a table with a stream
(``table.stream_view_type`` set) calls :func:`record_change` before it returns, on the
writer thread, inside the transaction that changed the item. So when streams arrive (a
later issue), appending the record here (the table's stream, the view type's images, a
sequence number) commits atomically with the change: no change without its record, no
record without its change, even across ``kill -9``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tidal.services.dynamodb.tables import Table
    from tidal.services.dynamodb.values import Item
    from tidal.services.operation import Call


def record_change(call: Call, table: Table, old: Item | None, new: Item | None) -> None:
    """Append the stream record of one item change (``old`` None: INSERT, ``new`` None: REMOVE).

    Not implemented yet: DynamoDB Streams are a later issue. Tables keep their
    StreamSpecification and describe it, but no record is written.
    """
    return None
