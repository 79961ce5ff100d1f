"""The memory store's UUIDs are the seeded generator's own sequence, however they are drawn and
given back: a state file written before stays on the ids it would have had."""

from __future__ import annotations

import random
import uuid

from hypothesis import given
from hypothesis import strategies as st

from tagfake.state.uuid_draws import UuidDraws, uuid4_text


def plain(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_the_text_is_what_uuid_makes_of_the_same_bits(bits: int) -> None:
    assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))


@given(st.integers(min_value=0, max_value=2**32), st.lists(st.integers(0, 150), max_size=6))
def test_draws_rewinds_and_state_follow_the_generator(seed: int, steps: list[int]) -> None:
    expected = plain(seed, 1200)
    draws = UuidDraws(random.Random(seed))
    at = 0
    for n in steps:
        mark = draws.position()
        assert [draws.draw() for _ in range(n)] == expected[at : at + n]
        if n % 2:  # given back: the same ids come again
            draws.rewind(mark)
        else:
            at += n
        twin = random.Random()
        twin.setstate(draws.state())
        assert str(uuid.UUID(int=twin.getrandbits(128), version=4)) == expected[at]
    assert draws.draw() == expected[at]
