"""A tenant of the memory store and its handles: `View` (the reads of `TenantReader`) and
`Writer` (`TenantWriter`), which logs how to undo every change it makes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tagfake.state.memory_table import NO_INDEXES, Table, Undo
from tagfake.state.model import Entity, Namespace, Record, SetChange
from tagfake.state.records import unpack
from tagfake.state.store import Layout, Missing

if TYPE_CHECKING:
    from tagfake.state.memory import MemoryStore


class TenantData:
    """One (vendor, tenant): tags, groups, entity kinds, and who carries which tag."""

    __slots__ = ("carriers", "entity_indexes", "groups", "kinds", "tag_sets", "tags")

    def __init__(self, layout: Layout) -> None:
        self.tags = Table(layout.tag_indexes)
        self.groups = Table(NO_INDEXES)
        self.entity_indexes = layout.entity_indexes
        self.kinds: dict[str, Table] = {}
        #: kind → entity key → its tag keys, in order (a dict as an ordered set).
        self.tag_sets: dict[str, dict[str, dict[str, None]]] = {}
        #: kind → tag key → entity keys carrying it.
        self.carriers: dict[str, dict[str, dict[str, None]]] = {}

    def kind(self, kind: str, undo: Undo | None = None) -> Table:
        table = self.kinds.get(kind)
        if table is None:
            table = self.kinds[kind] = Table(self.entity_indexes.get(kind, NO_INDEXES))
            self.tag_sets[kind] = {}
            self.carriers[kind] = {}
            if undo is not None:
                undo.append(lambda: self._forget_kind(kind))
        return table

    def _forget_kind(self, kind: str) -> None:
        del self.kinds[kind], self.tag_sets[kind], self.carriers[kind]

    def empty(self) -> bool:
        return not self.tags.items and not self.groups.items and not self.kinds


class View:
    """The reads of one tenant (`TenantReader`)."""

    __slots__ = ("_t",)

    def __init__(self, tenant: TenantData) -> None:
        self._t = tenant

    # -- tags
    def tag(self, key: str) -> Record | None:
        packed = self._t.tags.items.get(key)
        return None if packed is None else unpack(packed)

    def has_tag(self, key: str) -> bool:
        return key in self._t.tags.items

    def tag_by(self, index: str, value: str) -> str | None:
        return self._t.tags.find(index, value)

    def tags_by(self, index: str, value: str) -> list[str]:
        return self._t.tags.find_all(index, value)

    def tag_count(self) -> int:
        return len(self._t.tags.items)

    def tags(self) -> list[tuple[str, Record]]:
        return [(k, unpack(p)) for k, p in self._t.tags.items.items()]

    def tags_with_counts(self, kind: str) -> list[tuple[str, Record, int]]:
        carriers = self._t.carriers.get(kind, {})
        return [(k, unpack(p), len(carriers.get(k, ()))) for k, p in self._t.tags.items.items()]

    def tag_records(self) -> list[Record]:
        return [unpack(p) for p in self._t.tags.items.values()]

    def tags_counted(self, kind: str, field: str) -> list[Record]:
        carriers = self._t.carriers.get(kind, {})
        out = []
        for key, packed in self._t.tags.items.items():
            record = unpack(packed)
            record[field] = len(carriers.get(key, ()))
            out.append(record)
        return out

    def tag_keys(self, limit: int | None = None) -> list[str]:
        return _first(self._t.tags.items, limit)

    # -- groups
    def group(self, key: str) -> Record | None:
        packed = self._t.groups.items.get(key)
        return None if packed is None else unpack(packed)

    def groups(self) -> list[tuple[str, Record]]:
        return [(k, unpack(p)) for k, p in self._t.groups.items.items()]

    # -- entities
    def entity(self, kind: str, key: str) -> Entity | None:
        table = self._t.kinds.get(kind)
        packed = None if table is None else table.items.get(key)
        if packed is None:
            return None
        return Entity(unpack(packed), list(self._t.tag_sets[kind][key]))

    def has_entity(self, kind: str, key: str) -> bool:
        return key in self._t.tag_sets.get(kind, {})

    def entity_tags(self, kind: str, key: str) -> list[str] | None:
        tags = self._t.tag_sets.get(kind, {}).get(key)
        return None if tags is None else list(tags)

    def entity_by(self, kind: str, index: str, value: str) -> str | None:
        table = self._t.kinds.get(kind)
        return None if table is None else table.find(index, value)

    def entity_count(self, kind: str) -> int:
        table = self._t.kinds.get(kind)
        return 0 if table is None else len(table.items)

    def entities(self, kind: str) -> list[tuple[str, Entity]]:
        table = self._t.kinds.get(kind)
        if table is None:
            return []
        sets = self._t.tag_sets[kind]
        return [(k, Entity(attrs=unpack(p), tags=list(sets[k]))) for k, p in table.items.items()]

    def entity_keys(self, kind: str, limit: int | None = None) -> list[str]:
        table = self._t.kinds.get(kind)
        return [] if table is None else _first(table.items, limit)

    def kinds(self) -> list[str]:
        return list(self._t.kinds)

    def carrying(self, kind: str, tag_key: str) -> list[str]:
        return list(self._t.carriers.get(kind, {}).get(tag_key, ()))

    def count_carrying(self, kind: str, tag_key: str) -> int:
        return len(self._t.carriers.get(kind, {}).get(tag_key, ()))

    def export(self) -> Namespace:
        t = self._t
        return Namespace(
            tags={k: unpack(p) for k, p in t.tags.items.items()},
            groups={k: unpack(p) for k, p in t.groups.items.items()},
            entities={kind: dict(self.entities(kind)) for kind in self.kinds()},
        )


class Writer(View):
    """Reads and writes of one tenant inside its transaction (`TenantWriter`)."""

    __slots__ = ("_drew", "_store", "_undo", "_vendor")

    def __init__(
        self, tenant: TenantData, store: MemoryStore, vendor: str, undo: Undo | None = None
    ) -> None:
        super().__init__(tenant)
        self._store = store
        self._vendor = vendor
        self._undo: Undo = [] if undo is None else undo
        self._drew = False

    # -- ids
    def next_int(self, kind: str) -> int:
        name = f"{self._vendor}:{kind}"
        counters = self._store.counters
        had = counters.get(name)
        counters[name] = (had or 0) + 1
        self._undo.append(lambda: _set_or_pop(counters, name, had))
        return counters[name]

    def new_uuid(self) -> str:
        uuids = self._store.uuids
        if not self._drew:  # a rollback goes back to where the first draw was made
            self._drew = True
            at = uuids.position()
            self._undo.append(lambda: uuids.rewind(at))
        return uuids.draw()

    # -- tags
    def put_tag(self, key: str, record: Record) -> None:
        self._t.tags.put(key, record, self._undo)

    def delete_tag(self, key: str) -> bool:
        t = self._t
        if key not in t.tags.items:
            return False
        for kind, carriers in t.carriers.items():
            for entity_key in list(carriers.get(key, ())):
                self.detach(kind, entity_key, key)
        t.tags.delete(key, self._undo)
        return True

    # -- groups
    def put_group(self, key: str, record: Record) -> None:
        self._t.groups.put(key, record, self._undo)

    def delete_group(self, key: str) -> bool:
        return self._t.groups.delete(key, self._undo) is not None

    # -- entities
    def put_entity(self, kind: str, key: str, attrs: Record, tags: list[str] | None = None) -> None:
        if tags is not None:
            self._known_tags(tags)
        table = self._t.kind(kind, self._undo)
        new = key not in table.items
        table.put(key, attrs, self._undo)
        if new:
            sets = self._t.tag_sets[kind]
            sets[key] = {}
            self._undo.append(lambda: sets.__delitem__(key))
        if tags is not None:
            self.replace_tags(kind, key, tags)

    def delete_entity(self, kind: str, key: str) -> bool:
        table = self._t.kinds.get(kind)
        if table is None or key not in table.items:
            return False
        self.replace_tags(kind, key, [])
        sets = self._t.tag_sets[kind]
        emptied = sets.pop(key)
        self._undo.append(lambda: sets.__setitem__(key, emptied))
        table.delete(key, self._undo)
        return True

    def replace_tags(self, kind: str, key: str, tags: list[str]) -> SetChange:
        current = self._tag_set(kind, key)
        wanted = dict.fromkeys(tags)
        self._known_tags(wanted)
        change = SetChange(
            added=[k for k in wanted if k not in current],
            removed=[k for k in current if k not in wanted],
        )
        if not change.changed and list(current) == list(wanted):
            return change
        carriers = self._t.carriers[kind]
        for tag_key in change.removed:
            _leave(carriers, tag_key, key, self._undo)
        for tag_key in change.added:
            _join(carriers, tag_key, key, self._undo)
        sets = self._t.tag_sets[kind]
        sets[key] = wanted
        self._undo.append(lambda: sets.__setitem__(key, current))
        return change

    def attach(self, kind: str, key: str, tag_key: str) -> bool:
        current = self._tag_set(kind, key)
        self._known_tags((tag_key,))
        if tag_key in current:
            return False
        current[tag_key] = None
        self._undo.append(lambda: current.__delitem__(tag_key))
        _join(self._t.carriers[kind], tag_key, key, self._undo)
        return True

    def detach(self, kind: str, key: str, tag_key: str) -> bool:
        current = self._tag_set(kind, key)
        if tag_key not in current:
            return False
        self.replace_tags(kind, key, [k for k in current if k != tag_key])
        return True

    def _tag_set(self, kind: str, key: str) -> dict[str, None]:
        found = self._t.tag_sets.get(kind, {}).get(key)
        if found is None:
            raise Missing(f"no {kind} {key!r}")
        return found

    def _known_tags(self, keys: Iterator[str] | Any) -> None:
        tags = self._t.tags.items
        for k in keys:
            if k not in tags:
                raise Missing(f"no tag {k!r}")

    def _rollback(self) -> None:
        undo = self._undo
        while undo:
            undo.pop()()


def _join(carriers: dict[str, dict[str, None]], tag_key: str, key: str, undo: Undo) -> None:
    carriers.setdefault(tag_key, {})[key] = None
    undo.append(lambda: _quit(carriers, tag_key, key))


def _leave(carriers: dict[str, dict[str, None]], tag_key: str, key: str, undo: Undo) -> None:
    _quit(carriers, tag_key, key)
    undo.append(lambda: carriers.setdefault(tag_key, {}).__setitem__(key, None))


def _quit(carriers: dict[str, dict[str, None]], tag_key: str, key: str) -> None:
    bucket = carriers[tag_key]
    del bucket[key]
    if not bucket:
        del carriers[tag_key]


def _set_or_pop(counters: dict[str, int], name: str, value: int | None) -> None:
    if value is None:
        counters.pop(name, None)
    else:
        counters[name] = value


def _first(items: dict[str, Any], limit: int | None) -> list[str]:
    if limit is None:
        return list(items)
    out: list[str] = []
    for key in items:
        if len(out) >= limit:
            break
        out.append(key)
    return out
