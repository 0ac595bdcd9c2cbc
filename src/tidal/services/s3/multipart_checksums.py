"""The checksum rules of a multipart upload, from CreateMultipartUpload to the completed object.

AWS behaviour, as recorded against S3 by the s3api tests of OpenStack Swift, versitygw's
integration tests and LocalStack (messages are theirs):

- CreateMultipartUpload names an algorithm and a type: CRC64NVME is FULL_OBJECT only;
  CRC32 and CRC32C are COMPOSITE (the default) or FULL_OBJECT; SHA1 and SHA256 COMPOSITE only.
  The hashes S3 added in 2025 (SHA512, MD5, XXHASH64/3/128) are COMPOSITE only too: our
  choice, as no record of AWS was found and only CRCs can be combined into a FULL_OBJECT value.
- Each UploadPart of such an upload must carry a checksum of that algorithm.
- CompleteMultipartUpload of a COMPOSITE upload must name every part's checksum; a part named
  with another algorithm's is BadDigest, with a different value InvalidPart (as a wrong ETag).
  Naming checksums for an upload created without an algorithm is InvalidPart too.
- The completed object's checksum: COMPOSITE, the digest of the parts' digests with
  ``-<parts>``; FULL_OBJECT, the CRCs combined. An upload created without an algorithm gets
  S3's default, a FULL_OBJECT CRC64NVME of the whole object, and a final checksum sent with
  its complete is ignored; otherwise a final checksum sent must match (``-<parts>`` optional).
"""

from __future__ import annotations

from tidal.errors import AWSError
from tidal.services.s3 import errors
from tidal.services.s3.object_checksums import (
    ALGORITHMS,
    COMPOSITE,
    CRC_ALGORITHMS,
    FULL_OBJECT,
    ObjectChecksum,
    composite_checksum,
    full_object_checksum,
    sent_checksum,
)

_TYPES = (COMPOSITE, FULL_OBJECT)


def upload_checksum_mode(params: dict) -> tuple[str | None, str | None]:
    """(algorithm, type) a CreateMultipartUpload asks for, or AWS's error."""
    algorithm = (params.get("ChecksumAlgorithm") or "").upper() or None
    checksum_type = params.get("ChecksumType")
    if checksum_type is not None and checksum_type not in _TYPES:
        raise errors.invalid_request("Value for x-amz-checksum-type header is invalid.")
    if algorithm is None:
        if checksum_type is not None:
            raise errors.invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
            )
        return None, None
    if algorithm not in ALGORITHMS:
        raise errors.invalid_request(
            "Checksum algorithm provided is unsupported. Please try again with any of the valid types:"
            f" [{', '.join(ALGORITHMS)}]"
        )
    if checksum_type is None:
        checksum_type = FULL_OBJECT if algorithm == "CRC64NVME" else COMPOSITE
    if (checksum_type == COMPOSITE and algorithm == "CRC64NVME") or (
        checksum_type == FULL_OBJECT and algorithm not in CRC_ALGORITHMS
    ):
        raise errors.invalid_request(
            f"The {checksum_type} checksum type cannot be used with the {algorithm.lower()} checksum algorithm."
        )
    return algorithm, checksum_type


def part_checksum(params: dict, upload_algorithm: str | None) -> tuple[str | None, str | None]:
    """(algorithm, base64 value) an UploadPart carried; for an upload created with an
    algorithm, it must be that one's."""
    preferred = (params.get("ChecksumAlgorithm") or "").upper() or upload_algorithm
    value = params.get(f"Checksum{preferred}") if preferred else None
    sent = (preferred, value) if value else sent_checksum(params)
    if upload_algorithm is not None and (sent is None or sent[0] != upload_algorithm):
        actual = sent[0].lower() if sent is not None else "null"
        raise errors.invalid_request(
            f"Checksum Type mismatch occurred, expected checksum Type: {upload_algorithm.lower()},"
            f" actual checksum Type: {actual}"
        )
    return sent if sent is not None else (None, None)


def check_complete_entry(
    entry: dict, stored_algorithm: str | None, stored_checksum: str | None,
    upload_algorithm: str | None, upload_type: str | None, upload_id: str, etag: str,
) -> None:
    """One part as a CompleteMultipartUpload names it (with ``etag``), against the part as uploaded."""
    named = sent_checksum(entry)
    number = entry.get("PartNumber")
    if upload_algorithm is None:
        if named is not None:
            raise errors.invalid_part(upload_id, number, etag)
        return
    if named is None:
        if upload_type == COMPOSITE:
            raise errors.invalid_request(
                f"The upload was created using a {upload_algorithm.lower()} checksum. The complete request must"
                f" include the checksum for each part. It was missing for part {number} in the request."
            )
        return
    algorithm, value = named
    if algorithm != stored_algorithm:
        raise AWSError(
            "BadDigest", f"The {algorithm.lower()} you specified for part {number} did not match what we received.", 400
        )
    if value != stored_checksum:
        raise errors.invalid_part(upload_id, number, etag)


def check_complete_mode(params: dict, upload_type: str | None) -> None:
    """A CompleteMultipartUpload's ChecksumType must be the upload's."""
    requested = params.get("ChecksumType")
    if requested is not None and requested != upload_type:
        mode = upload_type or "null"
        raise errors.invalid_request(
            f"The upload was created using the {mode} checksum mode. The complete request must use the same"
            " checksum mode."
        )


def completed_checksum(
    params: dict, upload_algorithm: str | None, upload_type: str | None, parts: list[tuple[str | None, int]],
) -> ObjectChecksum | None:
    """The completed object's checksum from its parts' (checksum, size), in part order; None
    for an upload created without an algorithm (its default is the whole object's CRC64NVME)."""
    if upload_algorithm is None:
        return None
    values = [value for value, _ in parts]
    if any(value is None for value in values):
        return None  # parts uploaded before tidal kept their checksums
    if upload_type == COMPOSITE:
        computed = composite_checksum(upload_algorithm, values)  # type: ignore[arg-type]
    else:
        computed = full_object_checksum(upload_algorithm, parts)  # type: ignore[arg-type]
    final = params.get(f"Checksum{upload_algorithm}")
    if final is not None and final != computed.value and f"{final}-{len(parts)}" != computed.value:
        raise AWSError(
            "BadDigest", f"The {upload_algorithm.lower()} you specified did not match the calculated checksum.", 400
        )
    return computed
