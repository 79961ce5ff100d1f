"""One table of the memory store: the records of one sort (a tenant's tags, groups, or one
entity kind) and their secondary indexes, every change logged so that it can be undone.

A unique index is a dict (index key → item key); a non-unique one an insertion-ordered bucket
per index key (item key → when it took the key), so its earliest item is found in O(1). `seq`
keeps when each item present was put, so a rollback that puts a deleted item back restores the
table's order; a bucket's own numbers restore the bucket's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tagfake.state.model import Record
from tagfake.state.records import Packed, pack, unpack
from tagfake.state.store import Clash, Index

Undo = list[Callable[[], None]]
NO_INDEXES: tuple[Index, ...] = ()


class Unlogged(list[Callable[[], None]]):
    """The undo log of a tenant being built: if building fails the tenant is dropped whole."""

    def append(self, _: Callable[[], None]) -> None:
        return None


class Table:
    """Items of one sort (a tenant's tags, or one entity kind) and their secondary indexes."""

    __slots__ = ("indexes", "items", "keys", "next_seq", "positions", "seq", "unique")

    def __init__(self, indexes: tuple[Index, ...]) -> None:
        self.indexes = indexes
        self.items: dict[str, Packed] = {}
        #: Per index: unique → {index key: item key}; not unique → {index key: {item key: when
        #: it took that key}}, a bucket in the order its items took the key.
        self.keys: list[dict[str, Any]] = [{} for _ in indexes]
        self.unique = tuple(ix.unique for ix in indexes)
        self.positions = {ix.name: i for i, ix in enumerate(indexes)}
        #: When each item present was first put (since its last delete), so a rollback that
        #: puts an item back can restore the order of the table and of its buckets.
        self.seq: dict[str, int] = {}
        self.next_seq = 0

    def index_values(self, record: Record) -> list[str | None]:
        return [ix.key(record) for ix in self.indexes]

    def find(self, index: str, value: str) -> str | None:
        i = self._position(index)
        hit = self.keys[i].get(value)
        if hit is None or self.unique[i]:
            return hit
        return next(iter(hit), None)

    def find_all(self, index: str, value: str) -> list[str]:
        i = self._position(index)
        hit = self.keys[i].get(value)
        if hit is None:
            return []
        return [hit] if self.unique[i] else list(hit)

    def _position(self, index: str) -> int:
        i = self.positions.get(index)
        if i is None:
            raise KeyError(f"no index {index!r}")
        return i

    def check(self, key: str, values: list[str | None]) -> None:
        """Raise Clash when a unique index key is held by another item."""
        for i, value in enumerate(values):
            if value is not None and self.unique[i]:
                holder = self.keys[i].get(value)
                if holder is not None and holder != key:
                    raise Clash(self.indexes[i].name, value, holder)

    def put(self, key: str, record: Record, undo: Undo) -> None:
        values = self.index_values(record)
        self.check(key, values)
        old = self.items.get(key)
        if old is None:
            old_values: list[str | None] = [None] * len(values)
            self.seq[key] = self.next_seq
            self.next_seq += 1
            # Logged first, so undone last: the item leaves after its index entries.
            undo.append(lambda: self._forget(key))
        else:
            old_values = self.index_values(unpack(old))
            undo.append(lambda: self.items.__setitem__(key, old))
        self.items[key] = pack(record)
        for i, (before, after) in enumerate(zip(old_values, values, strict=True)):
            if before != after:
                if before is not None:
                    self._unindex(i, before, key, undo)
                if after is not None:
                    self._index(i, after, key, undo)

    def delete(self, key: str, undo: Undo) -> Packed | None:
        old = self.items.pop(key, None)
        if old is None:
            return None
        for i, value in enumerate(self.index_values(unpack(old))):
            if value is not None:
                self._unindex(i, value, key, undo)
        put_at = self.seq.pop(key)
        # Logged last, so undone first: the item is back before its index entries.
        undo.append(lambda: self._reinsert(key, old, put_at))
        return old

    def _forget(self, key: str) -> None:
        del self.items[key], self.seq[key]

    def _reinsert(self, key: str, packed: Packed, put_at: int) -> None:
        self.items[key] = packed
        self.seq[key] = put_at
        # A dict appends: put the item back in its place (only a rollback pays for this).
        self.items = dict(sorted(self.items.items(), key=lambda kv: self.seq[kv[0]]))

    def _index(self, i: int, value: str, key: str, undo: Undo) -> None:
        keys = self.keys[i]
        if self.unique[i]:
            keys[value] = key
            undo.append(lambda: keys.__delitem__(value))
            return
        keys.setdefault(value, {})[key] = self.next_seq
        self.next_seq += 1
        undo.append(lambda: self._leave_bucket(i, value, key))

    def _unindex(self, i: int, value: str, key: str, undo: Undo) -> None:
        keys = self.keys[i]
        if self.unique[i]:
            del keys[value]
            undo.append(lambda: keys.__setitem__(value, key))
            return
        took = self._drop_from_bucket(i, value, key)
        undo.append(lambda: self._restore_to_bucket(i, value, key, took))

    def _leave_bucket(self, i: int, value: str, key: str) -> None:
        self._drop_from_bucket(i, value, key)

    def _drop_from_bucket(self, i: int, value: str, key: str) -> int:
        bucket = self.keys[i][value]
        took: int = bucket.pop(key)
        if not bucket:
            del self.keys[i][value]
        return took

    def _restore_to_bucket(self, i: int, value: str, key: str, took: int) -> None:
        bucket = self.keys[i].setdefault(value, {})
        bucket[key] = took
        # A dict appends: put the key back in its place (only a rollback pays for this).
        self.keys[i][value] = dict(sorted(bucket.items(), key=lambda kv: kv[1]))
