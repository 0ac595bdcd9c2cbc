import uuid

from tidal.storage.ids import IdSource


def test_uuid4_is_a_valid_version_4_uuid():
    ids = IdSource()
    for _ in range(1000):
        text = ids.uuid4()
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_a_seed_replays_the_same_ids():
    a, b = IdSource(7), IdSource(7)
    assert [a.uuid4() for _ in range(5)] + [a.hex(16, upper=True)] == [b.uuid4() for _ in range(5)] + [b.hex(16, upper=True)]
    assert IdSource(8).uuid4() != IdSource(7).uuid4()


def test_request_ids_are_version_4_uuids_and_never_repeat():
    ids = IdSource()
    made = [ids.request_id() for _ in range(5000)]
    assert len(set(made)) == len(made)
    for text in made[:50] + made[-50:]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert IdSource().request_id() != IdSource().request_id()  # another process, another prefix


def test_s3_request_ids_are_16_upper_case_hex_digits_and_never_repeat():
    ids = IdSource()
    made = [ids.request_hex() for _ in range(5000)]
    assert len(set(made)) == len(made)
    assert all(len(text) == 16 and text == text.upper() and int(text, 16) >= 0 for text in made)
