"""How a service exposes its operations, and what an operation is given.

A service is a class whose public methods are named after its operations in boto3's
snake_case (``put_object`` for PutObject, ``botocore.xform_name``) and marked with one of:

- ``@reads``  – runs where the request arrived, on that thread's read connection;
- ``@writes`` – runs on the single writer (the event loop's thread) inside a transaction
  (so a read-modify-write such as UpdateItem is atomic without locks); its reply is sent
  only after COMMIT, and events it emits into the outbox commit with it;
- ``@awaits`` – a coroutine on the event loop, for operations that wait on something else
  (Lambda's synchronous Invoke); it may itself ``await call.write(fn)``.

A ``@writes`` operation may also be ``@prepared_by(prepare)``: blocking work, such as writing
a large body's file, that runs on a worker thread before its transaction.

Every operation is called as ``method(call, params) -> dict``: ``params`` as boto3 sends
them (the input shape's member names), the result as boto3 returns it (output shape
member names). Errors are raised as :class:`tidal.errors.AWSError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tidal.storage.database import Connection

if TYPE_CHECKING:
    from tidal.storage.database import Database, WriteTx

Kind = Literal["reads", "writes", "awaits"]

KIND_ATTRIBUTE = "__tidal_operation_kind__"
PREPARE_ATTRIBUTE = "__tidal_operation_prepare__"


def reads(fn: Callable) -> Callable:
    setattr(fn, KIND_ATTRIBUTE, "reads")
    return fn


def writes(fn: Callable) -> Callable:
    setattr(fn, KIND_ATTRIBUTE, "writes")
    return fn


def awaits(fn: Callable) -> Callable:
    setattr(fn, KIND_ATTRIBUTE, "awaits")
    return fn


def operation_kind(fn: Callable) -> Kind | None:
    return getattr(fn, KIND_ATTRIBUTE, None)


def prepared_by(prepare: Callable[[Any, Call, dict], Callable[[], Any] | None]) -> Callable[[Callable], Callable]:
    """For a ``@writes`` operation: ``prepare(self, call, params)`` may return blocking work
    (writing a large body's file) for the dispatcher to run on a worker thread before the
    transaction; its result is the transaction's ``call.prepared``. Work is kept out of the
    transaction because the writer is the event loop: a long transaction stalls every
    request. If the operation then fails, it undoes the work (the file is deleted); if the
    server stops in between, the start-up sweep of orphaned blobs does."""

    def mark(fn: Callable) -> Callable:
        setattr(fn, PREPARE_ATTRIBUTE, prepare)
        return fn

    return mark


def operation_preparation(method: Callable) -> Callable[[Call, dict], Callable[[], Any] | None] | None:
    """The bound ``prepare`` of a service's bound ``method``, if it has one."""
    prepare = getattr(method, PREPARE_ATTRIBUTE, None)
    if prepare is None:
        return None
    return prepare.__get__(method.__self__)


@dataclass(slots=True)
class Call:
    """One request as an operation sees it."""

    request_id: str
    region: str
    account_id: str
    now: float  # epoch seconds when the request arrived
    client_ip: str = "127.0.0.1"
    # Set by the dispatcher: the connection to use (the writer's for @writes).
    db: Connection | None = None
    tx: WriteTx | None = None
    database: Database | None = None
    prepared: Any = None  # what a @prepared_by operation's work returned

    def after_commit(self, callback: Callable[[], None]) -> None:
        if self.tx is None:
            raise RuntimeError("after_commit is only available to @writes operations")
        self.tx.after_commit(callback)

    def write(self, fn: Callable[[WriteTx], Any]):
        """For @awaits operations: run ``fn`` on the writer thread and await its commit."""
        assert self.database is not None
        return self.database.write(fn)
