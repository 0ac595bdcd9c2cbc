"""Joining parts into one blob, and their CRC, including the plain-read path used where the
kernel will not copy between files."""

import os

import pytest

from tidal.checksums import b64_crc, crc
from tidal.services.s3.assembly import assemble, pieces_crc
from tidal.storage.blobs import BlobStore


@pytest.fixture
def blobs(tmp_path):
    return BlobStore(tmp_path / "blobs")


def _refuse_kernel_copy(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("the kernel will not copy between these files")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)


def _pieces(blobs):
    first, second = os.urandom(300_000), os.urandom(123_457)
    return [(blobs.write(first), None, len(first)), (None, b"inline", 6), (blobs.write(second), None, len(second))], (
        first + b"inline" + second
    )


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_assemble_joins_pieces_end_to_end(blobs, monkeypatch, kernel_copy):
    if not kernel_copy:
        _refuse_kernel_copy(monkeypatch)
    pieces, whole = _pieces(blobs)
    assert blobs.read(assemble(blobs, pieces)) == whole


def test_pieces_crc_is_the_crc_of_the_whole(blobs):
    pieces, whole = _pieces(blobs)
    assert pieces_crc(blobs, pieces, "crc64nvme") == b64_crc("crc64nvme", crc("crc64nvme", whole))


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_a_blob_shorter_than_recorded_fails_and_leaves_nothing(blobs, monkeypatch, kernel_copy):
    if not kernel_copy:
        _refuse_kernel_copy(monkeypatch)
    short = blobs.write(b"abc")
    before = blobs.ids()
    with pytest.raises(OSError, match="shorter than its recorded size"):
        assemble(blobs, [(short, None, 10)])
    assert blobs.ids() == before
    with pytest.raises(OSError, match="shorter than its recorded size"):
        pieces_crc(blobs, [(short, None, 10)], "crc32")
