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
