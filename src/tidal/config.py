"""tidal's settings: TIDAL_* environment variables, overridden by command-line flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: Path = Path(".tidal")
    region: str = "us-east-1"
    account_id: str = "000000000000"
    seed: int | None = None
    # Multiplies AWS's long waits (async retry delays of 1-2 minutes, event age): 1.0 is AWS.
    time_scale: float = 1.0
    # Upper bound on concurrently running function workers, all functions together.
    max_workers: int = 4

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Config:
        env = os.environ if env is None else env
        base = cls()
        values: dict[str, object] = {}
        if "TIDAL_HOST" in env:
            values["host"] = env["TIDAL_HOST"]
        if "TIDAL_PORT" in env:
            values["port"] = int(env["TIDAL_PORT"])
        if "TIDAL_DATA_DIR" in env:
            values["data_dir"] = Path(env["TIDAL_DATA_DIR"])
        if "TIDAL_REGION" in env:
            values["region"] = env["TIDAL_REGION"]
        if "TIDAL_ACCOUNT_ID" in env:
            values["account_id"] = env["TIDAL_ACCOUNT_ID"]
        if "TIDAL_SEED" in env:
            values["seed"] = int(env["TIDAL_SEED"])
        if "TIDAL_TIME_SCALE" in env:
            values["time_scale"] = float(env["TIDAL_TIME_SCALE"])
        if "TIDAL_MAX_WORKERS" in env:
            values["max_workers"] = int(env["TIDAL_MAX_WORKERS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])  # type: ignore[arg-type]
        return replace(base, **values)  # type: ignore[arg-type]

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"
