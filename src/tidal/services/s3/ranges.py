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
    if not sep or (first and not first.isdigit()) or (last and not last.isdigit()):
        return None
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0:
            raise invalid_range(header, size)
        if size == 0:
            return None
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise invalid_range(header, size)
    return ByteRange(start, min(end, size - 1))
