"""Pages of tags: the heap an early page takes and the full sort a late one takes agree with a
plain sort, for numbers, strings (case-insensitive), mixed values and missing fields."""

from __future__ import annotations

import random

import pytest

from tagfake.admin.browse import PageQuery, page_keys
from tagfake.state.model import Record


def tags(n: int, seed: int) -> dict[str, Record]:
    rnd = random.Random(seed)
    out: dict[str, Record] = {}
    for i in range(n):
        record: Record = {"id": rnd.randrange(10_000), "name": rnd.choice(["b", "B", "a", "C"])}
        if i % 7 == 0:
            record["mixed"] = rnd.choice([None, 3, "x", 1.5])
        out[f"k{i}"] = record
    return out


def reference(t: dict[str, Record], field: str, descending: bool) -> list[str]:
    def key(item: tuple[str, Record]) -> tuple[object, str]:
        value = item[1].get(field)
        if value is None:
            return ((2, 0.0, ""), item[0])
        if isinstance(value, int | float):
            return ((0, float(value), ""), item[0])
        return ((1, 0.0, str(value).casefold()), item[0])

    return [k for k, _ in sorted(t.items(), key=key, reverse=descending)]


@pytest.mark.parametrize("field", ["id", "name", "mixed"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("offset", [0, 50, 350, 950])
def test_every_page_is_the_slice_of_one_sorted_order(
    field: str, descending: bool, offset: int
) -> None:
    t = tags(1000, seed=offset)
    q = PageQuery(sort=field, descending=descending, offset=offset, limit=50)
    matched, keys = page_keys(t, q)
    assert matched == 1000
    assert keys == reference(t, field, descending)[offset : offset + 50]


def test_search_matches_the_key_or_any_text_field_ignoring_case() -> None:
    t: dict[str, Record] = {"1": {"id": 1, "name": "Newsletter"}, "2": {"id": 2, "name": "VIP"}}
    t["news"] = {"id": 3}
    assert page_keys(t, PageQuery(search="NEWS")) == (2, ["1", "news"])
    assert page_keys(t, PageQuery(search="2")) == (1, ["2"])
