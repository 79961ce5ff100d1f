"""Pages of a tenant's tags and entities: searched, sorted and cut to one page.

The store is held only while the tenant's records are listed; matching and sorting happen after
it is released, so a large tenant's page does not hold up requests. Entities carrying a tag are
found through the store's carriers, not by a scan.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tagfake.state.model import Record
from tagfake.state.store import TenantReader

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


def page_keys(tags: Iterable[tuple[str, Record]], q: PageQuery) -> tuple[int, list[str]]:
    """(how many of the (key, record) `tags` match `q.search`, the keys of this page of them in
    `q.sort` order).

    Only (value, key) pairs of plain values are built, never a list holding the records: a
    list of 100 000 tracked objects makes the garbage collector, not the sort, the cost. An
    early page takes the smallest (or largest) few from a heap instead of sorting them all."""
    needle = q.search.strip().casefold()
    field = q.sort
    if needle:
        pairs = [(r.get(field), k) for k, r in tags if needle in k.casefold() or needle in _text(r)]
    else:
        pairs = [(r.get(field), k) for k, r in tags]
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


def ordered_entities(r: TenantReader, q: PageQuery, tag: str | None) -> list[tuple[str, str]]:
    """(kind, key) of the entities matching `q.search` and carrying `tag` (if given: from the
    tag's carriers), by kind and id. Only a search reads the entities themselves."""
    needle = q.search.strip().casefold()
    found = []
    for kind in r.kinds():
        for key in r.entity_keys(kind) if tag is None else r.carrying(kind, tag):
            if needle and needle not in key.casefold():
                e = r.entity(kind, key)
                if e is None or needle not in _text(e.attrs):
                    continue
            found.append((_entity_order(kind, key), kind, key))
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


def carriers(r: TenantReader, keys: list[str]) -> dict[str, int]:
    """How many entities (of every kind) carry each of `keys`: the store's live counts."""
    kinds = r.kinds()
    return {k: sum(r.count_carrying(kind, k) for kind in kinds) for k in keys}
