"""Run a real tidal server process from tests and tools: start, wait until ready, kill, restart.

Used by tidal's own wire tests and by ``tidal lab``; users can use it the same way::

    with TidalProcess(tmp_path) as tidal:
        boto3.client("s3", endpoint_url=tidal.endpoint, ...)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class TidalProcess:
    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        log_path: Path | None = None,
        new_session: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self.extra_env = env or {}
        self.args = args or []
        self.log_path = log_path or self.data_dir.parent / f"tidal-{self.port}.log"
        # In a session of its own, the terminal's Ctrl-C does not reach the server.
        self.new_session = new_session
        self.proc: subprocess.Popen | None = None
        self.ready_seconds: float | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client_env(self) -> dict[str, str]:
        """What a boto3 user exports to reach this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self, service: str, **config: object):
        """A boto3 client for ``service`` on this server (no retries: tests see every error)."""
        import boto3
        from botocore.config import Config as BotoConfig

        return boto3.client(
            service, endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
            config=BotoConfig(retries={"max_attempts": 1}, **config),
        )

    def http(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One raw HTTP exchange, for requests an SDK would refuse to send: (status, headers
        with lower-case names, body)."""
        import http.client

        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def healthy(self) -> bool:
        """Whether the server answers its health check."""
        try:
            with urllib.request.urlopen(self.endpoint + "/_tidal/health", timeout=5) as resp:
                return resp.status == 200
        except OSError:
            return False

    def start(self, timeout: float = 30.0) -> TidalProcess:
        env = {**os.environ, **self.extra_env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tidal", "up", "--host", self.host, "--port", str(self.port),
             "--data-dir", str(self.data_dir), *self.args],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=self.new_session,
        )
        log.close()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tidal exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_tidal/health", timeout=1) as resp:
                    if resp.status == 200:
                        self.ready_seconds = time.perf_counter() - started
                        return self
            except OSError:
                time.sleep(0.02)
        self.kill()
        raise TimeoutError(f"tidal did not become ready in {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """``kill -9``: no chance to flush or clean up, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait for a clean exit."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None

    def __enter__(self) -> TidalProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
