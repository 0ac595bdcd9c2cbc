"""The ``Range`` of a GetObject/HeadObject: which bytes to serve, or the 416 AWS gives.

S3 serves one byte range per request (RFC 9110 ``bytes=first-last``, ``bytes=first-``,
``bytes=-suffix``). Where the header is not one S3 understands (another unit, several
ranges, garbage, ``last < first``) S3 ignores it and serves the whole object with 200, as
the RFC allows. A range that starts at or past the end is ``InvalidRange`` (416); on an empty
object every ``first-`` form is, while a suffix range serves the empty body.
"""

from __future__ import annotations

from dataclasses import dataclass

from tidal.services.s3.errors import invalid_range

# A position past a signed 64-bit integer is not a number S3 parses: the range is ignored (as
# minio and versitygw do; no recording of AWS settles it), and never converted, however many
# digits it has (Python refuses past 4,300).
_LARGEST_POSITION = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def resolve_range(header: str | None, size: int) -> ByteRange | None:
    """The bytes to serve for ``header`` on an object of ``size`` bytes; ``None``: all of them.

    Raises ``InvalidRange`` when the range cannot be satisfied.
    """
    if not header:
        return None
    unit, sep, spec = header.strip().partition("=")
    if not sep or unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, sep, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not sep or (first and not _is_digits(first)) or (last and not _is_digits(last)):
        return None
    if not first:
        if not last:
            return None
        suffix = _position(last)
        if suffix is None:
            return None
        if suffix == 0:
            raise invalid_range(header, size)
        if size == 0:
            return None
        return ByteRange(max(0, size - suffix), size - 1)
    start = _position(first)
    end = _position(last) if last else size - 1
    if start is None or end is None:
        return None
    if last and end < start:
        return None
    if start >= size:
        raise invalid_range(header, size)
    return ByteRange(start, min(end, size - 1))


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # isdigit alone takes "²" and other scripts' digits


def _position(digits: str) -> int | None:
    significant = digits.lstrip("0")
    if len(significant) > 19:
        return None
    value = int(significant or "0")
    return value if value <= _LARGEST_POSITION else None
