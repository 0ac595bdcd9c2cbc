"""Identifiers from one random source, seeded when a seed is given so a run can be replayed."""

from __future__ import annotations

import os
import random
import uuid


class IdSource:
    def __init__(self, seed: int | None = None) -> None:
        # Unseeded: a Mersenne Twister seeded once from the OS. SystemRandom would cost a
        # getrandom() syscall per id, on every request. These ids are not secrets.
        self._random = random.Random(seed if seed is not None else int.from_bytes(os.urandom(16), "big"))

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def hex(self, length: int, *, upper: bool = False) -> str:
        value = f"{self._random.getrandbits(length * 4):0{length}x}"
        return value.upper() if upper else value

    def token(self, nbytes: int = 16) -> bytes:
        return self._random.getrandbits(nbytes * 8).to_bytes(nbytes, "big")
