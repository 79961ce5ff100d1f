"""Shared hypothesis strategies: tag names as wide as the docs allow (punctuation, underscores,
digits beside separators, letters beyond ASCII, surrounding whitespace, any letter case), their
respellings, tag picks from a pool, colours."""

from __future__ import annotations

import re
from typing import TypeVar

from hypothesis import strategies as st
from text_unidecode import unidecode

T = TypeVar("T")

#: What a name may hold between its ends: ASCII letters and digits, letters beyond ASCII (each
#: with one ASCII transliteration every common slug library agrees on), the punctuation and
#: separators people put in tag names.
LETTERS = "abcxyzABCXYZ"
DIGITS = "0129"
ACCENTED = "äöüéèñçåÄÖÜÉÑÅ"
SEPARATORS = " -_.&,+/#@!?'()"
_INNER = st.sampled_from(list(LETTERS + DIGITS + ACCENTED + SEPARATORS))
#: Whitespace a client may leave around a name (ASCII only: every trim agrees on it).
_EDGE = st.sampled_from(["", "", " ", "  ", "\t", " \t "])


def suffixes(max_size: int = 12) -> st.SearchStrategy[str]:
    """Any inner text, digits beside separators included; may be empty or only separators."""
    return st.text(_INNER, max_size=max_size)


def padded(name: str) -> st.SearchStrategy[str]:
    """`name` with whitespace the vendor trims (or keeps) around it."""
    return st.tuples(_EDGE, _EDGE).map(lambda e: f"{e[0]}{name}{e[1]}")


def edges() -> st.SearchStrategy[tuple[str, str]]:
    return st.tuples(_EDGE, _EDGE)


def respell(name: str, mask: int, dash: bool = False) -> str:
    """The same name in other letter cases (bit i of `mask` flips letter i's case); `dash`:
    spaces written as "-"."""
    out = [
        c.swapcase() if c.isalpha() and (mask >> (i % 24)) & 1 else c for i, c in enumerate(name)
    ]
    text = "".join(out)
    return text.replace(" ", "-") if dash else text


def case_masks() -> st.SearchStrategy[int]:
    """Letter-case flips: none, all, or any mix."""
    return st.one_of(st.just(0), st.just(2**24 - 1), st.integers(0, 2**24 - 1))


def slug(text: str) -> str:
    """The slug rule the Nexor spec assumes (as Laravel's `Str::slug` and python-slugify do):
    transliterate to ASCII, lower-case, every run of other characters one "-", none at the ends."""
    return "-".join(filter(None, re.split(r"[^a-z0-9]+", unidecode(text).lower())))


#: Ways to write the same slug: the separators that all become one "-", and letters that
#: transliterate to the same ASCII letter.
_SAME_SLUG_SEPARATORS = [" ", "-", "_", ".", " - ", "__", " & ", "/"]
_SAME_LETTER = {"u": "ü", "o": "ö", "a": "å", "e": "é", "n": "ñ", "c": "ç"}


def same_slug(words: list[str]) -> st.SearchStrategy[str]:
    """A spelling of the words joined by separators whose slug is `slug(" ".join(words))`:
    other separators, other letter cases, accents added, punctuation and spaces at the ends."""

    def spell(parts: tuple[list[str], int, int, tuple[str, str]]) -> str:
        seps, mask, accents, (lead, trail) = parts
        out = words[0]
        for sep, word in zip(seps, words[1:], strict=False):
            out += sep + word
        chars = list(out)
        for i, c in enumerate(chars):
            if (accents >> (i % 24)) & 1 and c in _SAME_LETTER:
                chars[i] = _SAME_LETTER[c]
        return lead + respell("".join(chars), mask) + trail

    return st.tuples(
        st.lists(
            st.sampled_from(_SAME_SLUG_SEPARATORS),
            min_size=len(words) - 1,
            max_size=len(words) - 1,
        ),
        case_masks(),
        st.integers(0, 2**24 - 1),
        st.tuples(st.sampled_from(["", " ", "-", "!", " _"]), st.sampled_from(["", " ", "-", "?"])),
    ).map(spell)


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
