"""Pages of a tenant's tags and entities: searched, sorted and cut to one page.

The namespace is held only while its records are listed (references, not copies); matching and
sorting happen after the store is released, so a large tenant's page does not hold up requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tagfake.state.model import Namespace, Record

#: The fields a tag's label may live in, by vendor: healvi calls it `title`, the others `name`.
LABEL_FIELDS = ("name", "title")


@dataclass(frozen=True)
class PageQuery:
    search: str = ""
    sort: str = "id"
    descending: bool = False
    offset: int = 0
    limit: int = 50


def label(tag: Record) -> str:
    for f in LABEL_FIELDS:
        if isinstance(tag.get(f), str):
            return str(tag[f])
    return str(tag.get("id", ""))


def _sort_key(value: Any) -> tuple[int, float, str]:
    # Numbers before strings, numbers by value (id 9 before id 10), None last.
    if value is None:
        return (2, 0.0, "")
    if isinstance(value, bool):
        return (1, 0.0, str(value))
    if isinstance(value, int | float):
        return (0, float(value), "")
    return (1, 0.0, str(value).casefold())


def _matches(record: Record, needle: str) -> bool:
    return any(
        needle in str(v).casefold() for v in record.values() if isinstance(v, str | int | float)
    )


def _page(rows: list[tuple[str, Record]], q: PageQuery) -> tuple[int, list[tuple[str, Record]]]:
    needle = q.search.strip().casefold()
    if needle:
        rows = [(k, r) for k, r in rows if needle in k.casefold() or _matches(r, needle)]
    rows.sort(key=lambda kr: _sort_key(kr[1].get(q.sort, kr[0])), reverse=q.descending)
    return len(rows), rows[q.offset : q.offset + q.limit]


def tag_page(
    ns_tags: list[tuple[str, Record]], q: PageQuery
) -> tuple[int, list[tuple[str, Record]]]:
    """(how many tags match, this page of them) from the tenant's (key, tag) pairs."""
    return _page(ns_tags, q)


def columns(records: list[Record], first: tuple[str, ...] = ("id",)) -> list[str]:
    """Every field the records have, `id` and the label first, in the order they appear."""
    seen: dict[str, None] = dict.fromkeys(f for f in first if any(f in r for r in records))
    for f in LABEL_FIELDS:
        if any(f in r for r in records):
            seen.setdefault(f, None)
    for r in records:
        for k in r:
            seen.setdefault(k, None)
    return list(seen)


def carriers(ns: Namespace, keys: set[str]) -> dict[str, int]:
    """How many entities carry each of `keys` (one pass over the entities)."""
    counts = dict.fromkeys(keys, 0)
    for items in ns.entities.values():
        for entity in items.values():
            for t in entity.tags:
                if t in counts:
                    counts[t] += 1
    return counts
