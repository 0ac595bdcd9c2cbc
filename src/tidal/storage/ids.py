"""Identifiers from one random source, seeded when a seed is given so a run can be replayed."""

from __future__ import annotations

import os
import random

# Version 4 in bits 76-79, the RFC 4122 variant in bits 62-63.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


class IdSource:
    def __init__(self, seed: int | None = None) -> None:
        # Unseeded: a Mersenne Twister seeded once from the OS. SystemRandom would cost a
        # getrandom() syscall per id, on every request. These ids are not secrets.
        self._random = random.Random(seed if seed is not None else int.from_bytes(os.urandom(16), "big"))
        # Request ids: a random prefix drawn once and a counter (see request_id).
        self._request_prefix = self.uuid4()[:24]
        self._request_hex_prefix = self.hex(8, upper=True)
        self._requests = 0

    def uuid4(self) -> str:
        # What str(uuid.UUID(int=..., version=4)) gives, without building a UUID object:
        # a request id is made on every request.
        n = (self._random.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def request_id(self) -> str:
        """An id for one request in UUID version 4 form, unique among this process's requests.

        A random prefix and a counter: one is made on every request, and drawing and
        formatting 128 random bits each time costs about 1 µs of the server's budget.
        """
        self._requests += 1
        return f"{self._request_prefix}{self._requests & 0xFFFFFFFFFFFF:012x}"

    def request_hex(self) -> str:
        """:meth:`request_id` in S3's form: 16 upper-case hex digits."""
        self._requests += 1
        return f"{self._request_hex_prefix}{self._requests & 0xFFFFFFFF:08X}"

    def hex(self, length: int, *, upper: bool = False) -> str:
        value = f"{self._random.getrandbits(length * 4):0{length}x}"
        return value.upper() if upper else value

    def token(self, nbytes: int = 16) -> bytes:
        return self._random.getrandbits(nbytes * 8).to_bytes(nbytes, "big")
