"""What every service is built with: settings, storage, the clock and the id source."""

from __future__ import annotations

from dataclasses import dataclass

from tidal.config import Config
from tidal.storage.blobs import BlobStore
from tidal.storage.clock import Clock
from tidal.storage.database import Database
from tidal.storage.ids import IdSource
from tidal.storage.outbox import Outbox


@dataclass(slots=True)
class ServiceEnv:
    config: Config
    db: Database
    blobs: BlobStore
    outbox: Outbox
    clock: Clock
    ids: IdSource
