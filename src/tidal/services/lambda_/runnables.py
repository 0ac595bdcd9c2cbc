"""What delivery asks of Lambda for every event, answered from memory.

For each function: the runtime spec of its current revision and its async-invoke policy.
Loaded from the database on first use, dropped when a change to the function commits
(``invalidate`` is called from ``after_commit``), so the cache never runs ahead of the data
and never lags behind a committed change for longer than the commit callback.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from tidal.runtime.spec import FunctionSpec
from tidal.services.lambda_ import event_invoke, store
from tidal.services.lambda_.code import CodeStore
from tidal.services.lambda_.names import LATEST, parse_function_ref
from tidal.storage.database import Database

log = logging.getLogger("tidal.lambda")

FunctionKey = tuple[str, str]  # (region, name)


@dataclass(frozen=True, slots=True)
class Runnable:
    """One function revision as an invocation needs it."""

    spec: FunctionSpec
    retry_attempts: int  # MaximumRetryAttempts for async events
    maximum_event_age: int  # MaximumEventAgeInSeconds


class RunnableCache:
    def __init__(self, db: Database, code: CodeStore, region: str, account: str) -> None:
        self._db = db
        self._code = code
        self._region = region
        self._account = account
        self._entries: dict[FunctionKey, Runnable] = {}
        # Bumped on every committed change to a function: a reader that loaded a function
        # before the change must not put its stale view into the cache after it.
        self._generations: dict[FunctionKey, int] = {}
        self._lock = threading.Lock()

    def key_of(self, function_ref: str) -> FunctionKey | None:
        """(region, name) for a name or any ARN form; None if it names nothing tidal has."""
        ref = parse_function_ref(function_ref) if isinstance(function_ref, str) else None
        if ref is None or ref.qualifier not in (None, LATEST):
            return None  # no versions or aliases in tidal
        if ref.account is not None and ref.account != self._account:
            return None  # tidal serves one account
        return (ref.region or self._region, ref.name)

    def get(self, key: FunctionKey) -> Runnable | None:
        entry = self._entries.get(key)
        return entry if entry is not None else self._load(key)

    def invalidate(self, key: FunctionKey) -> None:
        with self._lock:
            self._generations[key] = self._generations.get(key, 0) + 1
            self._entries.pop(key, None)

    def _load(self, key: FunctionKey) -> Runnable | None:
        with self._lock:
            generation = self._generations.get(key, 0)
        conn = self._db.reader()
        record = store.load_function(conn, *key)
        if record is None:
            return None
        code_dir = self._code.code_dir(record.name, record.code_sha256_hex)
        if not code_dir.is_dir():
            try:  # lost since it was unpacked (a cleaned data dir): unpack the kept zip again
                code_dir = self._code.ensure_unpacked(record.name, record.code_sha256_hex) or code_dir
            except Exception:  # noqa: BLE001 - the invocation itself will report the missing code
                log.exception("unpacking the code of %s again", record.name)
        spec = FunctionSpec(
            name=record.name,
            arn=record.arn,
            code_dir=code_dir,
            code_sha256=record.code_sha256,
            handler=record.handler,
            runtime=record.runtime,
            timeout=float(record.timeout),
            memory_mb=record.memory_size,
            environment=dict(record.environment or {}),
            version=LATEST,
            # What workers were started from; a policy change leaves it, and the warm workers.
            revision_id=record.runtime_revision,
        )
        retries, age = event_invoke.policy_of(store.event_invoke_config(conn, key[0], key[1], LATEST))
        entry = Runnable(spec, retries, age)
        with self._lock:
            if self._generations.get(key, 0) == generation:
                self._entries[key] = entry
        return entry
