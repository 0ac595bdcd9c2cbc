"""Which ``Host`` headers a loopback-only tidal answers: a defence against DNS rebinding.

A web page cannot reach 127.0.0.1 by its own origin, but it can make a name it controls
resolve to 127.0.0.1 and then talk to whatever listens there, with its own name in ``Host``.
So when tidal listens on loopback only, a request must name a loopback host: ``localhost``
and its subdomains (``bucket.localhost``), 127.0.0.0/8, ``[::1]``, the bucket-style hosts tidal
serves (``*.localhost.localstack.cloud``, ``*.amazonaws.com``: names no page's author can
point at 127.0.0.1) and the names the user allows (``--allow-host``; a leading dot allows a
domain's subdomains). A request without ``Host`` (HTTP/1.0) is answered: browsers always
send one. Listening beyond loopback is the user's choice to be reached by name, so no
check is made then.
"""

from __future__ import annotations

import ipaddress

from tidal.protocol.virtual_host import DEFAULT_BASE_DOMAINS

# Hosts seen are remembered, up to this many (they come from clients).
_REMEMBERED = 1024


def is_loopback(host: str) -> bool:
    """Whether a bind address or host name (without port or brackets) is loopback only."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port or IPv6 brackets, lower-case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        header = header.rsplit(":", 1)[0]
    return header.rstrip(".")


class HostGuard:
    """Tells whether a ``Host`` header may be answered."""

    def __init__(self, allowed: tuple[str, ...] = ()) -> None:
        self._exact = {name.lower().rstrip(".") for name in allowed if not name.startswith(".")}
        suffixes = [name.lower().rstrip(".") for name in allowed if name.startswith(".")]
        self._suffixes = tuple(suffixes) + tuple("." + base for base in DEFAULT_BASE_DOMAINS)
        self._verdicts: dict[str, bool] = {}

    def allows(self, header: str | None) -> bool:
        if not header:
            return True
        verdict = self._verdicts.get(header)
        if verdict is None:
            name = host_name(header)
            verdict = (
                is_loopback(name)
                or name in self._exact
                or name in DEFAULT_BASE_DOMAINS
                or name.endswith(self._suffixes)
            )
            if len(self._verdicts) < _REMEMBERED:
                self._verdicts[header] = verdict
        return verdict
