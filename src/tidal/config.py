"""tidal's settings: TIDAL_* environment variables, overridden by command-line flags."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

AUTH_MODES = ("none", "sigv4")


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


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
    # Seconds a request's head may take to arrive, and a connection may send nothing.
    header_timeout: float = 10.0
    idle_timeout: float = 30.0
    # Host names answered besides loopback ones when listening on loopback (".example.test"
    # allows its subdomains); a guard against DNS rebinding.
    allow_host: tuple[str, ...] = ()
    # "sigv4": every request's SigV4 signature is verified against ``credentials``; "none":
    # any credentials are taken, as a local endpoint usually wants.
    auth: str = "none"
    # "ACCESS_KEY_ID:SECRET" pairs; the first is what functions' handlers sign with.
    credentials: tuple[str, ...] = ("test:test",)

    def __post_init__(self) -> None:
        if self.auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)}, not {self.auth!r}")
        for pair in self.credentials:
            key, sep, secret = pair.partition(":")
            if not (key and sep and secret):
                raise ValueError(f"credentials are ACCESS_KEY_ID:SECRET, not {pair!r}")

    @property
    def credential_pairs(self) -> dict[str, str]:
        """Access key id -> secret access key."""
        return dict(pair.split(":", 1) for pair in self.credentials)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Config:
        """``TIDAL_<FIELD>`` variables, then ``overrides`` (flags; ``None`` means not given)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            text = env.get(f"TIDAL_{f.name.upper()}")
            if text is not None:
                values[f.name] = _PARSE.get(f.name, str)(text)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"


_PARSE: dict[str, Callable[[str], object]] = {
    "port": int, "data_dir": Path, "seed": int, "time_scale": float, "max_workers": int,
    "header_timeout": float, "idle_timeout": float,
    "allow_host": _names,
    "credentials": _names,
}
