"""The checksum algorithms S3 and its clients use: CRC32, CRC32C, CRC64NVME, SHA1, SHA256,
SHA512, MD5 and XXHASH64, XXHASH3, XXHASH128.

All are C and fast on large bodies: CRC32 from zlib; the SHAs and MD5 from hashlib;
CRC32C and CRC64NVME from anycrc (~10 GB/s here); the xxHashes from xxhash, whose digests are
the big-endian bytes awscrt (which botocore computes them with) gives, as checked against it. A pure-Python CRC32C and CRC64NVME, tried
first, managed ~10 MB/s: a 100 MB upload that asked for one (the AWS CLI v2 can) held the
event loop for ten seconds. Not awscrt, which botocore[crt] uses: botocore imports it
wherever it is installed, so every process would load it (~30 ms) and the functions' boto3
would gain CRT-only features, such as CRC32C, that Lambda's own runtime lacks.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable
from typing import Any

# anycrc's models, made on first use: importing anycrc takes ~14 ms of start-up, for
# algorithms most clients never ask for.
_crc_models: dict[str, Any] = {}


def _crc_model(name: str) -> Any:
    model = _crc_models.get(name)
    if model is None:
        import anycrc

        model = _crc_models[name] = anycrc.Model(name)
    return model


# anycrc's names of the CRCs whose values combine (a multipart object's full-object CRC).
_CRC_MODELS = {"crc32": "CRC32", "crc32c": "CRC32-ISCSI", "crc64nvme": "CRC64-NVME"}


def crc(algorithm: str, data: bytes, previous: int | None = None) -> int:
    """The CRC of ``data``, carrying on from ``previous`` (the CRC of what came before it)."""
    return _crc_model(_CRC_MODELS[algorithm]).calc(data, previous)


def b64_crc(algorithm: str, value: int) -> str:
    """A CRC value in the base64 form of ``x-amz-checksum-*`` (big-endian, the digest's size)."""
    return _b64(value.to_bytes(DIGEST_SIZES[algorithm], "big"))


def combine_crc(algorithm: str, crc_a: int, crc_b: int, length_b: int) -> int:
    """The CRC of ``a + b`` from the CRCs of ``a`` and ``b`` and the length of ``b``."""
    return _crc_model(_CRC_MODELS[algorithm]).combine(crc_a, crc_b, length_b)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _xxhash(name: str) -> Callable[[bytes], bytes]:
    def compute(data: bytes) -> bytes:
        import xxhash  # on first use, as anycrc: few clients ask for these

        return getattr(xxhash, name)(data).digest()

    return compute


def _crc_digest(algorithm: str) -> Callable[[bytes], bytes]:
    return lambda data: crc(algorithm, data).to_bytes(DIGEST_SIZES[algorithm], "big")


_DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "crc32": lambda data: zlib.crc32(data).to_bytes(4, "big"),  # zlib's: no anycrc import for the common one
    "crc32c": _crc_digest("crc32c"),
    "crc64nvme": _crc_digest("crc64nvme"),
    "sha1": lambda data: hashlib.sha1(data).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest(),
    "sha512": lambda data: hashlib.sha512(data).digest(),
    "md5": lambda data: hashlib.md5(data).digest(),
    "xxhash64": _xxhash("xxh64"),
    "xxhash3": _xxhash("xxh3_64"),
    "xxhash128": _xxhash("xxh3_128"),
}

# The flexible-checksum algorithms S3 accepts (botocore 1.44's ChecksumAlgorithm), as they
# appear in `x-amz-checksum-<name>`.
CHECKSUM_ALGORITHMS = (
    "crc32", "crc32c", "crc64nvme", "sha1", "sha256", "sha512", "md5", "xxhash64", "xxhash3", "xxhash128",
)

# Raw digest sizes, to tell a malformed header value from a wrong one.
DIGEST_SIZES = {
    "crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32, "sha512": 64, "md5": 16,
    "xxhash64": 8, "xxhash3": 8, "xxhash128": 16,
}


def digest(algorithm: str, data: bytes) -> bytes:
    """Raw digest of ``data``; ``algorithm`` is lower-case (``crc32``, ``sha256``, ``md5`` ...)."""
    return _DIGESTS[algorithm](data)


def b64_checksum(algorithm: str, data: bytes) -> str:
    """The base64 form S3 puts in ``x-amz-checksum-*`` headers and ``Checksum*`` members."""
    return _b64(_DIGESTS[algorithm](data))
