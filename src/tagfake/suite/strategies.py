"""Shared hypothesis strategies: tag picks from a pool, name suffixes, colours."""

from __future__ import annotations

from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

#: Letters (some beyond ASCII), digits and inner punctuation; trimmed, so never only spaces.
_NAME_CHARS = st.sampled_from(list("abcxyzABCXYZ019äöüßéñøçÅ -_.&"))


def suffixes(max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(_NAME_CHARS, max_size=max_size).map(str.strip)


def colors() -> st.SearchStrategy[str]:
    return st.from_regex(r"#[0-9A-Fa-f]{6}", fullmatch=True)


def with_repeats(base: st.SearchStrategy[list[T]]) -> st.SearchStrategy[list[T]]:
    """Lists as `base` makes them, or with some of their items repeated, in any order: a sync
    names a set, so repeats must not matter and are worth trying often."""
    repeated = base.filter(lambda xs: len(xs) >= 1).flatmap(
        lambda xs: st.permutations([*xs, *xs[: max(1, len(xs) // 2)]])
    )
    return st.one_of(base, repeated)


def picks(pool: int, max_size: int = 7) -> st.SearchStrategy[list[int]]:
    """Indexes into a pool of tags: any order, duplicates allowed (a sync names a set)."""
    return with_repeats(st.lists(st.integers(0, pool - 1), max_size=max_size))


def entity(count: int) -> st.SearchStrategy[int]:
    return st.integers(0, max(count - 1, 0))


def two_entities(count: int) -> st.SearchStrategy[tuple[int, int]]:
    return st.permutations(list(range(count))).map(lambda p: (p[0], p[1]))
