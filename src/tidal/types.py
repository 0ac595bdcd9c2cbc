"""The small contracts every layer shares: an HTTP request/response as the gateway sees it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class HttpRequest:
    """One parsed HTTP request. Header names are lower-case; repeated headers are joined by ','."""

    method: str
    path: str  # raw, still percent-encoded, without the query string
    query: str  # raw query string, without '?'
    headers: dict[str, str]
    body: bytes = b""
    client_ip: str = "127.0.0.1"


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
