"""S3 request bodies: ``aws-chunked`` decoding and integrity checks.

Current SDKs send uploads as ``Content-Encoding: aws-chunked`` with
``x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER`` (or the signed
``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`` variants)::

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0\\r\\n
    x-amz-checksum-crc32:<base64>\\r\\n\\r\\n

The trailer's checksum, a plain ``x-amz-checksum-<algorithm>`` header and ``Content-MD5``
are verified against the decoded body. Chunk signatures are not verified (tidal does not
check SigV4 signatures at all).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from tidal.checksums import (
    CHECKSUM_ALGORITHMS,
    DIGEST_SIZES,
    digest,
)
from tidal.protocol import errors as protocol_errors

CHECKSUM_HEADERS = tuple(f"x-amz-checksum-{name}" for name in CHECKSUM_ALGORITHMS)
_ALGORITHM_OF_HEADER = dict(zip(CHECKSUM_HEADERS, CHECKSUM_ALGORITHMS, strict=True))
_CHECKSUM_HEADER_SET = frozenset(CHECKSUM_HEADERS)


def is_aws_chunked(headers: dict[str, str]) -> bool:
    return "aws-chunked" in headers.get("content-encoding", "") or headers.get(
        "x-amz-content-sha256", ""
    ).startswith("STREAMING-")


def decode_aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """(payload, trailer headers with lower-case names) of an aws-chunked body."""
    chunks: list[bytes] = []
    position = 0
    size_of_body = len(body)
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise protocol_errors.incomplete_body()
        size_text = body[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise protocol_errors.incomplete_body() from None
        position = line_end + 2
        if size == 0:
            break
        chunk_end = position + size
        if size < 0 or body[chunk_end : chunk_end + 2] != b"\r\n":
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
        if not separator:
            raise protocol_errors.incomplete_body()
        trailers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    payload = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return payload, trailers


def unwrap_aws_chunked(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    """Headers and body as if the client had sent the payload plainly.

    Trailer checksums join the headers (so they bind to ``ChecksumCRC32`` & co.),
    ``aws-chunked`` leaves ``Content-Encoding`` and ``Content-Length`` becomes the decoded size.
    """
    payload, trailers = decode_aws_chunked(body)
    declared = headers.get("x-amz-decoded-content-length")
    if declared is not None:
        try:
            expected = int(declared)
        except ValueError:
            raise protocol_errors.incomplete_body() from None
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
    if is_aws_chunked(headers):
        headers, body = unwrap_aws_chunked(headers, body)
    verify_integrity(headers, body, flexible)
    return headers, body
