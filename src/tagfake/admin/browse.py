"""Pages of a tenant's tags and entities: searched, sorted and cut to one page.

The namespace is held only while its records are listed (references, not copies); matching and
sorting happen after the store is released, so a large tenant's page does not hold up requests.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from tagfake.state.model import Entity, Namespace, Record

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


def _text(record: Record) -> str:
    return "\x00".join(str(v) for v in record.values() if isinstance(v, str | int)).casefold()


def page_keys(tags: dict[str, Record], q: PageQuery) -> tuple[int, list[str]]:
    """(how many tags match `q.search`, the keys of this page of them in `q.sort` order); call
    inside a read.

    Only (value, key) pairs of plain values are built, never a list holding the records: a
    list of 100 000 tracked objects makes the garbage collector, not the sort, the cost. An
    early page takes the smallest (or largest) few from a heap instead of sorting them all."""
    needle = q.search.strip().casefold()
    field = q.sort
    if needle:
        pairs = [
            (r.get(field), k)
            for k, r in tags.items()
            if needle in k.casefold() or needle in _text(r)
        ]
    else:
        pairs = [(r.get(field), k) for k, r in tags.items()]
    kinds = {type(v) for v, _ in pairs}
    if kinds <= {int, float}:
        keyed: list[tuple[Any, str]] = pairs
    elif kinds == {str}:
        keyed = [(str(v).casefold(), k) for v, k in pairs]
    else:
        keyed = [(_sort_key(v), k) for v, k in pairs]
    end = q.offset + q.limit
    if end * 8 < len(keyed):
        first = heapq.nlargest(end, keyed) if q.descending else heapq.nsmallest(end, keyed)
    else:
        first = sorted(keyed, reverse=q.descending)[:end]
    return len(keyed), [k for _, k in first[q.offset : end]]


def _entity_order(kind: str, key: str) -> tuple[str, int, str]:
    return (kind, int(key), "") if key.isdigit() else (kind, -1, key.casefold())


def ordered_entities(
    entities: dict[str, dict[str, Entity]], q: PageQuery, tag: str | None
) -> list[tuple[str, str]]:
    """(kind, key) of the entities matching `q.search` and carrying `tag` (if given), by kind
    and id (call inside a read)."""
    needle = q.search.strip().casefold()
    found = [
        (_entity_order(kind, key), kind, key)
        for kind, items in entities.items()
        for key, e in items.items()
        if (tag is None or tag in e.tags)
        and (not needle or needle in key.casefold() or needle in _text(e.attrs))
    ]
    found.sort(reverse=q.descending)
    return [(kind, key) for _, kind, key in found]


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
