"""Resident memory of the processes an experiment involves: the lab itself, the server, and
the server's descendants (its function workers), read from /proc (Linux; elsewhere nothing
is reported)."""

from __future__ import annotations

import os
import threading

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return [pid]
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (0 if it is gone or /proc is not there)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


class PeakMemory:
    """Samples every ``interval`` seconds, on its own thread, the peak resident memory (MB) of
    this process ("lab"), of its other children together (an uploading AWS CLI, reported as
    ``children_label`` when given, else counted with the lab), of ``server_pid`` ("server")
    and of the server's descendants together ("workers")."""

    def __init__(self, server_pid: int | None, interval: float = 1.0, children_label: str | None = None) -> None:
        self._server_pid = server_pid
        self._interval = interval
        self._children_label = children_label
        self.peaks: dict[str, float] = {"lab": 0.0}
        if children_label is not None:
            self.peaks[children_label] = 0.0
        if server_pid is not None:
            self.peaks.update(server=0.0, workers=0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def sample(self) -> None:
        peaks = self.peaks
        server = process_tree(self._server_pid) if self._server_pid is not None else []
        children = [pid for pid in process_tree(os.getpid())[1:] if pid not in server]
        own, children_mb = rss_mb(os.getpid()), sum(rss_mb(pid) for pid in children)
        if self._children_label is None:
            own, children_mb = own + children_mb, 0.0
        else:
            peaks[self._children_label] = max(peaks[self._children_label], children_mb)
        peaks["lab"] = max(peaks["lab"], own)
        if self._server_pid is not None:
            peaks["server"] = max(peaks["server"], rss_mb(self._server_pid))
            peaks["workers"] = max(peaks["workers"], sum(rss_mb(pid) for pid in server[1:]))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._interval)
