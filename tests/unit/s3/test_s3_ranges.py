from __future__ import annotations

import pytest

from tidal.errors import AWSError
from tidal.services.s3.ranges import ByteRange, resolve_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-9", 100, (0, 9)),
        ("bytes=10-", 100, (10, 99)),
        ("bytes=-5", 100, (95, 99)),
        ("bytes=-500", 100, (0, 99)),  # a suffix longer than the object is all of it
        ("bytes=90-200", 100, (90, 99)),  # the end is clamped
        ("bytes=99-99", 100, (99, 99)),
        ("Bytes = 1-2", 100, (1, 2)),
        ("bytes=0-9223372036854775807", 100, (0, 99)),  # the largest position S3 parses
        ("bytes=" + "0" * 5000 + "1-2", 100, (1, 2)),
    ],
)
def test_satisfiable_ranges(header, size, expected):
    byte_range = resolve_range(header, size)
    assert (byte_range.start, byte_range.end) == expected


@pytest.mark.parametrize(
    "header",
    [None, "", "items=0-9", "bytes=0-1,3-4", "bytes=abc", "bytes=9-0", "bytes=-", "bytes", "bytes=1-x", "bytes=--1",
     "bytes=²-3", "bytes=0-٣", "bytes=+1-2", "bytes=1_0-20",
     # past a 64-bit position, and past Python's int-conversion limit: not numbers S3 parses
     "bytes=0-9223372036854775808", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000, "bytes=" + "9" * 5000 + "-"],
)
def test_ranges_s3_ignores(header):
    assert resolve_range(header, 100) is None


@pytest.mark.parametrize(("header", "size"), [("bytes=100-", 100), ("bytes=200-300", 100), ("bytes=-0", 100),
                                              ("bytes=0-9", 0), ("bytes=0-", 0)])
def test_unsatisfiable_ranges(header, size):
    with pytest.raises(AWSError) as err:
        resolve_range(header, size)
    assert (err.value.code, err.value.status) == ("InvalidRange", 416)
    assert err.value.message == "The requested range is not satisfiable"
    assert err.value.fields == {"RangeRequested": header, "ActualObjectSize": str(size)}


def test_suffix_range_of_an_empty_object_serves_it_whole():
    assert resolve_range("bytes=-5", 0) is None


def test_content_range():
    assert ByteRange(0, 9).content_range(100) == "bytes 0-9/100"
    assert ByteRange(0, 9).length == 10
