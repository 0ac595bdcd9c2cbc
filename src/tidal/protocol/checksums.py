"""The checksum algorithms S3 and its clients use: CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5.

CRC32 comes from zlib, CRC32C and CRC64NVME from awscrt (AWS's own C runtime, what
botocore[crt] uses), SHA1, SHA256 and MD5 from hashlib. All are C, and release the GIL on
large inputs: a pure-Python CRC32C, tried first, managed ~10 MB/s, so a 100 MB upload that
asked for it held the event loop for ten seconds.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable

# awscrt is imported on first use: loading its extension takes ~30 ms, a tenth of start-up,
# for algorithms most clients never ask for.


def crc32c(data: bytes) -> int:
    from awscrt.checksums import crc32c as crt_crc32c

    return crt_crc32c(data)


def crc64nvme(data: bytes) -> int:
    from awscrt.checksums import crc64nvme as crt_crc64nvme

    return crt_crc64nvme(data)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


_DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "crc32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
    "crc32c": lambda data: crc32c(data).to_bytes(4, "big"),
    "crc64nvme": lambda data: crc64nvme(data).to_bytes(8, "big"),
    "sha1": lambda data: hashlib.sha1(data).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest(),
    "md5": lambda data: hashlib.md5(data).digest(),
}

# The flexible-checksum algorithms S3 accepts, as they appear in `x-amz-checksum-<name>`.
CHECKSUM_ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")

# How S3 names each algorithm in its messages and in the `ChecksumAlgorithm` member.
ALGORITHM_DISPLAY_NAMES = {
    "crc32": "CRC32",
    "crc32c": "CRC32C",
    "crc64nvme": "CRC64NVME",
    "sha1": "SHA1",
    "sha256": "SHA256",
}

# Raw digest sizes, to tell a malformed header value from a wrong one.
DIGEST_SIZES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32, "md5": 16}


def digest(algorithm: str, data: bytes) -> bytes:
    """Raw digest of ``data``; ``algorithm`` is lower-case (``crc32``, ``sha256``, ``md5`` ...)."""
    return _DIGESTS[algorithm](data)


def b64_checksum(algorithm: str, data: bytes) -> str:
    """The base64 form S3 puts in ``x-amz-checksum-*`` headers and ``Checksum*`` members."""
    return _b64(_DIGESTS[algorithm](data))
