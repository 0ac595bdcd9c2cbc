"""Fixtures for the Lambda service tests; helpers live in lambda_harness (imported by name)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from lambda_harness import BASE_ENV, LambdaHarness  # noqa: E402

from tidal.runtime.pool import WorkerPool  # noqa: E402


@pytest.fixture
def lam(tmp_path: Path):
    harness = LambdaHarness(tmp_path / "data")
    yield harness
    harness.close()


@pytest.fixture
def with_pool(tmp_path: Path) -> Callable[..., Any]:
    """Runs ``body(harness)`` on a fresh event loop with a real worker pool, closed after."""

    def run(body: Callable[[LambdaHarness], Awaitable[Any]], max_workers: int = 2) -> Any:
        async def main() -> Any:
            pool = WorkerPool(max_workers, BASE_ENV, tmp_path / "logs")
            harness = LambdaHarness(tmp_path / "pooled", pool)
            try:
                return await body(harness)
            finally:
                await pool.close()
                harness.close()

        return asyncio.run(main())

    return run
