import asyncio
import threading

import pytest

from tidal.storage.database import Database

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER);"


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "t.db", [SCHEMA])
    yield database
    database.close()


def test_write_sync_commits_and_reader_sees_it(db):
    db.write_sync(lambda tx: tx.execute("INSERT INTO t VALUES ('a', 1)"))
    assert db.reader().execute("SELECT v FROM t WHERE k='a'").fetchone() == (1,)


def test_failing_job_rolls_back_only_itself_in_a_group(db):
    async def main():
        def bad(tx):
            tx.execute("INSERT INTO t VALUES ('bad', 1)")
            raise ValueError("nope")

        futures = [db.write(lambda tx, i=i: (tx.execute("INSERT INTO t VALUES (?, ?)", (f"k{i}", i)), tx.conn.changes())[1])
                   for i in range(50)]
        futures.insert(25, db.write(bad))
        return await asyncio.gather(*futures, return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[25], ValueError)
    assert [r for i, r in enumerate(results) if i != 25] == [1] * 50
    keys = {k for (k,) in db.reader().execute("SELECT k FROM t")}
    assert "bad" not in keys and len(keys) == 50


def test_after_commit_runs_only_for_successful_jobs(db):
    seen = []

    def ok(tx):
        tx.execute("INSERT INTO t VALUES ('x', 1)")
        tx.after_commit(lambda: seen.append("ok"))

    def bad(tx):
        tx.after_commit(lambda: seen.append("bad"))
        raise RuntimeError

    db.write_sync(ok)
    with pytest.raises(RuntimeError):
        db.write_sync(bad)
    assert seen == ["ok"]


def test_result_only_after_commit_is_visible_to_another_connection(db, tmp_path):
    # The outcome is delivered after COMMIT: a fresh connection must already see the row.
    def job(tx):
        tx.execute("INSERT INTO t VALUES ('c', 3)")
        return "done"

    assert db.write_sync(job) == "done"
    seen = []
    reading = threading.Thread(
        target=lambda: seen.append(db.reader().execute("SELECT v FROM t WHERE k='c'").fetchone())
    )
    reading.start()
    reading.join()
    assert seen == [(3,)]  # a thread's own read connection, opened now


def test_concurrent_threads_read_modify_write_is_atomic(db):
    db.write_sync(lambda tx: tx.execute("INSERT INTO t VALUES ('n', 0)"))

    def increment(tx):
        (v,) = tx.execute("SELECT v FROM t WHERE k='n'").fetchone()
        tx.execute("UPDATE t SET v=? WHERE k='n'", (v + 1,))

    threads = [threading.Thread(target=lambda: [db.write_sync(increment) for _ in range(100)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.reader().execute("SELECT v FROM t WHERE k='n'").fetchone() == (400,)


def test_reopen_keeps_committed_data(tmp_path):
    db = Database(tmp_path / "r.db", [SCHEMA])
    db.write_sync(lambda tx: tx.execute("INSERT INTO t VALUES ('keep', 7)"))
    db.close()
    again = Database(tmp_path / "r.db", [SCHEMA])
    assert again.reader().execute("SELECT v FROM t").fetchall() == [(7,)]
    again.close()


def test_wal_stays_bounded_under_a_steady_stream_of_writes(tmp_path):
    # Checkpoint starvation: without the writer finishing checkpoints between commits, the
    # WAL of a server that never pauses grows by every page ever written.
    db = Database(tmp_path / "w.db", [SCHEMA])

    async def main():
        for i in range(6000):
            await db.write(lambda tx, i=i: tx.execute("INSERT OR REPLACE INTO t VALUES (?, ?)", (str(i), i)))

    asyncio.run(main())
    wal = (tmp_path / "w.db-wal").stat().st_size
    db.close()
    # 6,000 commits write ~12,000 WAL frames (~50 MB); bounded means a few MB at most.
    assert wal < 8 * 1024 * 1024, wal


def test_a_checkpoint_a_reader_held_back_is_finished_at_the_next_commit(tmp_path):
    # The writer finishes a checkpoint every 500 commits. When it cannot (a reader's
    # snapshot still needs the old frames, or the checkpointer is mid-copy), it must try
    # again after the next commit rather than 500 later, or the WAL grows by intervals.
    db = Database(tmp_path / "h.db", [SCHEMA])

    reader = db.reader()

    async def writes(n):
        for i in range(n):
            await db.write(lambda tx, i=i: tx.execute("INSERT OR REPLACE INTO t VALUES (?, ?)", (str(i), i)))

    async def main():
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchall()  # a snapshot from before any write
        await writes(600)
        reader.execute("COMMIT")
        await writes(20)

    asyncio.run(main())
    # A PASSIVE checkpoint reports how many frames the WAL holds now.
    frames_in_wal = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    db.close()
    # Restarted after the reader let go: only the last ~20 commits' frames, not ~620 commits'.
    assert frames_in_wal < 200, frames_in_wal


def test_write_sync_from_another_thread_goes_through_the_running_loop(db):
    async def main():
        loop_thread = threading.get_ident()
        seen = []

        def job(tx):
            seen.append(threading.get_ident())
            tx.execute("INSERT INTO t VALUES ('from-thread', 1)")

        await db.write(lambda tx: None)  # the loop that writes first becomes the writer
        await asyncio.get_running_loop().run_in_executor(None, db.write_sync, job)
        return loop_thread, seen

    loop_thread, seen = asyncio.run(main())
    assert seen == [loop_thread], "the loop's thread is the one writer"
    assert db.reader().execute("SELECT v FROM t WHERE k='from-thread'").fetchone() == (1,)


def test_close_commits_what_is_queued_and_refuses_later_writes(tmp_path):
    from tidal.storage.database import ClosedError

    db = Database(tmp_path / "c.db", [SCHEMA])

    async def main():
        queued = db.write(lambda tx: tx.execute("INSERT INTO t VALUES ('queued', 1)"))
        db.close()  # before the loop ever ran the flush
        await queued
        with pytest.raises(ClosedError):
            await db.write(lambda tx: tx.execute("INSERT INTO t VALUES ('late', 2)"))

    asyncio.run(main())
    again = Database(tmp_path / "c.db", [SCHEMA])
    assert again.reader().execute("SELECT k FROM t").fetchall() == [("queued",)]
    again.close()
