import asyncio
import os

import pytest

from tidal.storage.blobs import BlobStore
from tidal.storage.database import Database
from tidal.storage.outbox import DONE, SCHEMA, Outbox


def test_blob_roundtrip_and_ranges(tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    blob_id = blobs.write(b"0123456789")
    assert blobs.read(blob_id) == b"0123456789"
    assert blobs.read(blob_id, 2, 4) == b"234"
    assert blobs.path(blob_id).parent.parent == tmp_path / "blobs"
    blobs.delete(blob_id)
    assert blob_id not in blobs.ids()


@pytest.mark.parametrize("bad", ["../../etc/passwd", "x" * 32, "ABCDEF" * 6])
def test_blob_ids_never_leave_the_store(tmp_path, bad):
    with pytest.raises(ValueError):
        BlobStore(tmp_path).path(bad)


def test_sweep_removes_only_old_unreferenced_blobs(tmp_path):
    store = BlobStore(tmp_path)
    kept, orphan, young = store.write(b"kept"), store.write(b"orphan"), store.write(b"young")
    for blob_id in (kept, orphan):
        os.utime(store.path(blob_id), (1_000_000, 1_000_000))
    asked = []

    def referenced():
        asked.append(True)
        return {kept}

    assert store.sweep(referenced, older_than=2_000_000) == 1
    assert store.ids() == {kept, young}  # the young one may await its commit: never swept
    assert asked == [True]
    assert store.sweep(lambda: pytest.fail("nothing old is left to check"), older_than=0) == 0


def test_outbox_emit_due_finish_and_listener(tmp_path):
    db = Database(tmp_path / "o.db", [SCHEMA])
    outbox = Outbox(db)
    woke = []
    outbox.on_new_events(lambda: woke.append(1))
    row_id = db.write_sync(lambda tx: outbox.emit(tx, "lambda.async", "fn", b"{}", 100.0))
    assert woke == [1]
    db.write_sync(lambda tx: tx.execute("SELECT 1"))
    assert woke == [1], "a commit without events must not wake the deliverer"
    rows = outbox.due("lambda.async", 100.0, 10)
    assert [r.id for r in rows] == [row_id] and rows[0].payload == b"{}"
    assert outbox.due("other", 100.0, 10) == []
    db.write_sync(lambda tx: Outbox.retry_at(tx, row_id, 160.0, 1, "boom"))
    assert outbox.due("lambda.async", 100.0, 10) == []
    assert outbox.next_due_at_after("lambda.async", 100.0) == 160.0
    db.write_sync(lambda tx: Outbox.finish(tx, row_id, DONE, 2, 161.0))
    summary = outbox.delivery_summary(0)
    assert (summary["done"], summary["pending"], summary["failed"]) == (1, 0, 0)
    assert summary["p50_ms"] == pytest.approx(61_000, rel=0.01)  # from a sketch, to 1%
    assert outbox.delivery_summary(101.0)["done"] == 0, "only events created since then"
    db.close()


def test_emit_in_a_failed_job_leaves_no_row(tmp_path):
    db = Database(tmp_path / "o.db", [SCHEMA])
    outbox = Outbox(db)

    def job(tx):
        outbox.emit(tx, "lambda.async", "fn", b"{}", 1.0)
        raise RuntimeError("the change failed")

    async def main():
        with pytest.raises(RuntimeError):
            await db.write(job)

    asyncio.run(main())
    assert outbox.delivery_summary(0) == {
        "done": 0, "pending": 0, "failed": 0, "expired": 0, "p50_ms": None, "p99_ms": None, "last_finished_at": None,
    }
    db.close()
