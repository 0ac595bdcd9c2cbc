"""The checksum algorithms S3 and its clients use: CRC32, CRC32C, CRC64NVME, SHA1, SHA256, MD5.

CRC32 comes from zlib (C). CRC32C and CRC64NVME come from awscrt when it is installed (as it
is wherever botocore[crt] is); otherwise a table-driven pure-Python fallback computes them,
correct but slow (~10 MB/s), which matters only for clients that explicitly ask for those
algorithms.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable

try:  # pragma: no cover - depends on the environment
    from awscrt import checksums as _crt  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    _crt = None


def _reflected_table(poly: int, width: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc & ((1 << width) - 1))
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78, 32)
# CRC-64/NVME: reflected polynomial of 0xAD93D23594C93659.
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5, 64)


def _pure_crc32c(data: bytes, crc: int = 0) -> int:
    table = _CRC32C_TABLE
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _pure_crc64nvme(data: bytes, crc: int = 0) -> int:
    table = _CRC64NVME_TABLE
    crc ^= 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def crc32c(data: bytes) -> int:
    if _crt is not None:  # pragma: no cover - depends on the environment
        return _crt.crc32c(data)
    return _pure_crc32c(data)


def crc64nvme(data: bytes) -> int:
    if _crt is not None:  # pragma: no cover - depends on the environment
        return _crt.crc64nvme(data)
    return _pure_crc64nvme(data)


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
