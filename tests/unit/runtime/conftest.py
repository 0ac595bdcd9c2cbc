"""Helpers for the runtime tests: handler files in tmp_path, and a pool run on a fresh loop."""

from __future__ import annotations

import asyncio
import hashlib
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tidal.runtime.pool import WorkerPool
from tidal.runtime.spec import FunctionSpec

BASE_ENV = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_SESSION_TOKEN": "test",
}


@pytest.fixture
def make_fn(tmp_path: Path) -> Callable[..., FunctionSpec]:
    """Writes ``source`` as app.py of a code directory and returns a spec for it."""

    def make(source: str, name: str = "fn", handler: str = "app.handler", **kw: Any) -> FunctionSpec:
        code_dir = tmp_path / "code" / name
        code_dir.mkdir(parents=True, exist_ok=True)
        source = textwrap.dedent(source)
        (code_dir / "app.py").write_text(source)
        return FunctionSpec(
            name=name,
            arn=f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
            code_dir=code_dir,
            code_sha256=hashlib.sha256(source.encode()).hexdigest(),
            handler=handler,
            **kw,
        )

    return make


@pytest.fixture
def run_pool(tmp_path: Path) -> Callable[..., Any]:
    """Runs ``body(pool)`` on a fresh event loop with a new pool, closing the pool after."""

    def run(body: Callable[[WorkerPool], Awaitable[Any]], max_workers: int = 2, **kw: Any) -> Any:
        async def main() -> Any:
            pool = WorkerPool(max_workers, BASE_ENV, tmp_path / "logs", **kw)
            try:
                return await body(pool)
            finally:
                await pool.close()

        return asyncio.run(main())

    return run
