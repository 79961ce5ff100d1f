"""In-memory store: one re-entrant lock makes every transaction atomic within the process.

Each tenant keeps its items with their indexes beside them (`_Table`): a dict per unique index
(index key → item key), an insertion-ordered bucket per key of a non-unique index, and per
entity kind the carriers of every tag (tag key → entity keys), so lookups, live counts and
cascades never scan the tenant. Every change a transaction makes logs how to undo it; an
exception leaving the transaction replays that log backwards, so a failed request leaves items
and indexes exactly as they were.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tagfake.state.model import Entity, Namespace, Record, SetChange
from tagfake.state.records import Packed, pack, unpack
from tagfake.state.store import Clash, Index, Layout, Missing

SNAPSHOT_FORMAT = "tagfake-state/1"

Undo = list[Callable[[], None]]
_NO_INDEXES: tuple[Index, ...] = ()


class _Table:
    """Items of one sort (a tenant's tags, or one entity kind) and their secondary indexes."""

    __slots__ = ("indexes", "items", "keys", "seq", "unique")

    def __init__(self, indexes: tuple[Index, ...]) -> None:
        self.indexes = indexes
        self.items: dict[str, Packed] = {}
        #: Per index: unique → {index key: item key}; not unique → {index key: {item key: None}}.
        self.keys: list[dict[str, Any]] = [{} for _ in indexes]
        self.unique = tuple(ix.unique for ix in indexes)
        #: Put order of every item ever put here, to restore orders a rollback disturbed.
        self.seq: dict[str, int] = {}

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
        for i, ix in enumerate(self.indexes):
            if ix.name == index:
                return i
        raise KeyError(f"no index {index!r}")

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
        old_values = self.index_values(unpack(old)) if old is not None else [None] * len(values)
        self.items[key] = pack(record)
        if key not in self.seq:
            self.seq[key] = len(self.seq)
        for i, (before, after) in enumerate(zip(old_values, values, strict=True)):
            if before != after:
                if before is not None:
                    self._unindex(i, before, key, undo)
                if after is not None:
                    self._index(i, after, key, undo)
        if old is None:
            undo.append(lambda: self._forget(key))
        else:
            undo.append(lambda: self.items.__setitem__(key, old))

    def delete(self, key: str, undo: Undo) -> Packed | None:
        old = self.items.pop(key, None)
        if old is None:
            return None
        for i, value in enumerate(self.index_values(unpack(old))):
            if value is not None:
                self._unindex(i, value, key, undo)
        undo.append(lambda: self._reinsert(key, old))
        return old

    def _forget(self, key: str) -> None:
        del self.items[key]

    def _reinsert(self, key: str, packed: Packed) -> None:
        self.items[key] = packed
        # A dict appends: put the item back in its place (only a rollback pays for this).
        self.items = dict(sorted(self.items.items(), key=lambda kv: self.seq[kv[0]]))

    def _index(self, i: int, value: str, key: str, undo: Undo) -> None:
        keys = self.keys[i]
        if self.unique[i]:
            keys[value] = key
            undo.append(lambda: keys.__delitem__(value))
            return
        bucket = keys.setdefault(value, {})
        bucket[key] = None
        undo.append(lambda: self._drop_from_bucket(i, value, key))

    def _unindex(self, i: int, value: str, key: str, undo: Undo) -> None:
        keys = self.keys[i]
        if self.unique[i]:
            del keys[value]
            undo.append(lambda: keys.__setitem__(value, key))
            return
        self._drop_from_bucket(i, value, key)
        undo.append(lambda: self._restore_to_bucket(i, value, key))

    def _drop_from_bucket(self, i: int, value: str, key: str) -> None:
        bucket = self.keys[i][value]
        del bucket[key]
        if not bucket:
            del self.keys[i][value]

    def _restore_to_bucket(self, i: int, value: str, key: str) -> None:
        bucket = self.keys[i].setdefault(value, {})
        bucket[key] = None
        self.keys[i][value] = dict.fromkeys(sorted(bucket, key=self.seq.__getitem__))


class _Tenant:
    """One (vendor, tenant): tags, groups, entity kinds, and who carries which tag."""

    __slots__ = ("carriers", "entity_indexes", "groups", "kinds", "tag_sets", "tags")

    def __init__(self, layout: Layout) -> None:
        self.tags = _Table(layout.tag_indexes)
        self.groups = _Table(_NO_INDEXES)
        self.entity_indexes = layout.entity_indexes
        self.kinds: dict[str, _Table] = {}
        #: kind → entity key → its tag keys, in order (a dict as an ordered set).
        self.tag_sets: dict[str, dict[str, dict[str, None]]] = {}
        #: kind → tag key → entity keys carrying it.
        self.carriers: dict[str, dict[str, dict[str, None]]] = {}

    def kind(self, kind: str, undo: Undo | None = None) -> _Table:
        table = self.kinds.get(kind)
        if table is None:
            table = self.kinds[kind] = _Table(self.entity_indexes.get(kind, _NO_INDEXES))
            self.tag_sets[kind] = {}
            self.carriers[kind] = {}
            if undo is not None:
                undo.append(lambda: self._forget_kind(kind))
        return table

    def _forget_kind(self, kind: str) -> None:
        del self.kinds[kind], self.tag_sets[kind], self.carriers[kind]

    def empty(self) -> bool:
        return not self.tags.items and not self.groups.items and not self.kinds


class _View:
    """The reads of one tenant (`TenantReader`)."""

    __slots__ = ("_t",)

    def __init__(self, tenant: _Tenant) -> None:
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
        return Entity(attrs=unpack(packed), tags=list(self._t.tag_sets[kind][key]))

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
        return [kind for kind, table in self._t.kinds.items() if table.items]

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


class _Writer(_View):
    """Reads and writes of one tenant inside its transaction (`TenantWriter`)."""

    __slots__ = ("_drew", "_store", "_undo", "_vendor")

    def __init__(self, tenant: _Tenant, store: MemoryStore, vendor: str) -> None:
        super().__init__(tenant)
        self._store = store
        self._vendor = vendor
        self._undo: Undo = []
        self._drew = False

    # -- ids
    def next_int(self, kind: str) -> int:
        name = f"{self._vendor}:{kind}"
        counters = self._store._counters
        had = counters.get(name)
        counters[name] = (had or 0) + 1
        self._undo.append(lambda: _set_or_pop(counters, name, had))
        return counters[name]

    def new_uuid(self) -> str:
        rng = self._store._rng
        if not self._drew:  # a rollback goes back to the state before the first draw
            self._drew = True
            state = rng.getstate()
            self._undo.append(lambda: rng.setstate(state))
        return _uuid4(rng)

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


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class MemoryStore:
    blocking = False

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.RLock()
        self._layouts: dict[str, Layout] = {}
        self._spaces: dict[tuple[str, str], _Tenant] = {}
        self._creds: dict[tuple[str, str], str] = {}  # (vendor, credential) -> tenant
        self._creds_of: dict[tuple[str, str], list[str]] = {}  # (vendor, tenant) -> credentials
        self._counters: dict[str, int] = {}
        self._rng = random.Random(seed)
        self._revision = 0

    def declare(self, vendor: str, layout: Layout) -> None:
        with self._lock:
            if self._layouts.get(vendor) == layout:
                return
            self._layouts[vendor] = layout
            for (v, t), space in list(self._spaces.items()):
                if v == vendor:
                    self._spaces[(v, t)] = self._build(vendor, _View(space).export())

    def _layout(self, vendor: str) -> Layout:
        return self._layouts.get(vendor) or self._layouts.setdefault(vendor, Layout())

    @contextmanager
    def transaction(self, vendor: str, tenant: str) -> Iterator[_Writer]:
        with self._lock:
            space = self._spaces.get((vendor, tenant))
            if space is None:
                space = self._spaces[(vendor, tenant)] = _Tenant(self._layout(vendor))
            writer = _Writer(space, self, vendor)
            try:
                yield writer
            except BaseException:
                writer._rollback()
                if space.empty() and not self._creds_of.get((vendor, tenant)):
                    del self._spaces[(vendor, tenant)]
                raise
            finally:
                self._revision += 1

    @contextmanager
    def read(self, vendor: str, tenant: str) -> Iterator[_View]:
        with self._lock:
            space = self._spaces.get((vendor, tenant))
            yield _View(space if space is not None else _Tenant(self._layout(vendor)))

    def tenant_of(self, vendor: str, credential: str) -> str | None:
        return self._creds.get((vendor, credential))

    def tenants(self, vendor: str) -> list[str]:
        with self._lock:
            return sorted({t for (v, t) in self._spaces if v == vendor})

    def credentials(self, vendor: str, tenant: str) -> list[str]:
        with self._lock:
            return list(self._creds_of.get((vendor, tenant), ()))

    def put_tenant(
        self, vendor: str, tenant: str, namespace: Namespace, credentials: list[str]
    ) -> None:
        with self._lock:
            for cred in credentials:
                owner = self._creds.get((vendor, cred))
                if owner is not None and owner != tenant:
                    raise ValueError(f"{vendor}: credential already belongs to tenant {owner!r}")
            space = self._build(vendor, namespace)
            self._forget_credentials(vendor, tenant)
            self._spaces[(vendor, tenant)] = space
            for cred in credentials:
                self._creds[(vendor, cred)] = tenant
            self._creds_of[(vendor, tenant)] = list(credentials)
            self._revision += 1

    def _build(self, vendor: str, namespace: Namespace) -> _Tenant:
        """A tenant holding `namespace`, every index built; raises Clash or Missing."""
        space = _Tenant(self._layout(vendor))
        writer = _Writer(space, self, vendor)
        for key, record in namespace.tags.items():
            writer.put_tag(key, record)
        for key, record in namespace.groups.items():
            writer.put_group(key, record)
        for kind, items in namespace.entities.items():
            space.kind(kind)
            for key, entity in items.items():
                writer.put_entity(kind, key, entity.attrs, entity.tags)
        return space

    def drop(self, vendor: str | None = None, tenant: str | None = None) -> None:
        with self._lock:
            doomed = [
                key
                for key in self._spaces
                if (vendor is None or key[0] == vendor) and (tenant is None or key[1] == tenant)
            ]
            for v, t in doomed:
                del self._spaces[(v, t)]
                self._forget_credentials(v, t)
            if vendor is None and tenant is None:
                self._creds.clear()
                self._creds_of.clear()
                self._counters.clear()
            self._revision += 1

    def _forget_credentials(self, vendor: str, tenant: str) -> None:
        for cred in self._creds_of.pop((vendor, tenant), ()):
            del self._creds[(vendor, cred)]

    def next_int(self, vendor: str, kind: str) -> int:
        with self._lock:
            name = f"{vendor}:{kind}"
            self._counters[name] = self._counters.get(name, 0) + 1
            return self._counters[name]

    def bump_int(self, vendor: str, kind: str, at_least: int) -> None:
        with self._lock:
            name = f"{vendor}:{kind}"
            self._counters[name] = max(self._counters.get(name, 0), at_least)

    def new_uuid(self) -> str:
        with self._lock:
            return _uuid4(self._rng)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    @property
    def revision(self) -> int:
        return self._revision

    def iter_namespaces(self) -> Iterator[tuple[str, str]]:
        with self._lock:
            keys = sorted(self._spaces)
        yield from keys

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "format": SNAPSHOT_FORMAT,
                "revision": self._revision,
                "counters": dict(self._counters),
                "rng": _encode_rng(self._rng),
                "namespaces": [
                    {
                        "vendor": v,
                        "tenant": t,
                        "credentials": self.credentials(v, t),
                        "data": _View(space).export().to_dict(),
                    }
                    for (v, t), space in sorted(self._spaces.items())
                ],
            }

    def restore(self, doc: dict[str, Any]) -> None:
        if doc.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a {SNAPSHOT_FORMAT} snapshot (format={doc.get('format')!r})")
        with self._lock:
            spaces = {
                (str(n["vendor"]), str(n["tenant"])): self._build(
                    str(n["vendor"]), Namespace.from_dict(n["data"])
                )
                for n in doc["namespaces"]
            }
            creds_of = {
                (str(n["vendor"]), str(n["tenant"])): [str(c) for c in n["credentials"]]
                for n in doc["namespaces"]
            }
            self._spaces = spaces
            self._creds_of = creds_of
            self._creds = {(v, c): t for (v, t), cs in creds_of.items() for c in cs}
            self._counters = {str(k): int(v) for k, v in doc["counters"].items()}
            self._rng = _decode_rng(doc.get("rng"))
            self._revision += 1

    def close(self) -> None:
        return None


def _encode_rng(rng: random.Random) -> list[Any]:
    version, state, gauss = rng.getstate()
    return [version, list(state), gauss]


def _decode_rng(doc: Any) -> random.Random:
    rng = random.Random()
    if doc:
        version, state, gauss = doc
        rng.setstate((version, tuple(state), gauss))
    return rng
