"""Assembles one tidal: storage, services, the function runtime, delivery and the gateway."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import orjson

from tidal.config import Config
from tidal.delivery.async_invoke import AsyncInvokeDelivery
from tidal.gateway.dispatch import Dispatcher
from tidal.gateway.host_guard import HostGuard, is_loopback
from tidal.gateway.http import HttpServer, start_http_server
from tidal.gateway.signatures import SignatureVerifier
from tidal.runtime.pool import WorkerPool
from tidal.services.dynamodb.service import SCHEMA as DYNAMODB_SCHEMA
from tidal.services.dynamodb.service import DynamoDBService
from tidal.services.environment import ServiceEnv
from tidal.services.lambda_.service import SCHEMA as LAMBDA_SCHEMA
from tidal.services.lambda_.service import LambdaService
from tidal.services.s3.service import SCHEMA as S3_SCHEMA
from tidal.services.s3.service import S3Service
from tidal.storage.blobs import BlobStore
from tidal.storage.clock import Clock
from tidal.storage.database import Database
from tidal.storage.ids import IdSource
from tidal.storage.outbox import SCHEMA as OUTBOX_SCHEMA
from tidal.storage.outbox import Outbox
from tidal.types import HttpRequest, HttpResponse

log = logging.getLogger("tidal.server")


class Tidal:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.started_at = time.time()
        data_dir = config.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = Clock(config.time_scale)
        self.ids = IdSource(config.seed)
        self.db = Database(
            data_dir / "tidal.db", [OUTBOX_SCHEMA, S3_SCHEMA, DYNAMODB_SCHEMA, LAMBDA_SCHEMA]
        )
        self.blobs = BlobStore(data_dir / "blobs")
        self.outbox = Outbox(self.db)
        env = ServiceEnv(config, self.db, self.blobs, self.outbox, self.clock, self.ids)
        access_key, secret = next(iter(config.credential_pairs.items()))
        self.pool = WorkerPool(
            max_workers=config.max_workers,
            base_env={
                "AWS_ENDPOINT_URL": config.endpoint,
                "AWS_ACCESS_KEY_ID": access_key,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_SESSION_TOKEN": "test",
            },
            log_dir=data_dir / "logs",
        )
        self.lambda_ = LambdaService(env, self.pool)
        self.s3 = S3Service(env, function_permits=self.lambda_.function_permits)
        self.dynamodb = DynamoDBService(env)
        self.async_invoke = AsyncInvokeDelivery(
            self.db, self.outbox, self.clock, self.ids, self.lambda_, self.pool
        )
        self.dispatcher = Dispatcher(
            {"s3": self.s3, "dynamodb": self.dynamodb, "lambda": self.lambda_},
            self.db,
            self.clock,
            self.ids,
            config.region,
            config.account_id,
            internal={
                "/_tidal/health": self._health,
                "/_tidal/status": self._status,
                "/_tidal/deliveries": self._deliveries,
            },
            host_guard=HostGuard(config.allow_host) if is_loopback(config.host) else None,
            verifier=SignatureVerifier(config.credential_pairs) if config.auth == "sigv4" else None,
        )
        self._server: HttpServer | None = None

    async def warm_up(self) -> None:
        """Build each service's wire protocol now rather than on a client's first request.

        One service per turn of the loop (each is ~20-40 ms of botocore model work), so a
        request that arrives meanwhile (a readiness probe) waits for one, not for all."""
        for service in self.dispatcher.services:
            self.dispatcher.protocol(service)
            await asyncio.sleep(0)

    async def start(self, listener: socket.socket | None = None) -> None:
        """Serve on the configured host and port, or on ``listener``: a socket already bound
        to them (how ``tidal up --port 0`` knows its port before the server is built)."""
        config = self.config
        self._server = await start_http_server(
            self.dispatcher, config.host, config.port, listener,
            header_timeout=config.header_timeout, idle_timeout=config.idle_timeout,
        )
        self.async_invoke.start()
        # Off the loop, so a large blob directory does not delay "ready".
        threading.Thread(target=self._sweep_orphan_blobs, name="tidal-blob-sweep", daemon=True).start()

    def _sweep_orphan_blobs(self) -> None:
        # A second of margin: file times come from a coarser clock than time.time().
        try:
            conn = self.db.reader()  # this thread's own connection
            removed = self.blobs.sweep(lambda: self.s3.referenced_blob_ids(conn), self.started_at - 1.0)
            conn.close()
        except Exception:  # noqa: BLE001 - a failed sweep only leaves files behind
            log.exception("sweeping orphaned blobs")
            return
        if removed:
            log.info("removed %d blob files no object refers to (left by a crash)", removed)

    async def stop(self) -> None:
        """Stop listening, abandon deliveries in flight (still pending, so redelivered after
        a restart), stop the workers, commit queued writes and close the database."""
        self.dispatcher.stopping = True
        if self._server is not None:
            self._server.close()
        await self.async_invoke.stop()
        await self.pool.close()
        self.db.close()

    def _health(self, request: HttpRequest) -> HttpResponse:
        body = {
            "status": "ok",
            "services": {"s3": "running", "dynamodb": "running", "lambda": "running"},
            "endpoint": self.config.endpoint,
            "region": self.config.region,
            "uptime_s": round(time.time() - self.started_at, 3),
        }
        return _json(200, body)

    def _status(self, request: HttpRequest) -> HttpResponse:
        """Delivery counters since start: in memory, cheap enough to poll during a big run."""
        return _json(200, {"delivery": self.async_invoke.stats(), "max_workers": self.pool.max_workers})

    def _deliveries(self, request: HttpRequest) -> HttpResponse:
        """Events created since ``?since=<epoch seconds>``: how they ended, and created→done latency.

        One pass over those outbox rows: ask once, at the end of a run, not in a loop.
        """
        since = 0.0
        for pair in request.query.split("&"):
            name, _, value = pair.partition("=")
            if name == "since":
                try:
                    since = float(value)
                except ValueError:
                    return _json(400, {"message": "since must be epoch seconds"})
        return _json(200, self.outbox.delivery_summary(since))


def _json(status: int, body: object) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))
