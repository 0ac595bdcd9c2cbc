"""The experiments' uploader and how a run decides it is stuck.

``KeyUploader`` puts ``files/1`` … ``files/N`` from T threads that draw the next number as they
go: nothing holds N keys or N futures (a million of them took the lab to 2 GB), and a stop is
honoured after each thread's current put, so the uploader never outlives the server it talks
to. Which keys went up is one bit each.

``SyncUploader`` uploads as the seed did, with ``aws s3 sync``.

``StallWatch`` ends a run that stopped moving: no upload and no delivery finished for its
timeout, however long the run as a whole takes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path


def aws_cli() -> str | None:
    """The AWS CLI beside this interpreter (tidal's own environment), else on PATH."""
    beside = Path(sys.executable).with_name("aws")
    return str(beside) if beside.exists() else shutil.which("aws")


def key_of(number: int) -> str:
    return f"files/{number}"


def number_of(key: str) -> int | None:
    """The number of a key this uploader makes; None for any other key."""
    if not key.startswith("files/"):
        return None
    digits = key[6:]
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None


class KeyBits:
    """A set of the numbers 1..N, one bit each."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._bits = bytearray(size // 8 + 1)

    def add(self, number: int) -> None:
        self._bits[number >> 3] |= 1 << (number & 7)

    @property
    def nbytes(self) -> int:
        return len(self._bits)

    def __contains__(self, number: int) -> bool:
        return 0 < number <= self.size and bool(self._bits[number >> 3] & (1 << (number & 7)))


class UploadFigures:
    """What an uploader tells while it runs: the keys up (one bit each), their count, failed
    puts, and when it started and ended."""

    def __init__(self, objects: int) -> None:
        self.objects = objects
        self.uploaded = KeyBits(objects)
        self.count = 0
        self.errors = 0
        self.first_error: object = None
        self.started_at = 0.0
        self.finished_at: float | None = None

    @property
    def done(self) -> bool:
        """It has ended (every key tried, or stopped)."""
        return self.finished_at is not None


class KeyUploader(UploadFigures):
    """Puts N empty objects from ``threads`` threads; ``put(key)`` does one."""

    def __init__(self, put: Callable[[str], None], objects: int, threads: int) -> None:
        super().__init__(objects)
        self._put = put
        self._next = 1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._work, name=f"uploader-{i}", daemon=True)
                         for i in range(threads)]
        self._running = 0

    def start(self) -> None:
        self.started_at = time.time()
        self._running = len(self._threads)
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Draw no more keys and wait for the puts in flight."""
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _draw(self) -> int | None:
        with self._lock:
            if self._stop.is_set() or self._next > self.objects:
                return None
            number = self._next
            self._next += 1
            return number

    def _work(self) -> None:
        try:
            while (number := self._draw()) is not None:
                try:
                    self._put(key_of(number))
                except Exception as exc:  # noqa: BLE001 - counted and reported, not fatal to the run
                    with self._lock:
                        self.errors += 1
                        self.first_error = self.first_error or exc
                    continue
                with self._lock:
                    self.uploaded.add(number)
                    self.count += 1
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    self.finished_at = time.time()


class StallWatch:
    """Tells when the figures it is shown have not moved for ``timeout`` seconds."""

    def __init__(self, timeout: float, now: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self._now = now
        self._last: tuple = ()
        self._moved_at = now()

    def saw(self, *figures: int) -> None:
        if figures != self._last:
            self._last = figures
            self._moved_at = self._now()

    @property
    def stalled(self) -> bool:
        return self._now() - self._moved_at > self.timeout


class SyncUploader(UploadFigures):
    """The seed's own method: N empty files made in a directory (its ``seq 1 N | xargs touch``),
    then ``aws s3 sync <dir> s3://<bucket>/files/`` with the AWS CLI; the CLI's "upload:" lines
    say which keys went up. The same figures as :class:`KeyUploader`."""

    def __init__(self, aws: str, endpoint: str, bucket: str, objects: int, directory: Path) -> None:
        self._command = [aws, "--endpoint-url", endpoint, "s3", "sync", "--no-progress", str(directory),
                         f"s3://{bucket}/files/"]
        super().__init__(objects)
        self._prefix = f"s3://{bucket}/"
        self._directory = directory
        self._proc: subprocess.Popen | None = None
        self._reader = threading.Thread(target=self._read, name="aws-s3-sync", daemon=True)

    def start(self) -> None:
        for number in range(1, self.objects + 1):
            (self._directory / str(number)).touch()
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
               "AWS_DEFAULT_REGION": "us-east-1"}
        env.pop("AWS_PROFILE", None)
        self.started_at = time.time()
        self._proc = subprocess.Popen(self._command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      env=env, start_new_session=True)
        self._reader.start()

    def stop(self) -> None:
        """Stop the CLI if it still runs, and wait for it."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait()
        if self._reader.is_alive():
            self._reader.join()

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.startswith("upload:"):
                number = number_of(line.rsplit(self._prefix, 1)[-1].strip())
                if number is not None:
                    self.uploaded.add(number)
                    self.count += 1
            elif line.startswith("upload failed"):
                self.errors += 1
                self.first_error = self.first_error or line.strip()
        self._proc.wait()
        self.finished_at = time.time()
