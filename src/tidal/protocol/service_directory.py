"""Every service botocore knows, by the names its requests carry: target prefix, signing name.

A request to a service tidal does not serve must still be answered in that service's wire
protocol, so that the caller's SDK parses the error. Knowing a service by its ``X-Amz-Target``
prefix or its SigV4 signing name takes every model's metadata; loading all ~450 models
whole takes ~4 s, but a model's metadata is the first thing in its file, so reading the
head of each file takes ~0.1 s (measured with botocore 1.44).
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from functools import cache

from botocore.exceptions import DataNotFoundError

from tidal.protocol.models import loader

# A model's metadata ends within its first few hundred bytes; this leaves ample room.
_HEAD_BYTES = 8192


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """What routing and error rendering need to know of a service."""

    name: str  # botocore's name: "sqs", "dynamodbstreams", "logs"
    protocol: str  # "json", "rest-json", "rest-xml", "query", "smithy-rpc-v2-cbor", "ec2"
    signing_name: str
    target_prefix: str | None = None
    json_version: str = "1.0"
    # A json service that keeps its query protocol's error codes (SQS, CloudWatch).
    query_compatible: bool = False

    @classmethod
    def from_metadata(cls, name: str, metadata: dict) -> ServiceInfo:
        return cls(
            name=name,
            protocol=metadata.get("protocol", ""),
            signing_name=metadata.get("signingName") or metadata.get("endpointPrefix") or name,
            target_prefix=metadata.get("targetPrefix"),
            json_version=metadata.get("jsonVersion", "1.0"),
            query_compatible="awsQueryCompatible" in metadata,
        )


class ServiceDirectory:
    """Services by target prefix and by signing name, read once from botocore's data."""

    def __init__(self, services: list[ServiceInfo]) -> None:
        self._by_prefix: dict[str, ServiceInfo] = {}
        self._by_signing_name: dict[str, ServiceInfo] = {}
        for info in services:
            if info.target_prefix:
                self._by_prefix.setdefault(info.target_prefix, info)
            # Several services may share a signing name (dynamodb and dynamodbstreams, s3 and
            # s3control): the one named like it is what a request signed so is for, unless its
            # target prefix says otherwise.
            known = self._by_signing_name.get(info.signing_name)
            if known is None or info.name == info.signing_name:
                self._by_signing_name[info.signing_name] = info

    def by_target_prefix(self, prefix: str) -> ServiceInfo | None:
        return self._by_prefix.get(prefix)

    def by_signing_name(self, signing_name: str) -> ServiceInfo | None:
        return self._by_signing_name.get(signing_name)


@cache
def service_directory() -> ServiceDirectory:
    """The directory of every service in the installed botocore (built on first use)."""
    names = loader().list_available_services("service-2")
    return ServiceDirectory([info for info in map(service_info, names) if info is not None])


@cache
def service_info(name: str) -> ServiceInfo | None:
    """The ServiceInfo of botocore's service ``name``; None if botocore has no such service."""
    metadata = _metadata(name)
    return None if metadata is None else ServiceInfo.from_metadata(name, metadata)


def _metadata(name: str) -> dict | None:
    data = loader()
    try:
        version = data.determine_latest_version(name, "service-2")
    except DataNotFoundError:
        return None
    for base in data.search_paths:
        stem = os.path.join(base, name, version, "service-2.json")
        for path, compressed in ((stem + ".gz", True), (stem, False)):
            if os.path.exists(path):
                return _read_metadata(path, compressed)
    return None


def _read_metadata(path: str, compressed: bool) -> dict | None:
    with open(path, "rb") as f:
        head = f.read(_HEAD_BYTES)
    try:
        text = (zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head) if compressed else head).decode(
            "utf-8", "replace"
        )
        start = text.index("{", text.index('"metadata"'))
        metadata, _ = json.JSONDecoder().raw_decode(text, start)
    except (ValueError, zlib.error):
        return None
    return metadata if isinstance(metadata, dict) else None
