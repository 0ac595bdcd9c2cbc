"""`tidal up` as a user runs it: ready fast, health JSON, clean stop, state back after restart."""

import json
import subprocess
import sys
import time
import urllib.request

from tidal.testing import TidalProcess, free_port


def test_up_prints_endpoint_and_export_line_and_stops_on_sigint(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tidal", "up", "--port", str(port), "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        assert second.startswith(f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port} ")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_tidal/health") as resp:
            assert resp.status == 200
            health = json.loads(resp.read())
        assert health["status"] == "ok"
        proc.send_signal(2)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_port_zero_serves_on_a_free_port_and_says_which(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tidal", "up", "--port", "0", "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        first = proc.stdout.readline()
        endpoint = first.split(" ready on ")[1].split()[0]
        assert not endpoint.endswith(":0"), first
        assert proc.stdout.readline().startswith(f"export AWS_ENDPOINT_URL={endpoint} ")
        with urllib.request.urlopen(f"{endpoint}/_tidal/health") as resp:
            assert json.loads(resp.read())["status"] == "ok"
        proc.send_signal(2)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_ready_quickly_and_restart_keeps_state(tmp_path):
    server = TidalProcess(tmp_path / "data").start()
    try:
        # Readiness is measured to the first answered health check, process start included.
        assert server.ready_seconds is not None
        s3 = server.client("s3")
        s3.create_bucket(Bucket="keep-me")
        s3.put_object(Bucket="keep-me", Key="a/b.txt", Body=b"hello")
        ddb = server.client("dynamodb")
        ddb.create_table(TableName="tbl1", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        ddb.put_item(TableName="tbl1", Item={"k": {"S": "x"}, "n": {"N": "1.50"}})
        assert server.stop() == 0
        server.start()
        s3 = server.client("s3")
        assert s3.get_object(Bucket="keep-me", Key="a/b.txt")["Body"].read() == b"hello"
        item = server.client("dynamodb").get_item(TableName="tbl1", Key={"k": {"S": "x"}})["Item"]
        assert item == {"k": {"S": "x"}, "n": {"N": "1.5"}}
    finally:
        server.stop()


def test_malformed_http_does_not_take_the_server_down(tmp_path):
    import socket

    with TidalProcess(tmp_path / "data") as server:
        for junk in (b"\x00\xff\x10garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"PUT /b/k HTTP/1.1\r\nContent-Length: x\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(junk)
                sock.settimeout(2)
                try:
                    sock.recv(4096)
                except OSError:
                    pass
        time.sleep(0.1)
        with urllib.request.urlopen(server.endpoint + "/_tidal/health") as resp:
            assert resp.status == 200


def test_port_in_use_is_a_clear_message_not_a_traceback(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "tidal", "up", "--port", str(port), "--data-dir", str(tmp_path / "d")],
            capture_output=True, text=True, timeout=30,
        )
    assert out.returncode == 1
    assert f"tidal: cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_second_tidal_on_the_same_data_dir_is_refused_at_once(tmp_path):
    with TidalProcess(tmp_path / "data") as first:
        first.client("s3").create_bucket(Bucket="still-mine")
        # Refused, not left waiting out SQLite's 30 s busy timeout (which would expire this).
        out = subprocess.run(
            [sys.executable, "-m", "tidal", "up", "--port", str(free_port()), "--data-dir", str(tmp_path / "data")],
            capture_output=True, text=True, timeout=25,
        )
        assert out.returncode == 1
        assert "is in use by another tidal" in out.stderr
        assert "Traceback" not in out.stderr
        # the first one is unharmed
        names = [b["Name"] for b in first.client("s3").list_buckets()["Buckets"]]
        assert names == ["still-mine"]
