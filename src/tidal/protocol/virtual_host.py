"""S3 virtual-hosted addressing: ``Host: bucket.localhost:4566`` -> path-style ``/bucket/key``.

boto3 addresses buckets by host name whenever the endpoint is a name rather than an IP
(``bucket.localhost:4566``, ``bucket.s3.localhost.localstack.cloud:4566``, and on AWS
``bucket.s3.us-east-1.amazonaws.com``). The S3 routes are path-style, so the gateway
rewrites such requests first.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from tidal.types import HttpRequest

# Domains under which a leading label is a bucket; the gateway may add its own host name.
DEFAULT_BASE_DOMAINS = ("localhost", "localhost.localstack.cloud", "amazonaws.com", "amazonaws.com.cn")

# "<bucket>.s3", "<bucket>.s3.us-east-1", "<bucket>.s3-us-west-2", "<bucket>.s3.dualstack..."
_S3_LABELS = re.compile(
    r"^(?:(?P<bucket>.+)\.)?s3(?:[.-](?:dualstack|accelerate|external-1|[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d))*$"
)


def _strip_port(host: str) -> str:
    if host.startswith("["):  # [::1]:4566
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@lru_cache(maxsize=4096)  # a server sees few distinct Host headers; this runs per S3 request
def virtual_host_bucket(host: str, base_domains: tuple[str, ...] = DEFAULT_BASE_DOMAINS) -> str | None:
    """The bucket a Host header addresses, or None for path-style hosts."""
    name = _strip_port(host.strip()).lower().rstrip(".")
    if not name:
        return None
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    for base in base_domains:
        if not name.endswith("." + base):
            continue
        prefix = name[: -len(base) - 1]
        found = _S3_LABELS.match(prefix)
        if found is not None:
            return found.group("bucket")  # None for "s3.localhost", the service itself
        return prefix
    return None


def rewrite_virtual_host(
    req: HttpRequest, base_domains: tuple[str, ...] = DEFAULT_BASE_DOMAINS
) -> HttpRequest:
    """The path-style equivalent of a virtual-hosted S3 request (the request itself if none)."""
    bucket = virtual_host_bucket(req.headers.get("host", ""), base_domains)
    if bucket is None:
        return req
    path = "/" + bucket if req.path in ("", "/") else "/" + bucket + req.path
    return HttpRequest(req.method, path, req.query, req.headers, req.body, req.client_ip)
