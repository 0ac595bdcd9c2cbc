"""The dispatcher with a service of its own: where a @prepared_by write's work runs, and how it fails."""

from __future__ import annotations

import asyncio
import threading

import orjson

from tidal.errors import AWSError
from tidal.gateway.dispatch import Dispatcher
from tidal.services.operation import Call, prepared_by, writes
from tidal.storage.clock import Clock
from tidal.storage.database import Database
from tidal.storage.ids import IdSource
from tidal.types import HttpRequest, HttpResponse


class PreparingService:
    """Answers DynamoDB's PutItem: the Item's "work" says what its preparation does."""

    def __init__(self) -> None:
        self.work_threads: list[int] = []
        self.jobs: list[tuple[int, object]] = []

    def _prepare(self, call: Call, params: dict):
        behaviour = params["Item"]["work"]["S"]
        if behaviour == "none":
            return None
        if behaviour == "refuse":
            raise AWSError("ValidationException", "refused before any work", 400)

        def work():
            self.work_threads.append(threading.get_ident())
            if behaviour == "fail":
                raise AWSError("ValidationException", "the work failed", 400)
            return f"prepared for {params['TableName']}"

        return work

    @prepared_by(_prepare)
    @writes
    def put_item(self, call: Call, params: dict) -> dict:
        self.jobs.append((threading.get_ident(), call.prepared))
        return {}


def put_item(work: str) -> HttpRequest:
    body = orjson.dumps({"TableName": "things", "Item": {"work": {"S": work}}})
    headers = {"x-amz-target": "DynamoDB_20120810.PutItem", "content-type": "application/x-amz-json-1.0"}
    return HttpRequest("POST", "/", "", headers, body)


def dispatch(tmp_path, work: str) -> tuple[HttpResponse, PreparingService, int]:
    service = PreparingService()

    async def run() -> tuple[HttpResponse, int]:
        db = Database(tmp_path / "tidal.db")
        dispatcher = Dispatcher({"dynamodb": service}, db, Clock(), IdSource(7), "us-east-1", "000000000000")
        answered: asyncio.Future[HttpResponse] = asyncio.get_running_loop().create_future()
        dispatcher(put_item(work), answered.set_result)
        try:
            return await asyncio.wait_for(answered, 10), threading.get_ident()
        finally:
            db.close()

    response, loop_thread = asyncio.run(run())
    return response, service, loop_thread


def test_work_runs_off_the_loop_and_its_result_reaches_the_transaction(tmp_path):
    response, service, loop_thread = dispatch(tmp_path, "succeed")
    assert response.status == 200
    assert len(service.work_threads) == 1 and service.work_threads[0] != loop_thread
    assert service.jobs == [(loop_thread, "prepared for things")]


def test_without_work_the_write_runs_at_once(tmp_path):
    response, service, loop_thread = dispatch(tmp_path, "none")
    assert response.status == 200
    assert service.work_threads == []
    assert service.jobs == [(loop_thread, None)]


def test_failed_work_is_the_answer_and_no_transaction_runs(tmp_path):
    response, service, _ = dispatch(tmp_path, "fail")
    assert response.status == 400
    assert orjson.loads(response.body)["message"] == "the work failed"
    assert service.jobs == []


def test_a_refusal_while_preparing_is_the_answer(tmp_path):
    response, service, _ = dispatch(tmp_path, "refuse")
    assert response.status == 400
    assert orjson.loads(response.body)["message"] == "refused before any work"
    assert service.work_threads == [] and service.jobs == []
