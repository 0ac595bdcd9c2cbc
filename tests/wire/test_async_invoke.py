"""Lambda's asynchronous path over the wire: retries on function error, their delays, the
retry budget, and a burst that queues instead of starting a process per event.

The session server runs with TIDAL_TIME_SCALE=0.01, so AWS's ~60 s and ~120 s waits
before the 2nd and 3rd attempts are ~0.6 s and ~1.2 s here.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
import uuid
import zipfile

import pytest

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

HANDLER = '''
import json, os, pathlib, time

def flaky(event, context):
    # Fails until it has been called event["fail_times"] times, recording every attempt.
    log = pathlib.Path(event["log"])
    with log.open("a") as f:
        f.write(json.dumps({"t": time.time(), "request_id": context.aws_request_id}) + "\\n")
    attempts = len(log.read_text().splitlines())
    if attempts <= event["fail_times"]:
        raise RuntimeError(f"attempt {attempts} fails")
    return {"ok": attempts}

def slow(event, context):
    time.sleep(0.02)
    pathlib.Path(event["dir"], f"{event['n']}-{os.getpid()}").write_text("")
'''


def make_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


@pytest.fixture
def function(lambda_):
    name = f"async-{uuid.uuid4().hex[:10]}"
    lambda_.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.flaky",
                            Code={"ZipFile": make_zip()}, Timeout=10)
    yield name
    lambda_.delete_function(FunctionName=name)


def attempts_in(log, expected: int, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= expected:
            time.sleep(0.3)  # would a surplus attempt follow?
            return [json.loads(line) for line in log.read_text().splitlines()]
        time.sleep(0.05)
    raise AssertionError(f"only {len(lines)} of {expected} attempts arrived")


def test_function_error_is_retried_twice_with_aws_delays(lambda_, function, tmp_path):
    log = tmp_path / "attempts.jsonl"
    lambda_.invoke(FunctionName=function, InvocationType="Event",
                   Payload=json.dumps({"log": str(log), "fail_times": 2}).encode())
    attempts = attempts_in(log, 3)
    assert len(attempts) == 3
    # Each attempt is its own invocation with its own request id, as on AWS.
    assert len({a["request_id"] for a in attempts}) == 3
    first_gap = attempts[1]["t"] - attempts[0]["t"]
    second_gap = attempts[2]["t"] - attempts[1]["t"]
    assert first_gap >= 60 * 0.01 * 0.9 and second_gap >= 120 * 0.01 * 0.9


def test_retry_budget_is_honoured_then_the_event_is_dropped(lambda_, function, tmp_path, endpoint):
    lambda_.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=1)
    log = tmp_path / "attempts.jsonl"
    since = time.time()
    lambda_.invoke(FunctionName=function, InvocationType="Event",
                   Payload=json.dumps({"log": str(log), "fail_times": 99}).encode())
    assert len(attempts_in(log, 2)) == 2
    time.sleep(1.5)  # past where a third attempt would have come (~1.2 s)
    assert len(log.read_text().splitlines()) == 2
    # The drop is recorded once the second attempt's failure is committed: poll for it.
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(f"{endpoint}/_tidal/deliveries?since={since - 1}") as resp:
            summary = json.loads(resp.read())
        if summary["failed"] >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert summary["failed"] >= 1
    assert len(log.read_text().splitlines()) == 2  # dropped: no attempt after the budget either


def test_a_burst_queues_behind_the_bounded_pool(lambda_, function, tmp_path):
    lambda_.update_function_configuration(FunctionName=function, Handler="app.slow")
    for n in range(200):
        lambda_.invoke(FunctionName=function, InvocationType="Event",
                       Payload=json.dumps({"dir": str(tmp_path), "n": n}).encode())
    deadline = time.monotonic() + 60
    while len(list(tmp_path.iterdir())) < 200:
        assert time.monotonic() < deadline, f"{len(list(tmp_path.iterdir()))} of 200 delivered"
        time.sleep(0.1)
    names = [p.name for p in tmp_path.iterdir()]
    assert sorted(int(n.split("-")[0]) for n in names) == list(range(200))
    # The server's default bound is 4 workers: a burst never means a process per event.
    assert len({n.split("-")[1] for n in names}) <= 4
