"""The checksum S3 stores with an object, and where it shows again.

AWS behaviour chosen (S3's "default data integrity protections", December 2024):

- A PutObject's flexible checksum (``x-amz-checksum-<algorithm>``, as a header or an
  aws-chunked trailer; the protocol layer has verified it against the body) is stored with
  the object. A PutObject that sends none gets S3's default, CRC64NVME, computed here. Either
  way the response carries it, with ``x-amz-checksum-type: FULL_OBJECT``.
- GetObject and HeadObject return it only when asked (``x-amz-checksum-mode: ENABLED``,
  which boto3 sends on every GetObject) and only for all the bytes (a range of all of them
  too): a partial range gets none, since the stored value is not the checksum of those bytes
  and boto3 would fail a correct download. A part read by its number gets the part's own
  checksum when the object's is COMPOSITE (:mod:`.part_reads`).
- A multipart object's checksum is COMPOSITE (the algorithm's digest of the parts' raw
  digests, base64, then ``-<number of parts>``; boto3 does not validate these) or FULL_OBJECT
  (the CRC of the whole object, combined from the parts' CRCs and sizes).
"""

from __future__ import annotations

import base64
from typing import Any, NamedTuple

from tidal.checksums import CHECKSUM_ALGORITHMS, b64_checksum, b64_crc, combine_crc

FULL_OBJECT = "FULL_OBJECT"
COMPOSITE = "COMPOSITE"
DEFAULT_ALGORITHM = "CRC64NVME"

# The algorithms whose ``Checksum<NAME>`` members the protocol layer verifies, as S3 names them.
ALGORITHMS = tuple(name.upper() for name in CHECKSUM_ALGORITHMS)
# The ones whose full-object value can be combined from the parts' values; the others
# (SHA*, MD5, XXHASH*) make COMPOSITE multipart checksums only.
CRC_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME")
_MEMBERS = tuple((algorithm, f"Checksum{algorithm}") for algorithm in ALGORITHMS)
_MEMBER_SET = frozenset(member for _, member in _MEMBERS)


class ObjectChecksum(NamedTuple):  # a tuple, not a dataclass: made on every PutObject
    algorithm: str  # as S3 names it: "CRC32", "SHA256", ...
    value: str  # base64; a composite one ends in "-<number of parts>"
    type: str = FULL_OBJECT

    def members(self) -> dict[str, str]:
        """The response members that carry it (PutObject, GetObject, HeadObject, ...)."""
        return {f"Checksum{self.algorithm}": self.value, "ChecksumType": self.type}

    def stored(self) -> str:
        """Its form in an object's attributes JSON: "CRC32 <value>", "SHA256 <value>-3 COMPOSITE".

        Short, as it is in every object row, and a row's bytes cost WAL writes (strace, 1,000
        boto3 PutObjects: 3.35 pwrites each without attributes, 3.55 with 20 bytes of them,
        3.8 with this one)."""
        return f"{self.algorithm} {self.value}" if self.type == FULL_OBJECT else f"{self.algorithm} {self.value} {self.type}"

    @classmethod
    def from_stored(cls, stored: Any) -> ObjectChecksum | None:
        if not stored:
            return None
        return cls(*stored.split(" "))


def sent_checksum(params: dict) -> tuple[str, str] | None:
    """(algorithm, base64 value) of the flexible checksum a request carried, if any."""
    if _MEMBER_SET.isdisjoint(params):
        return None
    for algorithm, member in _MEMBERS:
        value = params.get(member)
        if value:
            return algorithm, value
    return None


def body_checksum(params: dict, body: bytes) -> ObjectChecksum:
    """What a single-request upload is stored with: the client's checksum, else CRC64NVME."""
    sent = sent_checksum(params)
    if sent is not None:
        return ObjectChecksum(*sent)
    return ObjectChecksum(DEFAULT_ALGORITHM, b64_checksum(DEFAULT_ALGORITHM.lower(), body))


def composite_checksum(algorithm: str, part_values: list[str]) -> ObjectChecksum:
    """A COMPOSITE multipart checksum from the parts' base64 values, in part order."""
    raw = b"".join(base64.b64decode(value) for value in part_values)
    return ObjectChecksum(algorithm, f"{b64_checksum(algorithm.lower(), raw)}-{len(part_values)}", COMPOSITE)


def full_object_checksum(algorithm: str, parts: list[tuple[str, int]]) -> ObjectChecksum:
    """A FULL_OBJECT multipart checksum from the parts' (base64 CRC, size), in part order."""
    name = algorithm.lower()
    crcs = [(int.from_bytes(base64.b64decode(value), "big"), size) for value, size in parts]
    whole = crcs[0][0]
    for part_crc, size in crcs[1:]:
        whole = combine_crc(name, whole, part_crc, size)
    return ObjectChecksum(algorithm, b64_crc(name, whole))
