import os
import subprocess
import sys
import time

import pytest

from tidal.lab.process_memory import PeakMemory, rss_mb

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

_HOLD_60_MB = "import sys, time; b = bytearray(60_000_000); b[::4096] = b'x' * len(b[::4096]); print(1, flush=True); time.sleep(30)"


def _child_holding_memory() -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", _HOLD_60_MB], stdout=subprocess.PIPE)
    assert child.stdout.readline() == b"1\n"  # its memory is touched
    return child


def test_a_labelled_child_is_reported_apart_from_the_lab():
    child = _child_holding_memory()
    try:
        with PeakMemory(None, interval=0.05, children_label="aws s3 sync") as memory:
            time.sleep(0.2)
    finally:
        child.kill()
        child.wait()
    assert memory.peaks["aws s3 sync"] >= 60
    assert memory.peaks["lab"] < rss_mb(os.getpid()) + 30  # this process alone, not the child's 60 MB too


def test_without_a_label_children_count_with_the_lab():
    child = _child_holding_memory()
    try:
        with PeakMemory(None, interval=0.05) as memory:
            time.sleep(0.2)
        with PeakMemory(None, interval=0.05, children_label="cli") as apart:
            time.sleep(0.2)
    finally:
        child.kill()
        child.wait()
    assert set(memory.peaks) == {"lab"}
    assert memory.peaks["lab"] >= apart.peaks["lab"] + 55
