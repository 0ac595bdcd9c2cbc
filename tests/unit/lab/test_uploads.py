"""The experiments' uploader and stall watch, without a server."""

import threading
import time

import pytest

from tidal.lab.uploads import KeyBits, KeyUploader, StallWatch, key_of, number_of


def test_key_bits_hold_one_bit_per_number():
    bits = KeyBits(1_000_000)
    bits.add(1), bits.add(8), bits.add(1_000_000)
    assert 1 in bits and 8 in bits and 1_000_000 in bits
    assert 2 not in bits and 0 not in bits and 1_000_001 not in bits
    assert bits.nbytes == 125_001  # bounded: a bit per key


def test_keys_and_their_numbers():
    assert key_of(42) == "files/42" and number_of("files/42") == 42
    assert number_of("other/1") is None and number_of("files/x") is None and number_of("files/" + "9" * 30) is None


def test_the_uploader_puts_every_key_once_and_counts_failures():
    put_keys: list[str] = []
    lock = threading.Lock()

    def put(key: str) -> None:
        if key == "files/7":
            raise ConnectionError("refused")
        with lock:
            put_keys.append(key)

    uploader = KeyUploader(put, 100, threads=4)
    uploader.start()
    deadline = time.monotonic() + 30
    while not uploader.done and time.monotonic() < deadline:
        time.sleep(0.01)  # until every key is drawn and put
    assert uploader.done and uploader.count == 99 and uploader.errors == 1
    assert sorted(put_keys) == sorted(key_of(n) for n in range(1, 101) if n != 7)
    assert 7 not in uploader.uploaded and all(n in uploader.uploaded for n in range(1, 101) if n != 7)


def test_a_stopped_uploader_draws_no_more_keys_and_outlives_no_put():
    release = threading.Event()
    started = threading.Semaphore(0)
    in_flight = []

    def put(key: str) -> None:
        in_flight.append(key)
        started.release()
        release.wait(10)
        in_flight.remove(key)

    uploader = KeyUploader(put, 1_000_000, threads=3)
    uploader.start()
    for _ in range(3):
        assert started.acquire(timeout=10)
    stopper = threading.Thread(target=uploader.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    assert not stopper.is_alive() and uploader.done
    assert in_flight == []  # the puts in flight ended before stop() returned
    assert uploader.count < 1_000  # it stopped drawing: nowhere near a million


def test_the_stall_watch_follows_its_clock():
    now = [0.0]
    watch = StallWatch(10.0, now=lambda: now[0])
    watch.saw(0, 0)
    now[0] = 9.0
    watch.saw(5, 0)  # uploads moved
    now[0] = 18.0
    watch.saw(5, 0)
    assert not watch.stalled
    now[0] = 19.5
    assert watch.stalled
    watch.saw(5, 1)  # a delivery finished
    assert not watch.stalled


@pytest.mark.parametrize("threads", [1, 8])
def test_fewer_keys_than_threads(threads):
    uploader = KeyUploader(lambda key: None, 3, threads)
    uploader.start()
    uploader.stop()
    assert uploader.count == 3 and uploader.done
