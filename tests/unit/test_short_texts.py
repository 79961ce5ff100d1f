"""A short text's result is computed once and kept; a long one is computed afresh every time,
so what the cache holds stays small whatever clients send."""

from __future__ import annotations

from tagfake.short_texts import UP_TO, kept_for_short_texts


def test_short_texts_are_computed_once_and_long_ones_every_time() -> None:
    calls: list[str] = []

    @kept_for_short_texts(maxsize=8)
    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    short, long = "vip", "x" * (UP_TO + 1)
    assert [upper(short) for _ in range(3)] == ["VIP"] * 3
    assert [upper(long) for _ in range(3)] == [long.upper()] * 3
    assert calls == [short, long, long, long]
