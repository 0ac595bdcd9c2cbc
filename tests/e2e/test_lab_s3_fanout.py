"""`tidal lab s3-fanout` end to end at a small size, through the real command."""

import subprocess
import sys


def test_s3_fanout_processes_every_object():
    out = subprocess.run(
        [sys.executable, "-m", "tidal", "lab", "s3-fanout", "--objects", "300", "--threads", "4", "--timeout", "120"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "300 of 300" in text
    assert "1 → 300" in text
    lines = [line for line in text.splitlines() if "keys never processed" in line]
    assert lines and lines[0].split("│")[2].strip().startswith("0"), text
