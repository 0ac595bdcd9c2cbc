"""`tidal lab s3-fanout` end to end at a small size, through the real command."""

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from tidal.testing import TidalProcess


def never_processed(text: str) -> str:
    lines = [line for line in text.splitlines() if "uploaded, never processed" in line]
    assert lines, text
    return lines[0].split("│")[2].strip()


def test_s3_fanout_processes_every_object():
    out = subprocess.run(
        [sys.executable, "-m", "tidal", "lab", "s3-fanout", "--objects", "300", "--threads", "4"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "300 of 300" in text
    assert "1 → 300" in text
    assert never_processed(text).startswith("0")


def test_ctrl_c_stops_the_upload_and_prints_a_partial_report():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tidal", "lab", "s3-fanout", "--objects", "1000000", "--threads", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "200"},
    )
    seen = ""
    while "uploading 1,000,000 objects" not in seen:  # the upload has begun
        line = proc.stdout.readline()
        assert line, seen
        seen += line
    proc.send_signal(signal.SIGINT)  # as the terminal's Ctrl-C reaches the lab
    rest, _ = proc.communicate(timeout=120)
    text = seen + rest
    assert proc.returncode == 130, text
    assert "interrupted (Ctrl-C): a partial report" in text
    assert "of 1,000,000" in text and "not uploaded" in text
    assert "Traceback" not in text


BLOCKER = "import time\n\ndef handler(event, context):\n    time.sleep(300)\n"


def test_a_run_that_stops_moving_ends_at_its_stall_timeout(tmp_path):
    # One worker slot, held by another function's long invocation: the lab's uploads finish and
    # its deliveries wait, so nothing moves.
    with TidalProcess(tmp_path / "data", env={"TIDAL_MAX_WORKERS": "1"}) as server:
        lam = server.client("lambda")
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("app.py", BLOCKER)
        lam.create_function(FunctionName="holds-the-slot", Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::000000000000:role/r", Timeout=600, Code={"ZipFile": archive.getvalue()})
        lam.invoke(FunctionName="holds-the-slot", InvocationType="Event", Payload=b"{}")
        while json.loads(server.http("GET", "/_tidal/status")[2])["delivery"]["in_flight"] < 1:
            time.sleep(0.05)  # until the slot is taken
        out = subprocess.run(
            [sys.executable, "-m", "tidal", "lab", "s3-fanout", "--objects", "20", "--threads", "2",
             "--endpoint", server.endpoint, "--stall-timeout", "1"],
            capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
        )
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "stopped: nothing uploaded or delivered for the stall timeout" in text
    assert "20 of 20" in text and never_processed(text).startswith("20")


def test_the_seeds_own_method_aws_s3_sync():
    out = subprocess.run(
        [sys.executable, "-m", "tidal", "lab", "s3-fanout", "--objects", "120", "--via", "sync"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"},
    )
    text = out.stdout + out.stderr
    if "needs the AWS CLI" in text:
        pytest.skip("the AWS CLI is not installed in this environment")
    assert out.returncode == 0, text
    assert "aws s3 sync of 120 empty files" in text
    assert "120 of 120" in text and "1 → 120" in text and never_processed(text).startswith("0")
