"""Results of a pure function of a text kept for the texts clients send again and again.

Clients repeat a few short values (Content-Type values, tag names) on every request; a long
text is computed afresh each time, so a cache of `maxsize` entries stays small whatever is sent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Texts longer than this are never kept.
UP_TO = 256


def kept_for_short_texts(maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    def wrap(fn: Callable[[str], T]) -> Callable[[str], T]:
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def call(text: str) -> T:
            return cached(text) if len(text) <= UP_TO else fn(text)

        return call

    return wrap
