"""The memory store's version-4 UUIDs: a seeded Mersenne Twister's sequence, drawn in blocks.

A transaction that fails must give back the UUIDs it drew, so that the same successful calls
get the same ids under one seed. Saving the generator's whole state to undo a draw cost a create
more than anything else in the store (`Random.getstate()` copies 625 words, ~8 µs); here the
generator runs a block ahead, a position in the current block is a number, and going back to an
earlier block regenerates it from the state saved once per block. The ids drawn, in order, are
the generator's own sequence either way, and `state()` is the generator's state at the next id:
what a snapshot keeps, in the format it always had.
"""

from __future__ import annotations

import random
from typing import Any

_BLOCK = 64
# RFC 4122 version 4: the version nibble set to 4 and the variant bits to 10 (what uuid.UUID
# does with version=4).
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)

#: Where the sequence stands: the generator's state before the current block, and how many
#: of the block's ids were drawn.
Position = tuple[Any, int]


def uuid4_text(bits: int) -> str:
    """The canonical text of the version-4 UUID made of 128 random bits."""
    h = f"{(bits & _CLEAR) | _SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class UuidDraws:
    __slots__ = ("_block", "_rng", "_start", "_used")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._start: Any = None
        self._block: list[int] = []
        self._used = 0
        self._refill()

    def draw(self) -> str:
        if self._used == len(self._block):
            self._refill()
        bits = self._block[self._used]
        self._used += 1
        return uuid4_text(bits)

    def position(self) -> Position:
        return self._start, self._used

    def rewind(self, to: Position) -> None:
        """Back to where `position()` was taken: the ids drawn since come again, in order."""
        start, used = to
        if start is not self._start:
            self._rng.setstate(start)
            self._refill()
        self._used = used

    def state(self) -> Any:
        """The generator's state with the next id as its next draw (`random.Random.getstate`)."""
        rng = random.Random()
        rng.setstate(self._start)
        for _ in range(self._used):
            rng.getrandbits(128)
        return rng.getstate()

    def _refill(self) -> None:
        rng = self._rng
        self._start = rng.getstate()
        self._block = [rng.getrandbits(128) for _ in range(_BLOCK)]
        self._used = 0
