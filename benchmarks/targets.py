"""The servers a benchmark runs against: tidal, and the peers ``make bench-peers`` installs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tidal.lab.process_memory import process_tree, rss_mb
from tidal.testing import TidalProcess, free_port


@dataclass
class Target:
    name: str
    endpoint: str
    pid: int
    stop: callable = field(repr=False)
    runs_lambda: bool = True


def _ticks(stat_path: str) -> int:
    """utime + stime, in clock ticks, from a /proc stat file."""
    with open(stat_path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@dataclass
class CpuSnapshot:
    """A process's CPU time so far: each live thread's, and the process's in all."""

    threads: dict[str, tuple[int, int]]  # tid → (ns from schedstat, ticks from stat)
    process_ticks: int


def cpu_snapshot(pid: int) -> CpuSnapshot:
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            threads[tid] = (ns, _ticks(f"/proc/{pid}/task/{tid}/stat"))
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile: its time is in the process's ticks
    return CpuSnapshot(threads, _ticks(f"/proc/{pid}/stat"))


def cpu_seconds_between(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """CPU time a process spent between two snapshots, all its threads, user and system.

    Threads alive at the end count exactly, from the scheduler's own accounting
    (/proc/<pid>/task/*/schedstat, in ns). Threads that ended in between (a server with a
    thread per connection, such as moto's, which closes each one) are only in the process's
    ticks (/proc/<pid>/stat, 10 ms each): what those grew by beyond the live threads' ticks.
    The process's ticks and each thread's are rounded apart, so that excess is up to about a
    tick per thread even when no thread ended; counted as such it added 25 µs of noise per
    op over 400 ops of a server without ended threads, so an excess within that rounding
    is not counted.
    """
    seconds = 0.0
    kept_ticks = 0
    for tid, (ns, ticks) in after.threads.items():
        ns_before, ticks_before = before.threads.get(tid, (0, 0))
        seconds += (ns - ns_before) / 1e9
        kept_ticks += ticks - ticks_before
    ended_ticks = after.process_ticks - before.process_ticks - kept_ticks
    if ended_ticks > len(after.threads) + 1:
        seconds += ended_ticks / os.sysconf("SC_CLK_TCK")
    return seconds


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (workers), in MB."""
    return sum(rss_mb(p) for p in process_tree(pid))


def start_tidal(tmp: Path, name: str = "tidal", args: list[str] | None = None) -> Target:
    server = TidalProcess(tmp / "tidal-data", log_path=tmp / "tidal.log", args=args).start()
    return Target(name, server.endpoint, server.proc.pid, server.stop)


def start_tidal_sigv4(tmp: Path) -> Target:
    """tidal verifying every request's signature (its clients sign with test/test, as boto3 does here)."""
    return start_tidal(tmp, "tidal sigv4", ["--auth", "sigv4"])


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(url)


def start_process(name: str, argv: list[str], env: dict[str, str], port: int, tmp: Path, lambda_ok: bool,
                  cwd: Path | None = None) -> Target:
    """Start a server process (its own session, so stop() reaches its children) and wait until it answers."""
    log = open(tmp / f"{name}.log", "wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env},
                            cwd=cwd or tmp, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    _wait_http(endpoint + "/", proc)

    def stop() -> None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    return Target(name, endpoint, proc.pid, stop, lambda_ok)


def start_moto(peers: Path, tmp: Path) -> Target:
    port = free_port()
    # moto's Lambda runs handlers in Docker, which this machine does not have.
    return start_process("moto", [str(peers / "bin" / "moto_server"), "-p", str(port)], {}, port, tmp, False)


def start_ministack(peers: Path, tmp: Path) -> Target:
    port = free_port()
    env = {"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1"}
    return start_process("ministack", [str(peers / "bin" / "ministack")], env, port, tmp, True)
