"""S3 request bodies: ``aws-chunked`` decoding and integrity checks.

Current SDKs send uploads as ``Content-Encoding: aws-chunked`` with
``x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`` (or the signed
``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`` variants)::

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0\\r\\n
    x-amz-checksum-crc32:<base64>\\r\\n\\r\\n

The trailer's checksum, a plain ``x-amz-checksum-<algorithm>`` header, ``Content-MD5`` and a
hex ``x-amz-content-sha256`` are verified against the decoded body. The trailers must be
exactly those ``x-amz-trailer`` declares. Chunk signatures are the signature verifier's
(``--auth sigv4``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from tidal.checksums import (
    CHECKSUM_ALGORITHMS,
    DIGEST_SIZES,
    digest,
)
from tidal.protocol import errors as protocol_errors

CHECKSUM_HEADERS = tuple(f"x-amz-checksum-{name}" for name in CHECKSUM_ALGORITHMS)
_ALGORITHM_OF_HEADER = dict(zip(CHECKSUM_HEADERS, CHECKSUM_ALGORITHMS, strict=True))
_CHECKSUM_HEADER_SET = frozenset(CHECKSUM_HEADERS)
# A chunk size is hex digits and nothing else: int(text, 16) would also take "0x64", "+64"
# and "6_4". Sixteen digits is more than any body tidal takes.
_CHUNK_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def is_aws_chunked(headers: dict[str, str]) -> bool:
    return "aws-chunked" in headers.get("content-encoding", "") or headers.get(
        "x-amz-content-sha256", ""
    ).startswith("STREAMING-")


def chunk_size(text: bytes) -> int:
    """The size a chunk's header line gives, or S3's IncompleteBody."""
    if _CHUNK_SIZE.fullmatch(text) is None:
        raise protocol_errors.incomplete_body()
    return int(text, 16)


def decode_aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """(payload, trailer headers with lower-case names) of an aws-chunked body."""
    chunks: list[bytes] = []
    position = 0
    size_of_body = len(body)
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise protocol_errors.incomplete_body()
        size = chunk_size(body[position:line_end].split(b";", 1)[0].strip())
        position = line_end + 2
        if size == 0:
            break
        chunk_end = position + size
        if body[chunk_end : chunk_end + 2] != b"\r\n":
            raise protocol_errors.incomplete_body()
        chunks.append(body[position:chunk_end])
        position = chunk_end + 2
    trailers: dict[str, str] = {}
    while position < size_of_body:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            line_end = size_of_body
        line = body[position:line_end]
        position = line_end + 2
        if not line:
            break
        name, separator, value = line.partition(b":")
        name = name.strip()
        if not separator or not name:
            raise protocol_errors.malformed_trailer()
        trailers[name.lower().decode("latin-1")] = value.strip().decode("latin-1")
    payload = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return payload, trailers


def unwrap_aws_chunked(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    """Headers and body as if the client had sent the payload plainly.

    Trailer checksums join the headers (so they bind to ``ChecksumCRC32`` & co.),
    ``aws-chunked`` leaves ``Content-Encoding`` and ``Content-Length`` becomes the decoded size.
    """
    declared_trailers = _declared_trailers(headers.get("x-amz-trailer"))
    payload, trailers = decode_aws_chunked(body)
    if trailers.keys() != declared_trailers:
        raise protocol_errors.malformed_trailer()
    # S3 wants the decoded length declared, as a length (versitygw#1656 records its answer).
    declared = headers.get("x-amz-decoded-content-length")
    if declared is None or not (declared.isascii() and declared.isdigit() and len(declared) <= 19):
        raise protocol_errors.missing_content_length()
    expected = int(declared)
    if expected != len(payload):
        raise protocol_errors.incomplete_body(expected, len(payload))
    plain = dict(headers)
    for name, value in trailers.items():
        if name.startswith("x-amz-checksum-"):
            plain[name] = value
    encodings = [
        part.strip()
        for part in headers.get("content-encoding", "").split(",")
        if part.strip() and part.strip() != "aws-chunked"
    ]
    if encodings:
        plain["content-encoding"] = ",".join(encodings)
    else:
        plain.pop("content-encoding", None)
    plain["content-length"] = str(len(payload))
    plain.pop("x-amz-trailer", None)
    return plain, payload


def _declared_trailers(header: str | None) -> set[str]:
    """The trailer names ``x-amz-trailer`` declares: checksums of algorithms S3 knows."""
    if header is None:
        return set()
    names = {name.strip().lower() for name in header.split(",")}
    if not names <= _CHECKSUM_HEADER_SET:
        raise protocol_errors.unsupported_trailer()
    return names


def _payload_hash(headers: dict[str, str]) -> str | None:
    """A hex ``x-amz-content-sha256`` (SigV4's payload hash), None for none or a streaming form;
    anything else is refused as S3 refuses it."""
    claimed = headers.get("x-amz-content-sha256")
    if claimed is None or claimed in protocol_errors.STREAMING_PAYLOADS:
        return None
    if _SHA256_HEX.fullmatch(claimed) is None:
        raise protocol_errors.invalid_content_sha256(claimed)
    return claimed


def _verify_payload_hash(claimed: str, body: bytes) -> None:
    # S3 checks the hash whatever the signature, so a client that hashes another body than it
    # sends learns it here as it would on AWS.
    computed = hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256
    if computed != claimed.lower():
        raise protocol_errors.content_sha256_mismatch(claimed, computed)


def verify_integrity(headers: dict[str, str], body: bytes, flexible: bool = True) -> None:
    """Check ``Content-MD5`` and (when ``flexible``) the ``x-amz-checksum-*`` header against
    ``body`` as S3 does. Not ``flexible`` where those headers carry another value than the
    body's (CompleteMultipartUpload's: the whole object's)."""
    content_md5 = headers.get("content-md5")
    if content_md5 is not None:
        try:
            claimed = binascii.a2b_base64(content_md5, strict_mode=True)
        except (binascii.Error, ValueError):
            raise protocol_errors.invalid_digest(content_md5) from None
        if len(claimed) != 16:
            raise protocol_errors.invalid_digest(content_md5)
        calculated = hashlib.md5(body).digest()
        if calculated != claimed:
            raise protocol_errors.bad_md5_digest(content_md5, base64.b64encode(calculated).decode("ascii"))
    if not flexible:
        return
    present = _CHECKSUM_HEADER_SET.intersection(headers)
    if not present:
        return
    if len(present) > 1:
        raise protocol_errors.multiple_checksum_headers()
    (header,) = present
    algorithm = _ALGORITHM_OF_HEADER[header]
    value = headers[header]
    requested = headers.get("x-amz-sdk-checksum-algorithm")
    if requested is not None and requested.lower() != algorithm:
        raise protocol_errors.invalid_checksum_header("x-amz-sdk-checksum-algorithm")
    try:
        claimed = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        raise protocol_errors.invalid_checksum_header(header) from None
    if len(claimed) != DIGEST_SIZES[algorithm]:
        raise protocol_errors.invalid_checksum_header(header)
    if digest(algorithm, body) != claimed:
        raise protocol_errors.bad_checksum_digest(algorithm.upper())  # S3's name: CRC32, SHA256 ...


def plain_body(headers: dict[str, str], body: bytes, flexible: bool = True) -> tuple[dict[str, str], bytes]:
    """Decode aws-chunked if used, then verify the checksums the request carries (see
    :func:`verify_integrity` for ``flexible``)."""
    claimed = _payload_hash(headers)
    if is_aws_chunked(headers):
        headers, body = unwrap_aws_chunked(headers, body)
    elif claimed is not None:
        _verify_payload_hash(claimed, body)
    verify_integrity(headers, body, flexible)
    return headers, body
