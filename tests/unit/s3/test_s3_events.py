from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest

from tidal.services.s3.events import (
    Sequencer,
    build_record,
    encode_event_key,
    format_event_time,
    host_id_for,
    owner_canonical_id,
    sequencer_compare,
)

COMMON = dict(
    region="eu-central-1",
    event_time=1741083072.345,  # 2025-03-04T10:11:12.345Z
    request_id="7F3A1C2B9D8E0A11",
    source_ip="198.51.100.23",
    account_id="000000000000",
    configuration_id="thumbnails-on-upload",
    bucket="photo-inbox",
    sequencer="0066F1A2B3C4D5E6F7",
)


def test_put_record_shape():
    record = build_record(event_name="s3:ObjectCreated:Put", key="uploads/summer trip.jpg", size=48213,
                          etag="9b2cf535f27731c974343645a3985328", **COMMON)
    assert list(record) == ["eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
                            "requestParameters", "responseElements", "s3"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == "eu-central-1"
    assert record["eventTime"] == "2025-03-04T10:11:12.345Z"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["userIdentity"]["principalId"].startswith("AWS:")
    assert record["requestParameters"] == {"sourceIPAddress": "198.51.100.23"}
    assert record["responseElements"] == {"x-amz-request-id": "7F3A1C2B9D8E0A11",
                                          "x-amz-id-2": host_id_for("7F3A1C2B9D8E0A11")}
    s3 = record["s3"]
    assert s3["s3SchemaVersion"] == "1.0"
    assert s3["configurationId"] == "thumbnails-on-upload"
    assert s3["bucket"]["name"] == "photo-inbox"
    assert s3["bucket"]["arn"] == "arn:aws:s3:::photo-inbox"
    assert re.fullmatch(r"A[A-Z2-7]{13}", s3["bucket"]["ownerIdentity"]["principalId"])
    assert s3["object"] == {"key": "uploads/summer+trip.jpg", "size": 48213,
                            "eTag": "9b2cf535f27731c974343645a3985328", "sequencer": "0066F1A2B3C4D5E6F7"}


def test_delete_record_has_no_size_or_etag_and_unversioned_has_no_version_id():
    record = build_record(event_name="s3:ObjectRemoved:Delete", key="uploads/old.jpg", **COMMON)
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert record["s3"]["object"] == {"key": "uploads/old.jpg", "sequencer": "0066F1A2B3C4D5E6F7"}


def test_version_id_only_when_given():
    record = build_record(event_name="ObjectCreated:Put", key="k", size=1, etag="e", version_id="v1", **COMMON)
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["object"]["versionId"] == "v1"


def test_explicit_host_id_is_used():
    record = build_record(event_name="s3:ObjectCreated:Put", key="k", size=1, etag="e", host_id="HOST", **COMMON)
    assert record["responseElements"]["x-amz-id-2"] == "HOST"


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("red flower.jpg", "red+flower.jpg"),
        ("a@b", "a%40b"),
        ("testupload/dir1/testfile.txt", "testupload/dir1/testfile.txt"),
        ("a+b", "a%2Bb"),
        ("ünï code/€", "%C3%BCn%C3%AF+code/%E2%82%AC"),
        ("x=1&y=2", "x%3D1%26y%3D2"),
    ],
)
def test_key_encoding(key, encoded):
    assert encode_event_key(key) == encoded
    assert unquote_plus(encoded) == key


def test_event_time_format():
    assert format_event_time(0) == "1970-01-01T00:00:00.000Z"
    assert format_event_time(1741083072.9999) == "2025-03-04T10:11:12.999Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", format_event_time(1.7e9 + 0.5))


def test_sequencer_is_fixed_width_uppercase_hex_and_strictly_increasing_when_the_clock_stands_still():
    sequencer = Sequencer(now_ns=lambda: 1_700_000_000_000_000_000)
    values = [sequencer.next() for _ in range(1000)]
    assert all(re.fullmatch(r"[0-9A-F]{18}", v) for v in values)
    assert values == sorted(values)
    assert len(set(values)) == 1000
    assert all(sequencer_compare(a, b) < 0 for a, b in zip(values, values[1:], strict=False))


def test_sequencer_survives_a_clock_stepping_back():
    times = iter([5_000, 4_000, 4_000, 6_000])
    sequencer = Sequencer(now_ns=lambda: next(times))
    values = [sequencer.next() for _ in range(4)]
    assert [int(v, 16) for v in values] == [5000, 5001, 5002, 6000]


def test_sequencer_with_the_real_clock_is_monotonic():
    sequencer = Sequencer()
    values = [sequencer.next() for _ in range(10000)]
    assert values == sorted(values) and len(set(values)) == len(values)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("0055AED6DCD90281E5", "0055AED6DCD90281E5", 0),
        ("0055AED6DCD90281E5", "0055AED6DCD90281E6", -1),
        ("0055AED6DCD90281E6", "0055AED6DCD90281E5", 1),
        # Shorter values are right-padded with zeros before comparing.
        ("0055AED6DCD9028", "0055AED6DCD90281E5", -1),
        ("0055AED6DCD903", "0055AED6DCD90281E5", 1),
        ("0055AED6DCD90281", "0055AED6DCD9028100", 0),
        ("A", "9FFFF", 1),
    ],
)
def test_sequencer_compare(a, b, expected):
    assert sequencer_compare(a, b) == expected
    assert sequencer_compare(b, a) == -expected


def test_identities_are_stable():
    assert host_id_for("ABC") == host_id_for("ABC") != host_id_for("ABD")
    assert re.fullmatch(r"[0-9a-f]{64}", owner_canonical_id("000000000000"))


def test_host_id_matches_the_one_the_response_header_carries():
    rest_xml = pytest.importorskip("tidal.protocol.rest_xml")
    for request_id in ["7F3A1C2B9D8E0A11", "0000000000000001"]:
        assert host_id_for(request_id) == rest_xml.host_id(request_id)
