"""The one clock: wall time for timestamps, and AWS's long waits scaled by ``time_scale``."""

from __future__ import annotations

import time


class Clock:
    def __init__(self, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale

    def now(self) -> float:
        """Epoch seconds (wall clock): event times, timestamps in responses."""
        return time.time()

    def scaled(self, aws_seconds: float) -> float:
        """How long tidal waits where AWS waits ``aws_seconds`` (retry delays, event age)."""
        return aws_seconds * self.time_scale
